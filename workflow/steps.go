package workflow

// StepLabel is the Chinese name of a deadline step (State.Step), as the
// console, exports and notices write it; the step itself when unknown.
func StepLabel(step string) string {
	switch step {
	case "accept":
		return "受理"
	case "claim":
		return "签收"
	case "respond":
		return "答复"
	case "evaluate":
		return "评价"
	case "register":
		return "登记"
	case "decide":
		return "决策"
	case "rectify":
		return "整改"
	case "verify":
		return "回访"
	case "inquiry_reply":
		return "函询回复"
	case "inquiry_conclude":
		return "函询了结"
	case "feedback":
		return "反馈"
	}
	return step
}

// MergeTarget reports whether a request in status st may take another
// request merged into it: not one merged, withdrawn or rejected itself.
func MergeTarget(st Status) bool {
	return st != Merged && st != Withdrawn && st != Rejected
}
