package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// Transitions of requests and leads take one path. The handler decodes the
// command and resolves the caller once; requestAction and leadAction (no
// gin: the console calls them too) check what needs no row — the action
// exists, the role may ever take it, the reference data and limits the
// command names — and hand the store a Guard of plain values; the store
// reads the row in its transaction and applies the guard and the workflow.

// transitionItem is one action the caller may take now.
type transitionItem struct {
	Action string   `json:"action"`
	Label  string   `json:"label"`
	Fields []string `json:"fields"`
	// Defaults are values offered for some fields: for assign, the unit
	// the 派单目录 names for the request's category and region.
	Defaults map[string]string `json:"defaults,omitempty"`
}

// transitionBody holds every field any action takes; which ones an action
// accepts is the workflow table's business.
type transitionBody struct {
	Action          string  `json:"action"`
	ExpectedVersion *int    `json:"expected_version"`
	Note            string  `json:"note"`
	Reason          string  `json:"reason"`
	Response        string  `json:"response"`
	Comment         string  `json:"comment"`
	Content         string  `json:"content"`
	DepartmentCode  string  `json:"department_code"`
	RegionCode      string  `json:"region_code"`
	Days            int     `json:"days"`
	Score           int     `json:"score"`
	DueAt           *string `json:"due_at"`
	Notes           string  `json:"notes"`
	Assessment      string  `json:"assessment"`
	Disposal        string  `json:"disposal"`
	UnitRegionCode  string  `json:"unit_region_code"`
	TransferTo      string  `json:"transfer_to"`
	Grounds         string  `json:"grounds"`
	Report          string  `json:"report"`
	Result          string  `json:"result"`
	Accepted        *bool   `json:"accepted"`
	SubjectUsername string  `json:"subject_username"`
	SubjectName     string  `json:"subject_name"`
	Letter          string  `json:"letter"`
	Reply           string  `json:"reply"`
	Conclusion      string  `json:"conclusion"`
	Method          string  `json:"method"`
	FeedbackAt      *string `json:"feedback_at"`
	TargetID        string  `json:"target_id"`
	CoUnits         []struct {
		DepartmentCode string `json:"department_code"`
		RegionCode     string `json:"region_code"`
	} `json:"co_units"`
	Opinion string   `json:"opinion"`
	FileIDs []string `json:"file_ids"`
}

// decodeTransition reads a transition body strictly and records which
// fields were sent.
func (s *Server) decodeTransition(c *gin.Context) (workflow.Command, *int, error) {
	var b transitionBody
	raw, err := readJSON(c)
	if err != nil {
		return workflow.Command{}, nil, err
	}
	if err := decodeStrict(raw, &b); err != nil {
		return workflow.Command{}, nil, err
	}
	present, err := presentFields(raw)
	if err != nil {
		return workflow.Command{}, nil, err
	}
	if b.Action == "" {
		return workflow.Command{}, nil, workflow.Invalid("action", "为必填字段")
	}
	due, err := parseBodyTime("due_at", b.DueAt)
	if err != nil {
		return workflow.Command{}, nil, err
	}
	feedbackAt, err := parseBodyTime("feedback_at", b.FeedbackAt)
	if err != nil {
		return workflow.Command{}, nil, err
	}
	cmd := workflow.Command{
		Action: workflow.Action(b.Action), Present: present,
		Note: b.Note, Reason: b.Reason, Response: b.Response, Comment: b.Comment, Content: b.Content,
		DepartmentCode: b.DepartmentCode, RegionCode: b.RegionCode, Days: b.Days, Score: b.Score, DueAt: due,
		Notes: b.Notes, Assessment: b.Assessment, Disposal: b.Disposal, UnitRegionCode: b.UnitRegionCode,
		TransferTo: b.TransferTo, Grounds: b.Grounds, Report: b.Report, Result: b.Result, Accepted: b.Accepted,
		SubjectUsername: b.SubjectUsername, SubjectName: b.SubjectName,
		Letter: b.Letter, Reply: b.Reply, Conclusion: b.Conclusion, Method: b.Method, FeedbackAt: feedbackAt,
		TargetID: b.TargetID, Opinion: b.Opinion, FileIDs: b.FileIDs,
	}
	for _, u := range b.CoUnits {
		cmd.CoUnits = append(cmd.CoUnits, workflow.Unit{DepartmentCode: u.DepartmentCode, RegionCode: u.RegionCode})
	}
	return cmd, b.ExpectedVersion, nil
}

