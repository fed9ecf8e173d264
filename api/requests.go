package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

type createRequestBody struct {
	Title        string  `json:"title" validate:"required,max=200"`
	Content      string  `json:"content" validate:"required,max=5000"`
	Category     string  `json:"category" validate:"required,max=32"`
	EnterpriseID *string `json:"enterprise_id"`
	// FileIDs are uploads (POST /files) to attach.
	FileIDs []string `json:"file_ids"`
}

func (s *Server) createRequest(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "request", "create"); err != nil {
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
	var idem *model.Idempotency
	if key != "" {
		idem = idempotency(key, canonicalJSON(raw))
	}
	r, stored, err := s.fileRequest(c.Request.Context(), p, b, idem)
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

// idempotency is the stored form of an Idempotency-Key and the body it came
// with. The key is stored hashed: keys are opaque and compare byte for
// byte, which a case-insensitive MySQL collation would not do.
func idempotency(key string, body []byte) *model.Idempotency {
	sum := sha256.Sum256(body)
	keySum := sha256.Sum256([]byte(key))
	return &model.Idempotency{Key: hex.EncodeToString(keySum[:]), BodyHash: hex.EncodeToString(sum[:])}
}

// fileRequest files b for p (no gin: the API and the console's filing form
// call it). With idem, a retry answers the first filing's stored answer
// instead (stored is then set and the request nil).
func (s *Server) fileRequest(ctx context.Context, p *principal, b createRequestBody, idem *model.Idempotency) (*model.Request, *model.StoredResponse, error) {
	if err := s.mayEver(p, "request", "create"); err != nil {
		return nil, nil, err
	}
	if err := s.valid.check(&b); err != nil {
		return nil, nil, err
	}
	var v workflow.ValidationError
	if strings.TrimSpace(b.Title) == "" {
		v.Add("title", "不能为空")
	}
	if strings.TrimSpace(b.Content) == "" {
		v.Add("content", "不能为空")
	}
	if _, ok := s.ref.Categories[b.Category]; !ok {
		v.Add("category", "未知的诉求类别")
	}
	in := model.NewRequest{Title: b.Title, Content: b.Content, Category: b.Category,
		FiledBy: p.account.ID, FilerRole: p.role(), FileIDs: b.FileIDs}
	addFileIDErrors(&v, b.FileIDs)
	var ent *model.Enterprise
	var err error
	switch p.role() {
	case workflow.RoleEnterprise:
		if b.EnterpriseID != nil {
			v.Add("enterprise_id", "企业账号只能为本企业提交诉求，不能填写此字段")
		} else {
			ent, err = s.store.GetEnterprise(ctx, p.scope.EnterpriseID)
			if err != nil {
				return nil, nil, err
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
			return nil, nil, err
		}
		in.StationID = p.scope.StationID
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	in.EnterpriseID, in.RegionCode = ent.ID, ent.RegionCode
	if err := s.allow(p, "request", "create", ent.RegionCode); err != nil {
		return nil, nil, err
	}
	return s.store.CreateRequest(ctx, in, idem, func(r *model.Request) (int, []byte, error) {
		body, err := json.Marshal(s.requestView(r))
		return http.StatusCreated, body, err
	})
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

// requestListParams are the query parameters of the request list.
var requestListParams = []string{"status", "region_code", "department_code", "category", "from", "to",
	"overdue", "supervised", "q", "co_handled"}

func (s *Server) listRequests(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "request", "list"); err != nil {
		return err
	}
	q := s.query(c, requestListParams...)
	f := s.requestFilter(q)
	if err := q.err(); err != nil {
		return err
	}
	rs, next, err := s.store.ListRequests(c.Request.Context(), p.scope, f)
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

// requestFilter reads the request list's filters (requestListParams) from
// q, adding what is wrong to q's errors. The API's list and the console's
// share it. from and to are inclusive filing dates in Beijing time.
func (s *Server) requestFilter(q *query) model.RequestFilter {
	f := model.RequestFilter{RegionCodes: s.regionFilter(q), Overdue: q.boolean("overdue"),
		Supervised: q.boolean("supervised"), Q: q.str("q", 100), Page: q.page(), CoHandled: q.boolean("co_handled")}
	if st := q.values.Get("status"); st != "" {
		for _, x := range strings.Split(st, ",") {
			if _, ok := workflow.Request.State(workflow.Status(x)); !ok {
				q.errs.Add("status", "未知的状态："+x)
			}
			f.Status = append(f.Status, x)
		}
	}
	if d := q.values.Get("department_code"); d != "" {
		if _, ok := s.ref.Departments[d]; !ok {
			q.errs.Add("department_code", "未知的部门代码")
		}
		f.DepartmentCode = d
	}
	if cat := q.values.Get("category"); cat != "" {
		if _, ok := s.ref.Categories[cat]; !ok {
			q.errs.Add("category", "未知的诉求类别")
		}
		f.Category = cat
	}
	from, to := q.date("from"), q.date("to")
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		q.errs.Add("to", "结束日期不能早于开始日期")
	}
	f.CreatedFrom = from
	if !to.IsZero() {
		f.CreatedTo = to.AddDate(0, 0, 1)
	}
	return f
}

// findRequest finds the request with path id rawID for act (see findCase).
func (s *Server) findRequest(ctx context.Context, p *principal, rawID, act string) (*model.Request, error) {
	return findCase(s, ctx, p, "request", rawID, act, s.store.FindRequest, func(r *model.Request) string { return r.RegionCode })
}

// findCase applies the contract's order for one case of kind: 403 when the
// role never takes act on that kind, 404 when the case is out of sight, 403
// when its region is outside the caller's grant.
func findCase[T any](s *Server, ctx context.Context, p *principal, kind, rawID, act string,
	find func(context.Context, model.Scope, uint64) (*T, error), region func(*T) string) (*T, error) {
	if err := s.mayEver(p, kind, act); err != nil {
		return nil, err
	}
	id, err := parsePathID(rawID)
	if err != nil {
		return nil, err
	}
	x, err := find(ctx, p.scope, id)
	if err != nil {
		return nil, err
	}
	if err := s.allow(p, kind, act, region(x)); err != nil {
		return nil, err
	}
	return x, nil
}

func (s *Server) getRequest(c *gin.Context) error {
	p := principalOf(c)
	r, err := s.findRequest(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.requestView(r))
	return nil
}

func (s *Server) requestEvents(c *gin.Context) error {
	p := principalOf(c)
	r, err := s.findRequest(c.Request.Context(), p, c.Param("id"), "events")
	if err != nil {
		return err
	}
	return s.writeEvents(c, workflow.KindRequest, r.ID, nil)
}

// writeEvents answers a page of the timeline of case id of kind; before,
// when set, runs once the query is valid and before the events are read
// (a lead records the read).
func (s *Server) writeEvents(c *gin.Context, kind workflow.Kind, id uint64, before func() error) error {
	q := s.query(c)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	evs, next, err := s.store.ListEvents(c.Request.Context(), kind, id, page.After, page.Size)
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
