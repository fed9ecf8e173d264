package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

type createRequestBody struct {
	Title        string  `json:"title" validate:"required,max=200"`
	Content      string  `json:"content" validate:"required,max=5000"`
	Category     string  `json:"category" validate:"required,max=32"`
	EnterpriseID *string `json:"enterprise_id"`
}

func (s *Server) createRequest(c *gin.Context) error {
	if err := s.mayEver(c, "request", "create"); err != nil {
		return err
	}
	key := c.GetHeader("Idempotency-Key")
	if len(key) > 128 {
		return workflow.Invalid("Idempotency-Key", "幂等键长度不能超过 128 个字符")
	}
	raw, err := readJSON(c)
	if err != nil {
		return err
	}
	var b createRequestBody
	if err := decodeStrict(raw, &b); err != nil {
		return err
	}
	if err := s.valid.check(&b); err != nil {
		return err
	}
	p := principalOf(c)
	ctx := c.Request.Context()
	var v workflow.ValidationError
	if strings.TrimSpace(b.Title) == "" {
		v.Add("title", "不能为空")
	}
	if strings.TrimSpace(b.Content) == "" {
		v.Add("content", "不能为空")
	}
	if _, ok := s.store.Reference().Categories[b.Category]; !ok {
		v.Add("category", "未知的诉求类别")
	}
	in := model.NewRequest{Title: b.Title, Content: b.Content, Category: b.Category,
		FiledBy: p.account.ID, FilerRole: p.role()}
	var ent *model.Enterprise
	switch p.role() {
	case workflow.RoleEnterprise:
		if b.EnterpriseID != nil {
			v.Add("enterprise_id", "企业账号只能为本企业提交诉求，不能填写此字段")
		} else {
			ent, err = s.store.GetEnterprise(ctx, p.scope.EnterpriseID)
			if err != nil {
				return err
			}
		}
	case workflow.RoleStation:
		if b.EnterpriseID == nil {
			v.Add("enterprise_id", "站点代办须指明企业")
			break
		}
		id, ok := parseID(*b.EnterpriseID)
		if ok {
			ent, err = s.store.FindEnterprise(ctx, p.scope, id)
		}
		if !ok || errors.Is(err, model.ErrNotFound) {
			v.Add("enterprise_id", "企业不存在或不在本站点服务范围内")
		} else if err != nil {
			return err
		}
		in.StationID = p.scope.StationID
	}
	if err := v.Err(); err != nil {
		return err
	}
	in.EnterpriseID, in.RegionCode = ent.ID, ent.RegionCode
	if err := s.allow(c, "request", "create", ent.RegionCode); err != nil {
		return err
	}
	var idem *model.Idempotency
	if key != "" {
		sum := sha256.Sum256(canonicalJSON(raw))
		// The key is stored hashed: keys are opaque and compare byte for
		// byte, which a case-insensitive MySQL collation would not do.
		keySum := sha256.Sum256([]byte(key))
		idem = &model.Idempotency{Key: hex.EncodeToString(keySum[:]), BodyHash: hex.EncodeToString(sum[:])}
	}
	r, stored, err := s.store.CreateRequest(ctx, in, idem, func(r *model.Request) (int, []byte, error) {
		body, err := json.Marshal(s.requestView(r))
		return http.StatusCreated, body, err
	})
	if err != nil {
		return err
	}
	if stored != nil {
		c.Header("Idempotent-Replayed", "true")
		c.Data(stored.Status, "application/json; charset=utf-8", stored.Body)
		return nil
	}
	c.Header("Location", "/api/v1/requests/"+idString(r.ID))
	c.JSON(http.StatusCreated, s.requestView(r))
	return nil
}