// presentFields lists, sorted, the fields a JSON object body sends with a
// value other than null (null is the same as absent).
func presentFields(raw []byte) ([]string, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, workflow.Invalid("body", "请求体必须是 JSON 对象")
	}
	present := make([]string, 0, len(keys))
	for k, v := range keys {
		if string(v) != "null" {
			present = append(present, k)
		}
	}
	slices.Sort(present)
	return present, nil
}

// parseBodyTime reads the RFC 3339 time of body field f (nil when absent).
func parseBodyTime(f string, raw *string) (*time.Time, error) {
	if raw == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, *raw)
	if err != nil {
		return nil, workflow.Invalid(f, "须为 RFC 3339 时间，例如 2026-12-01T17:00:00+08:00")
	}
	return &t, nil
}

func (s *Server) transitionRequest(c *gin.Context) error {
	p := principalOf(c)
	cmd, expected, err := s.decodeTransition(c)
	if err != nil {
		return err
	}
	r, err := s.requestAction(c.Request.Context(), p, c.Param("id"), cmd, expected)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.requestView(r))
	return nil
}

func (s *Server) transitionLead(c *gin.Context) error {
	p := principalOf(c)
	cmd, expected, err := s.decodeTransition(c)
	if err != nil {
		return err
	}
	l, err := s.leadAction(c.Request.Context(), p, c.Param("id"), cmd, expected)
	if err != nil {
		return err
	}
	v, err := s.leadDetail(c.Request.Context(), p, l)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// requestAction takes cmd on the request with path id rawID for p. The
// refusals come in the contract's order: an unknown action (400), a role
// that never takes it (403), a request out of sight (404), one outside the
// grant (403), a stale version (409), the state (409), the fields (400).
func (s *Server) requestAction(ctx context.Context, p *principal, rawID string, cmd workflow.Command, expected *int) (*model.Request, error) {
	if _, ok := workflow.Request.Transition(cmd.Action); !ok || cmd.Action == workflow.ExpireEvaluation {
		return nil, workflow.Invalid("action", "未知的操作")
	}
	if err := s.mayEver(p, "request", string(cmd.Action)); err != nil {
		return nil, err
	}
	id, err := parsePathID(rawID)
	if err != nil {
		return nil, err
	}
	g := model.Guard{Grant: s.grant(p, "request", string(cmd.Action))}
	if check := requestChecks[cmd.Action]; check != nil {
		check(s, p, cmd, &g)
	}
	if cmd.Action == workflow.Merge && cmd.TargetID != "" {
		// merge goes into a request the caller sees (the rest is checked in
		// the transaction: same enterprise, not merged, withdrawn or rejected).
		if _, err := s.findRequest(ctx, p, cmd.TargetID, "read"); err != nil {
			if toProblem(err).Status >= 500 {
				return nil, err
			}
			g.Invalid = append(g.Invalid, workflow.FieldError{Field: "target_id", Message: "目标诉求不存在或无权查看"})
		}
	}
	return s.store.TransitionRequest(ctx, p.scope, p.actor(), id, cmd, expected, g)
}

// leadAction takes cmd on the lead with path id rawID for p, in the order
// of requestAction; the answer is recorded as a read of the lead.
func (s *Server) leadAction(ctx context.Context, p *principal, rawID string, cmd workflow.Command, expected *int) (*model.Lead, error) {
	if _, ok := workflow.Lead.Transition(cmd.Action); !ok {
		return nil, workflow.Invalid("action", "未知的操作")
	}
	if err := s.mayEver(p, "lead", string(cmd.Action)); err != nil {
		return nil, err
	}
	id, err := parsePathID(rawID)
	if err != nil {
		return nil, err
	}
	g := model.Guard{Grant: s.grant(p, "lead", string(cmd.Action))}
	if check := leadChecks[cmd.Action]; check != nil {
		check(s, p, cmd, &g)
	}
	return s.store.TransitionLead(ctx, p.scope, p.actor(), id, cmd, expected, g)
}

// commandCheck adds to g what it finds wrong with cmd's fields against the
// reference data, the caller's region, the limits and the clock: checks that
// need no row. The store reports them once the workflow accepted the
// command, as it does a jurisdiction the row fails.
type commandCheck func(s *Server, p *principal, cmd workflow.Command, g *model.Guard)

// requestChecks are the command checks of the request actions that have any.
var requestChecks = map[workflow.Action]commandCheck{
	// assign sends the request to a known unit that the caller's grant
	// covers and whose region has jurisdiction over the enterprise.
	workflow.Assign: func(s *Server, p *principal, cmd workflow.Command, g *model.Guard) {
		s.unitGuard(p, g, cmd.DepartmentCode, "region_code", cmd.RegionCode,
			"只能交办给本辖区内的单位", "承办单位对该企业所在地没有管辖权")
		// 协办单位: known units within the caller's region (their jurisdiction
		// over the request is checked with the request, in the transaction).
		for _, u := range cmd.CoUnits {
			_, known := s.ref.Departments[u.DepartmentCode]
			switch {
			case !known || s.ref.Regions[u.RegionCode].Code == "":
				g.Invalid = append(g.Invalid, workflow.FieldError{Field: "co_units", Message: "未知的协办单位：" + u.DepartmentCode + "@" + u.RegionCode})
			case !s.authz.Within(u.RegionCode, p.account.RegionCode):
				g.Invalid = append(g.Invalid, workflow.FieldError{Field: "co_units", Message: "只能请本辖区内的单位协办"})
			default:
				continue
			}
			break
		}
	},
	// supervise may set a new due date, in the future.
	workflow.Supervise: func(s *Server, p *principal, cmd workflow.Command, g *model.Guard) {
		if cmd.DueAt != nil && !cmd.DueAt.After(s.now()) {
			g.Invalid = append(g.Invalid, workflow.FieldError{Field: "due_at", Message: "新的办理期限必须晚于当前时间"})
		}
	},
}

// leadChecks are the command checks of the lead actions that have any.
var leadChecks = map[workflow.Action]commandCheck{
	workflow.LeadDecide:          decisionCheck,
	workflow.LeadProposeDisposal: decisionCheck,
	// A new rectification period is given only with a rejection.
	workflow.LeadVerify: func(s *Server, p *principal, cmd workflow.Command, g *model.Guard) {
		if cmd.Accepted != nil && *cmd.Accepted && cmd.Days != 0 {
			g.Invalid = append(g.Invalid, workflow.FieldError{Field: "days", Message: "整改通过时不接受此字段；仅在整改未通过时可重新设定整改期限"})
		}
		s.rectifyDaysGuard(cmd, g)
	},
}

// decisionCheck: a rectification goes to a known unit inside the
// inspector's region whose region has jurisdiction over the lead's, for at
// most the configured number of working days. A proposal is checked as the
// decision it would be; its approval takes it as it was checked.
func decisionCheck(s *Server, p *principal, cmd workflow.Command, g *model.Guard) {
	d, _ := workflow.DisposalByCode(cmd.Disposal)
	switch {
	case d.Closes:
	case d.Inquiry:
		// 函询: the letter goes to a unit under the same rules.
		s.unitGuard(p, g, cmd.DepartmentCode, "unit_region_code", cmd.UnitRegionCode,
			"只能向本辖区内的单位函询", "函询单位对线索发生地没有管辖权")
	default:
		s.unitGuard(p, g, cmd.DepartmentCode, "unit_region_code", cmd.UnitRegionCode,
			"只能交由本辖区内的单位整改", "整改单位对线索发生地没有管辖权")
		s.rectifyDaysGuard(cmd, g)
	}
}

// unitGuard checks the unit a command names: its department is known, its
// region is known and inside the caller's, and (on the row, by the store)
// that region has jurisdiction over the case's.
func (s *Server) unitGuard(p *principal, g *model.Guard, dept, regionField, region, outside, noJurisdiction string) {
	if _, ok := s.ref.Departments[dept]; !ok {
		g.Invalid = append(g.Invalid, workflow.FieldError{Field: "department_code", Message: "未知的部门代码"})
	}
	switch {
	case s.ref.Regions[region].Code == "":
		g.Invalid = append(g.Invalid, workflow.FieldError{Field: regionField, Message: "未知的行政区划代码"})
	case !s.authz.Within(region, p.account.RegionCode):
		g.Invalid = append(g.Invalid, workflow.FieldError{Field: regionField, Message: outside})
	default:
		g.Jurisdiction = model.Jurisdiction{Field: regionField, Message: noJurisdiction,
			Regions: model.Regions(s.authz.Descendants(region)...)}
	}
}

// rectifyDaysGuard bounds the rectification period by the configured maximum.
func (s *Server) rectifyDaysGuard(cmd workflow.Command, g *model.Guard) {
	if max := s.ref.Raw.LeadLimits.RectifyMaxDays; cmd.Days > max {
		g.Invalid = append(g.Invalid, workflow.FieldError{Field: "days", Message: "整改期限不能超过 " + strconv.Itoa(max) + " 个工作日"})
	}
}

func (s *Server) requestTransitions(c *gin.Context) error {
	p := principalOf(c)
	r, err := s.findRequest(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": s.requestActions(p, r)})
	return nil
}

func (s *Server) leadTransitions(c *gin.Context) error {
	p := principalOf(c)
	l, err := s.findLead(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": s.leadActions(p, l)})
	return nil
}

// requestActions lists what p may do to r now: the workflow's answer for
// its state and p's part in it, that the policy allows in r's region.
func (s *Server) requestActions(p *principal, r *model.Request) []transitionItem {
	items := s.actionItems(p, "request", r.RegionCode, workflow.Request, s.store.AvailableRequestActions(p.actor(), r))
	for i := range items {
		if items[i].Action != string(workflow.Assign) {
			continue
		}
		// The 派单目录's unit, when the caller may assign to it.
		if sug, ok := s.ref.Suggest(r.Category, r.RegionCode); ok && s.authz.Within(sug.RegionCode, p.account.RegionCode) {
			items[i].Defaults = map[string]string{"department_code": sug.DepartmentCode, "region_code": sug.RegionCode}
		}
	}
	return items
}

// leadActions lists what p may do to l now.
func (s *Server) leadActions(p *principal, l *model.Lead) []transitionItem {
	return s.actionItems(p, "lead", l.RegionCode, workflow.Lead, s.store.AvailableLeadActions(p.actor(), l))
}

func (s *Server) actionItems(p *principal, kind, region string, m *workflow.Machine, avail []workflow.Transition) []transitionItem {
	items := []transitionItem{}
	for _, t := range avail {
		if s.authz.Allowed(p.subject(), string(t.Action), policyResource(kind, region)) {
			fields := m.Fields(t.Action)
			if fields == nil {
				fields = []string{} // an action without fields lists [], not null
			}
			items = append(items, transitionItem{Action: string(t.Action), Label: t.Label, Fields: fields})
		}
	}
	return items
}
