package api

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// Reporting a lead: the form of stations and enterprises (fileLead, as
// POST /api/v1/leads), the receipt of an anonymous report shown once, and
// the public page that shows an anonymous lead's status for its receipt.
//
// The receipt never travels in a URL. The form's answer keeps it sealed
// (AES-GCM, bound to the session) in a short-lived cookie and redirects to
// /leads/new/receipt, which opens it, forgets it and shows it: reloading that
// page or coming back to it shows that it was shown already, and a reload
// never files the report twice. Like the API, the form has no idempotency
// key: a remembered answer would tie the account to an anonymous lead.

const (
	receiptCookieName = "qinqing_receipt"
	receiptCookieAge  = 600
	lookupCookieName  = "qinqing_lookup"
)

// leadFormLabels name the report form's fields.
var leadFormLabels = map[string]string{
	"content": "线索内容", "evidence": "证据材料", "occurred_at": "发生时间", "region_code": "发生地",
	"subject_department_code": "涉及单位", "subject_name": "涉及人员或单位名称", "subject_username": "涉及人员的平台账号",
	"rule_code": "政商交往清单条目", "enterprise_id": "涉及企业", "anonymous": "匿名报告",
}

// leadNewData is the report form.
type leadNewData struct {
	Regions, Departments []option
	Rules                []ruleGroup
	// Enterprises are those a station may name as concerned (nil for an
	// enterprise); EnterpriseQ narrows them by name.
	Station        bool
	Enterprises    []option
	EnterpriseQ    string
	MoreEnterprise bool
	Anonymous      bool
}

// ruleGroup is one interaction list of the rule choice.
type ruleGroup struct {
	Label   string
	Options []option
}

func (cs *console) leadNew(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "lead", "create"); err != nil {
		return err
	}
	noStore(c)
	pg := cs.newPage(c, "报告线索", crumb{cs.leadsLabel(p), "/leads"})
	if err := cs.fillLeadNew(c, p, pg, url.Values{}); err != nil {
		return err
	}
	cs.render(c, http.StatusOK, "lead_new", pg)
	return nil
}

func (cs *console) fillLeadNew(c *gin.Context, p *principal, pg *page, form url.Values) error {
	d := leadNewData{Station: p.role() == workflow.RoleStation, EnterpriseQ: strings.TrimSpace(c.Query("enterprise_q")),
		Anonymous: form.Get("anonymous") == "true"}
	region := form.Get("region_code")
	if region == "" && !form.Has("content") {
		region = p.account.RegionCode
	}
	d.Regions = cs.regionOptions(cs.s.authz.Descendants(p.account.RegionCode), region, "")
	d.Departments = []option{{Value: "", Label: "不涉及具体单位"}}
	for _, dp := range cs.s.ref.DeptList {
		d.Departments = append(d.Departments, option{Value: dp.Code, Label: deptShortName(dp.Name), Selected: form.Get("subject_department_code") == dp.Code})
	}
	for _, list := range []string{"negative", "positive", "advocacy"} {
		g := ruleGroup{Label: interactionListLabels[list]}
		for _, r := range cs.s.ref.Raw.InteractionRules {
			if r.List == list {
				g.Options = append(g.Options, option{Value: r.Code, Label: r.Code + " " + r.Title, Selected: form.Get("rule_code") == r.Code})
			}
		}
		d.Rules = append(d.Rules, g)
	}
	if d.Station {
		es, next, err := cs.s.store.ListEnterprises(c.Request.Context(), p.scope,
			model.EnterpriseFilter{Name: d.EnterpriseQ, Page: model.Page{Size: enterpriseChoices}})
		if err != nil {
			return err
		}
		d.MoreEnterprise = next != 0
		d.Enterprises = []option{{Value: "", Label: "不涉及具体企业"}}
		for _, e := range es {
			d.Enterprises = append(d.Enterprises, option{Value: idString(e.ID), Label: e.Name + "（" + e.USCC + "）",
				Selected: form.Get("enterprise_id") == idString(e.ID)})
		}
	}
	pg.Form = form
	pg.Data = d
	return nil
}