// canonicalJSON re-encodes a JSON body so that whitespace and key order do
// not make a retry look like another body.
func canonicalJSON(raw []byte) []byte {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

func (s *Server) listRequests(c *gin.Context) error {
	if err := s.mayEver(c, "request", "list"); err != nil {
		return err
	}
	q := s.query(c, "status", "region_code", "department_code", "overdue", "supervised", "q")
	f := model.RequestFilter{RegionCodes: s.regionFilter(q), Overdue: q.boolean("overdue"),
		Supervised: q.boolean("supervised"), Q: q.str("q", 100), Page: q.page()}
	if st := q.values.Get("status"); st != "" {
		for _, x := range strings.Split(st, ",") {
			if _, ok := workflow.Request.State(workflow.Status(x)); !ok {
				q.errs.Add("status", "未知的状态："+x)
			}
			f.Status = append(f.Status, x)
		}
	}
	if d := q.values.Get("department_code"); d != "" {
		if _, ok := s.store.Reference().Departments[d]; !ok {
			q.errs.Add("department_code", "未知的部门代码")
		}
		f.DepartmentCode = d
	}
	if err := q.err(); err != nil {
		return err
	}
	rs, next, err := s.store.ListRequests(c.Request.Context(), principalOf(c).scope, f)
	if err != nil {
		return err
	}
	out := make([]requestView, len(rs))
	for i := range rs {
		out[i] = s.requestView(&rs[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

// findRequest finds the request of the path for act (see findCase).
func (s *Server) findRequest(c *gin.Context, act string) (*model.Request, error) {
	return findCase(s, c, "request", act, s.store.FindRequest, func(r *model.Request) string { return r.RegionCode })
}

// findCase applies the contract's order for one case of kind: 403 when the
// role never takes act on that kind, 404 when the case is out of sight, 403
// when its region is outside the caller's grant.
func findCase[T any](s *Server, c *gin.Context, kind, act string,
	find func(context.Context, model.Scope, uint64) (*T, error), region func(*T) string) (*T, error) {
	if err := s.mayEver(c, kind, act); err != nil {
		return nil, err
	}
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	x, err := find(c.Request.Context(), principalOf(c).scope, id)
	if err != nil {
		return nil, err
	}
	if err := s.allow(c, kind, act, region(x)); err != nil {
		return nil, err
	}
	return x, nil
}

func (s *Server) getRequest(c *gin.Context) error {
	r, err := s.findRequest(c, "read")
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.requestView(r))
	return nil
}

type transitionItem struct {
	Action string   `json:"action"`
	Label  string   `json:"label"`
	Fields []string `json:"fields"`
}

func (s *Server) requestTransitions(c *gin.Context) error {
	r, err := s.findRequest(c, "read")
	if err != nil {
		return err
	}
	p := principalOf(c)
	items := []transitionItem{}
	for _, t := range s.store.AvailableRequestActions(p.actor(), r) {
		if s.authz.Allowed(p.subject(), string(t.Action), policyResource("request", r.RegionCode)) {
			fields := workflow.Request.Fields(t.Action)
			if fields == nil {
				fields = []string{} // an action without fields lists [], not null
			}
			items = append(items, transitionItem{Action: string(t.Action), Label: t.Label, Fields: fields})
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
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
}

// decodeTransition reads a transition body strictly and records which
// fields were sent.
func (s *Server) decodeTransition(c *gin.Context) (transitionBody, workflow.Command, error) {
	var b transitionBody
	raw, err := readJSON(c)
	if err != nil {
		return b, workflow.Command{}, err
	}
	if err := decodeStrict(raw, &b); err != nil {
		return b, workflow.Command{}, err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return b, workflow.Command{}, workflow.Invalid("body", "请求体必须是 JSON 对象")
	}
	if b.Action == "" {
		return b, workflow.Command{}, workflow.Invalid("action", "为必填字段")
	}
	present := make([]string, 0, len(keys))
	for k, v := range keys {
		if string(v) != "null" {
			present = append(present, k)
		}
	}
	slices.Sort(present)
	var due *time.Time
	if b.DueAt != nil {
		t, err := time.Parse(time.RFC3339, *b.DueAt)
		if err != nil {
			return b, workflow.Command{}, workflow.Invalid("due_at", "须为 RFC 3339 时间，例如 2026-12-01T17:00:00+08:00")
		}
		due = &t
	}
	cmd := workflow.Command{
		Action: workflow.Action(b.Action), Present: present,
		Note: b.Note, Reason: b.Reason, Response: b.Response, Comment: b.Comment, Content: b.Content,
		DepartmentCode: b.DepartmentCode, RegionCode: b.RegionCode, Days: b.Days, Score: b.Score, DueAt: due,
		Notes: b.Notes, Assessment: b.Assessment, Disposal: b.Disposal, UnitRegionCode: b.UnitRegionCode,
		TransferTo: b.TransferTo, Grounds: b.Grounds, Report: b.Report, Result: b.Result, Accepted: b.Accepted,
	}
	return b, cmd, nil
}

func (s *Server) transitionRequest(c *gin.Context) error {
	b, cmd, err := s.decodeTransition(c)
	if err != nil {
		return err
	}
	if _, ok := workflow.Request.Transition(cmd.Action); !ok || cmd.Action == workflow.ExpireEvaluation {
		return workflow.Invalid("action", "未知的操作")
	}
	// findCase's order (403 never, 404 out of sight, 403 region) on the row
	// the transaction reads, rather than reading it once more before.
	if err := s.mayEver(c, "request", b.Action); err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p := principalOf(c)
	updated, err := s.store.TransitionRequest(c.Request.Context(), p.scope, p.actor(), id, cmd, b.ExpectedVersion,
		func(r *model.Request) error { return s.allow(c, "request", b.Action, r.RegionCode) },
		func(r *model.Request, o workflow.Outcome) error { return s.checkRequestCommand(c, r, cmd) })
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.requestView(updated))
	return nil
}

// checkRequestCommand validates what needs reference data or the policy:
// assign sends the request to a known unit that the caller's grant covers
// and whose region has jurisdiction over the enterprise; supervise may set
// a new due date in the future.
func (s *Server) checkRequestCommand(c *gin.Context, r *model.Request, cmd workflow.Command) error {
	switch cmd.Action {
	case workflow.Assign:
		var v workflow.ValidationError
		if _, ok := s.store.Reference().Departments[cmd.DepartmentCode]; !ok {
			v.Add("department_code", "未知的部门代码")
		}
		if _, ok := s.store.Reference().Regions[cmd.RegionCode]; !ok {
			v.Add("region_code", "未知的行政区划代码")
		} else if !s.authz.Within(cmd.RegionCode, principalOf(c).account.RegionCode) {
			v.Add("region_code", "只能交办给本辖区内的单位")
		} else if !s.authz.Within(r.RegionCode, cmd.RegionCode) {
			v.Add("region_code", "承办单位对该企业所在地没有管辖权")
		}
		return v.Err()
	case workflow.Supervise:
		if cmd.DueAt != nil && !cmd.DueAt.After(s.store.Now()) {
			return workflow.Invalid("due_at", "新的办理期限必须晚于当前时间")
		}
	}
	return nil
}

func (s *Server) requestEvents(c *gin.Context) error {
	r, err := s.findRequest(c, "events")
	if err != nil {
		return err
	}
	q := s.query(c)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	evs, next, err := s.store.ListEvents(c.Request.Context(), workflow.KindRequest, r.ID, page.After, page.Size)
	if err != nil {
		return err
	}
	out := make([]eventView, len(evs))
	for i := range evs {
		out[i] = s.eventView(&evs[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}
