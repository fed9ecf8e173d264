package workflow

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Command is one action with its body fields (docs/design.md#request-loop and §4). Which fields
// an action accepts is in its table row; Present lists the fields the client
// actually sent, so a field that belongs to another action is refused rather
// than ignored.
type Command struct {
	Action  Action
	Present []string

	Note     string
	Reason   string
	Response string
	Comment  string
	Content  string

	DepartmentCode string
	RegionCode     string
	Days           int
	Score          int
	DueAt          *time.Time

	Notes          string
	Assessment     string
	Disposal       string
	UnitRegionCode string
	TransferTo     string
	Grounds        string
	Report         string
	Result         string
	Accepted       *bool

	SubjectUsername string
	SubjectName     string

	// 函询: the letter a decision sends, the reply recorded, the conclusion.
	Letter     string
	Reply      string
	Conclusion string

	// The feedback to a lead's reporter: how and when it was given (the
	// text is Content).
	Method     string
	FeedbackAt *time.Time

	// TargetID is the request a merge closes this one into (its id).
	TargetID string

	// CoUnits are the units an assignment names to co-handle (协办); Opinion
	// is a co-handling unit's opinion.
	CoUnits []Unit
	Opinion string

	// FileIDs are the uploads the action attaches (file_ids); the store
	// checks that they exist and are the actor's, and records them.
	FileIDs []string
}

// Unit is a handling unit: a department in a region.
type Unit struct {
	DepartmentCode string `json:"department_code"`
	RegionCode     string `json:"region_code"`
}

// MaxCoUnits is the most co-handling units an assignment names.
const MaxCoUnits = 5

// EncodeUnits is units as a requests row keeps them: dept@region;…
func EncodeUnits(units []Unit) string {
	parts := make([]string, len(units))
	for i, u := range units {
		parts[i] = u.DepartmentCode + "@" + u.RegionCode
	}
	return strings.Join(parts, ";")
}

// DecodeUnits reads EncodeUnits' form back.
func DecodeUnits(s string) []Unit {
	var out []Unit
	for part := range strings.SplitSeq(s, ";") {
		if d, r, ok := strings.Cut(part, "@"); ok {
			out = append(out, Unit{DepartmentCode: d, RegionCode: r})
		}
	}
	return out
}

// MaxFiles bounds the files one filing or action attaches.
const MaxFiles = 10

// ValidateFileIDs checks a file_ids list: at most MaxFiles ids as POST
// /files gives them (32 hex digits), none twice. An empty list attaches
// nothing.
func ValidateFileIDs(ids []string) error {
	if len(ids) > MaxFiles {
		return Invalid("file_ids", "最多列出 "+strconv.Itoa(MaxFiles)+" 个文件")
	}
	for i, id := range ids {
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
			return Invalid("file_ids", "文件标识格式不正确")
		}
		if slices.Contains(ids[:i], id) {
			return Invalid("file_ids", "同一文件不能重复列出")
		}
	}
	return nil
}

// Text field limits, in characters.
const (
	maxShortText = 200
	maxLongText  = 5000
)

// MaxExtensionDays bounds request_extension (docs/design.md#request-loop).
const MaxExtensionDays = 30

// MaxRectifyDays bounds the working days a decision may give for rectification.
const MaxRectifyDays = 120

func (c Command) has(f string) bool { return slices.Contains(c.Present, f) }

// Text returns the value of the text field f ("" for other fields).
func (c Command) Text(f string) string {
	switch f {
	case "note":
		return c.Note
	case "reason":
		return c.Reason
	case "response":
		return c.Response
	case "comment":
		return c.Comment
	case "content":
		return c.Content
	case "department_code":
		return c.DepartmentCode
	case "region_code":
		return c.RegionCode
	case "notes":
		return c.Notes
	case "assessment":
		return c.Assessment
	case "disposal":
		return c.Disposal
	case "unit_region_code":
		return c.UnitRegionCode
	case "transfer_to":
		return c.TransferTo
	case "grounds":
		return c.Grounds
	case "report":
		return c.Report
	case "result":
		return c.Result
	case "subject_username":
		return c.SubjectUsername
	case "subject_name":
		return c.SubjectName
	case "letter":
		return c.Letter
	case "reply":
		return c.Reply
	case "conclusion":
		return c.Conclusion
	case "method":
		return c.Method
	case "target_id":
		return c.TargetID
	case "opinion":
		return c.Opinion
	}
	return ""
}