// leadFile files the report form through fileLead. A named report goes to
// its page (status only, for its reporter); an anonymous one to its receipt.
func (cs *console) leadFile(c *gin.Context) error {
	p := principalOf(c)
	form := formValues(c)
	ctx := c.Request.Context()
	b := createLeadBody{Content: form.Get("content"), Evidence: form.Get("evidence"), RegionCode: form.Get("region_code"),
		SubjectDepartmentCode: form.Get("subject_department_code"), SubjectName: form.Get("subject_name"),
		SubjectUsername: strings.TrimSpace(form.Get("subject_username")), RuleCode: form.Get("rule_code"),
		Anonymous: form.Get("anonymous") == "true"}
	var err error
	if occ := strings.TrimSpace(form.Get("occurred_at")); occ != "" {
		var at time.Time
		if at, err = time.ParseInLocation("2006-01-02T15:04", occ, cs.s.cal.Location()); err != nil {
			at, err = time.ParseInLocation("2006-01-02T15:04:05", occ, cs.s.cal.Location())
		}
		if err != nil {
			err = workflow.Invalid("occurred_at", "须为日期和时间，例如 2026-11-02 10:30")
		}
		v := at.Format(time.RFC3339)
		b.OccurredAt = &v
	}
	if id := form.Get("enterprise_id"); id != "" && p.role() == workflow.RoleStation {
		b.EnterpriseID = &id
	}
	var l *model.Lead
	var receipt string
	if err == nil {
		var cmd workflow.Command
		err = cs.attachUpload(c, p, &cmd)
		b.FileIDs = cmd.FileIDs
	}
	if err == nil {
		l, receipt, err = cs.s.fileLead(ctx, p, b)
	}
	if err != nil {
		if toProblem(err).Status != http.StatusBadRequest {
			return err
		}
		noStore(c)
		pg := cs.newPage(c, "报告线索", crumb{cs.leadsLabel(p), "/leads"})
		if ferr := cs.fillLeadNew(c, p, pg, form); ferr != nil {
			return ferr
		}
		pg.Problem = cs.problem(err, leadFormLabels)
		cs.render(c, http.StatusBadRequest, "lead_new", pg)
		return nil
	}
	if receipt != "" {
		if err := cs.holdReceipt(c, p, receipt); err != nil {
			return err
		}
		redirect(c, "/leads/new/receipt")
		return nil
	}
	redirect(c, "/leads/"+idString(l.ID)+"?done=reported")
	return nil
}

// receiptAEAD seals receipts for the one redirect between the report form
// and the receipt page, with a key derived from the JWT secret (every
// instance has it).
func (cs *console) receiptAEAD() (cipher.AEAD, error) {
	block, err := aes.NewCipher(deriveKey(cs.s.secret, "qinqing console receipt v1"))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// holdReceipt keeps receipt, sealed to p's session, in a cookie for the
// receipt page.
func (cs *console) holdReceipt(c *gin.Context, p *principal, receipt string) error {
	g, err := cs.receiptAEAD()
	if err != nil {
		return err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := g.Seal(nonce, nonce, []byte(receipt), []byte(idString(p.sessionID)))
	cs.setCookie(c, receiptCookieName, base64.RawURLEncoding.EncodeToString(sealed), receiptCookieAge)
	return nil
}

// takeReceipt opens and forgets the receipt held for p's session; "" when
// there is none (shown already, expired, another session's).
func (cs *console) takeReceipt(c *gin.Context, p *principal) string {
	raw, err := c.Cookie(cs.cookieNamed(c, receiptCookieName))
	if err != nil || raw == "" {
		return ""
	}
	cs.setCookie(c, receiptCookieName, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(raw)
	g, gerr := cs.receiptAEAD()
	if err != nil || gerr != nil || len(b) < g.NonceSize() {
		return ""
	}
	out, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], []byte(idString(p.sessionID)))
	if err != nil {
		return ""
	}
	return string(out)
}

// leadStatusView is an anonymous lead as its receipt shows it: the status
// and nothing else (the header group everyone who finds a lead sees).
type leadStatusView struct {
	Ref, Status, StatusCode, Created, Updated, Closed string
	// Outcome is the result the inspectors recorded for the reporter.
	Outcome string
}

func (cs *console) leadStatus(l *model.Lead) *leadStatusView {
	v := &leadStatusView{Ref: model.RefNo("XS", l.ID, l.CreatedAt, cs.s.cal.Location()),
		Status: workflow.Lead.Label(workflow.Status(l.Status)), StatusCode: l.Status,
		Created: cs.datetime(l.CreatedAt), Updated: cs.datetime(l.UpdatedAt)}
	if l.ClosedAt != nil {
		v.Closed = cs.datetime(*l.ClosedAt)
	}
	if l.FeedbackContent != nil {
		v.Outcome = *l.FeedbackContent
	}
	return v
}

type leadReceiptData struct {
	Receipt string
	Lead    *leadStatusView
}

// leadReceipt shows the receipt of the anonymous report this browser just
// sent, once; the page is never cached.
func (cs *console) leadReceipt(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "lead", "create"); err != nil {
		return err
	}
	noStore(c)
	pg := cs.newPage(c, "匿名报告的查询码", crumb{"报告线索", "/leads/new"})
	var d leadReceiptData
	if receipt := cs.takeReceipt(c, p); receipt != "" {
		l, err := cs.s.leadByReceipt(c.Request.Context(), p, receipt)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		if l != nil {
			d.Receipt, d.Lead = receipt, cs.leadStatus(l)
		}
	}
	pg.Data = d
	cs.render(c, http.StatusOK, "lead_receipt", pg)
	return nil
}

