package workflow

import "testing"

// Every step a state of either machine waits on has a Chinese name.
func TestStepLabels(t *testing.T) {
	for _, m := range []*Machine{Request, Lead} {
		for _, st := range m.States {
			if st.Step != "" && StepLabel(st.Step) == st.Step {
				t.Errorf("%s step %q has no label", st.Status, st.Step)
			}
		}
	}
	if StepLabel("feedback") != "反馈" || StepLabel("nope") != "nope" {
		t.Error("StepLabel")
	}
}

func TestMergeTargetStatus(t *testing.T) {
	for st, want := range map[Status]bool{Submitted: true, InProgress: true, Closed: true, Merged: false, Withdrawn: false, Rejected: false} {
		if MergeTarget(st) != want {
			t.Errorf("MergeTarget(%s) = %v", st, !want)
		}
	}
}