var longFields = []string{"response", "content", "notes", "assessment", "report", "result", "grounds", "comment", "reason", "note",
	"letter", "reply", "opinion"}

func (c Command) validate(kind Kind, t Transition) error {
	var v ValidationError
	allowed := append(slices.Clone(t.Require), t.Optional...)
	for _, f := range c.Present {
		if f == "action" || f == "expected_version" {
			continue
		}
		if !slices.Contains(allowed, f) {
			v.Add(f, "该操作不接受此字段")
		}
	}
	for _, f := range t.Require {
		if !c.has(f) {
			v.Add(f, "为必填字段")
			continue
		}
		switch f {
		case "accepted":
			if c.Accepted == nil {
				v.Add("accepted", "必须是 true 或 false")
			}
		case "days", "score", "due_at", "feedback_at", "co_units":
		default:
			if strings.TrimSpace(c.Text(f)) == "" {
				v.Add(f, "不能为空")
			}
		}
	}
	for _, f := range allowed {
		s := c.Text(f)
		limit := maxShortText
		if slices.Contains(longFields, f) {
			limit = maxLongText
		}
		if utf8.RuneCountInString(s) > limit {
			v.Add(f, "长度不能超过"+strconv.Itoa(limit)+"个字符")
		}
		if !utf8.ValidString(s) {
			v.Add(f, "必须是有效的 UTF-8 文本")
		}
	}
	if c.has("file_ids") {
		if err := ValidateFileIDs(c.FileIDs); err != nil {
			v.Errors = append(v.Errors, err.(*ValidationError).Errors...)
		}
	}
	if c.has("score") && (c.Score < 1 || c.Score > 5) {
		v.Add("score", "评分必须是 1 到 5 之间的整数")
	}
	if c.has("days") {
		max := MaxExtensionDays
		if kind == KindLead {
			max = MaxRectifyDays
		}
		if c.Days < 1 || c.Days > max {
			v.Add("days", "天数必须是 1 到 "+strconv.Itoa(max)+" 之间的工作日数")
		}
	}
	if c.has("co_units") {
		validateCoUnits(c, &v)
	}
	if c.has("target_id") && c.TargetID != "" {
		if id, err := strconv.ParseUint(c.TargetID, 10, 64); err != nil || id == 0 || id > 1<<53 {
			v.Add("target_id", "须为诉求的 ID（正整数）")
		}
	}
	if c.has("conclusion") && InquiryConclusionLabel(c.Conclusion) == "" {
		v.Add("conclusion", "必须是 settled（予以了结）或 further_handling（转入进一步处置）")
	}
	if kind == KindLead && (t.Action == LeadDecide || t.Action == LeadProposeDisposal) && c.has("disposal") {
		validateDecision(c, &v)
	}
	return v.Err()
}

// validateCoUnits: at most MaxCoUnits units, each named in full, none twice
// and none the lead unit (主办) itself. Whether the units exist and may
// handle the request is the caller's check.
func validateCoUnits(c Command, v *ValidationError) {
	if len(c.CoUnits) > MaxCoUnits {
		v.Add("co_units", "协办单位至多 "+strconv.Itoa(MaxCoUnits)+" 个")
		return
	}
	seen := map[Unit]bool{}
	for _, u := range c.CoUnits {
		switch {
		case u.DepartmentCode == "" || u.RegionCode == "" || strings.ContainsAny(u.DepartmentCode+u.RegionCode, "@;"):
			v.Add("co_units", "每个协办单位须写明部门代码与区划代码")
			return
		case seen[u]:
			v.Add("co_units", "协办单位重复")
			return
		case u.DepartmentCode == c.DepartmentCode && u.RegionCode == c.RegionCode:
			v.Add("co_units", "协办单位不能是主办单位本身")
			return
		}
		seen[u] = true
	}
}