type leadLookupData struct {
	Token string
	Lead  *leadStatusView
}

// lookupPage is the public receipt lookup: no sign-in (a signed-in browser
// keeps its menu), the receipt in a POSTed form, never in the URL.
func (cs *console) lookupPage(c *gin.Context) error {
	cs.softSession(c)
	cs.renderLookup(c, http.StatusOK, nil, nil)
	return nil
}

func (cs *console) renderLookup(c *gin.Context, status int, problem *formProblem, l *leadStatusView) {
	noStore(c)
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := base64.RawURLEncoding.EncodeToString(b[:])
	cs.setCookie(c, lookupCookieName, nonce, loginCookieMaxAge)
	pg := cs.newPage(c, "匿名线索查询")
	if pg.Me == nil {
		pg.Crumbs = nil
	}
	pg.Problem = problem
	if l == nil && problem != nil {
		pg.Form.Set("receipt", c.PostForm("receipt"))
	}
	pg.Data = leadLookupData{Token: cs.mac(cs.csrfKey, "lookup", nonce), Lead: l}
	cs.render(c, status, "lead_lookup", pg)
}

// lookup answers the public lookup form: the status of the anonymous lead
// whose receipt was typed, and nothing else. Besides the per-address rate
// limit of every page, the lookups that find nothing are counted per
// address like failed sign-ins: at the limit the page refuses to look up
// for a while (receipts have 120 random bits; this keeps the page from
// being used to try them).
func (cs *console) lookup(c *gin.Context) error {
	cs.softSession(c)
	nonce, _ := c.Cookie(cs.cookieNamed(c, lookupCookieName))
	if nonce == "" || !hmac.Equal([]byte(c.PostForm("csrf")), []byte(cs.mac(cs.csrfKey, "lookup", nonce))) {
		cs.refuseCSRF(c)
		return nil
	}
	ticket, wait, _, err := cs.s.throttle.counts.ReserveAttempt(c.Request.Context(), []model.AttemptKey{lookupAttempt(c.ClientIP())})
	if err != nil {
		return err
	}
	if ticket == "" {
		secs := int(math.Ceil(wait.Seconds()))
		c.Header("Retry-After", strconv.Itoa(secs))
		cs.renderLookup(c, http.StatusTooManyRequests, &formProblem{Status: http.StatusTooManyRequests,
			Detail: "查询失败次数过多，请 " + waitWords(secs) + "后再试。"}, nil)
		return nil
	}
	b := lookupLeadBody{Receipt: strings.TrimSpace(c.PostForm("receipt"))}
	if err := cs.s.valid.check(&b); err != nil {
		// A malformed receipt is a typo, not a guess: it does not count.
		if err := cs.s.throttle.counts.ReleaseAttempt(c.Request.Context(), ticket); err != nil {
			return err
		}
		cs.renderLookup(c, http.StatusBadRequest, cs.problem(err, map[string]string{"receipt": "查询码"}), nil)
		return nil
	}
	l, err := cs.s.leadByReceipt(c.Request.Context(), nil, b.Receipt)
	switch {
	case errors.Is(err, model.ErrNotFound):
		cs.renderLookup(c, http.StatusNotFound, &formProblem{Status: http.StatusNotFound,
			Detail: "没有找到该查询码对应的线索。请核对后重新输入（不区分大小写，短横线可省略）。"}, nil)
		return nil
	case err != nil:
		return err
	}
	if err := cs.s.throttle.counts.ReleaseAttempt(c.Request.Context(), ticket); err != nil {
		return err
	}
	cs.renderLookup(c, http.StatusOK, nil, cs.leadStatus(l))
	return nil
}
