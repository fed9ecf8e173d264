package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// Administration in the console: accounts (create, disable or enable,
// reset the password), stations, enterprises and API keys. Each list reads
// with the account's scope as the API's list does, and each form calls the
// API route's use case (addUser, setDisabled, resetPassword, addStation,
// addEnterprise, addAPIKey, revokeKey), so the rules, validations and
// refusals are the API's. A generated password and a new API key are shown
// once, in the answer to the form, and never stored in clear.

// adminLabels name the fields of the administration forms.
var adminLabels = map[string]string{
	"username": "用户名", "password": "初始密码", "role": "角色", "region_code": "所属区划", "department_code": "所属部门",
	"station_id": "所属站点", "enterprise_id": "所属企业", "display_name": "显示名", "disabled": "停用", "id": "账号",
	"name": "名称", "address": "地址", "uscc": "统一社会信用代码", "contact_name": "联系人", "contact_phone": "联系电话",
	"account_id": "账号", "expires_at": "有效期至",
}

// adminList reads a list page's query: the filters named, the cursor and
// page_size (50 rows unless given), and done (the notice).
func (cs *console) adminList(c *gin.Context, known ...string) (*query, model.Page) {
	q := cs.s.queryOf(c.Request.URL.Query(), append(known, "done")...)
	page := q.page()
	if !q.values.Has("page_size") {
		page.Size = 50
	}
	return q, page
}

// nextURL is the URL of the next page of path, keeping the filters.
func nextURL(c *gin.Context, path string, next uint64) string {
	if next == 0 {
		return ""
	}
	v := url.Values{}
	for k, vs := range c.Request.URL.Query() {
		if k != "cursor" && k != "done" {
			v[k] = vs
		}
	}
	v.Set("cursor", *cursorString(next))
	return path + "?" + v.Encode()
}

// Accounts.

type accountRow struct {
	ID, Username, Name, Role, Region, Unit, Created string
	Disabled, MustChange, Self                      bool
}

type accountsData struct {
	Rows                                  []accountRow
	Next                                  string
	Roles, Regions, Departments, Stations []option
	FilterRoles, FilterRegions            []option
	// Reset is the account whose password was just reset, with it.
	Reset         *accountRow
	ResetPassword string
	Created       *accountRow
}

func (cs *console) accountRow(p *principal, a *model.Account) accountRow {
	r := accountRow{ID: idString(a.ID), Username: a.Username, Name: a.DisplayName, Role: roleLabels[a.Role],
		Region: cs.regionName(a.RegionCode), Created: cs.datetime(a.CreatedAt), Disabled: a.Disabled,
		MustChange: a.PasswordChangeRequired, Self: a.ID == p.account.ID}
	if a.DepartmentCode != nil {
		r.Unit = deptLabel(cs.s.ref, *a.DepartmentCode)
	}
	return r
}

func roleOptions(current, none string) []option {
	out := []option{}
	if none != "" {
		out = append(out, option{Value: "", Label: none})
	}
	for _, r := range []string{"enterprise", "station", "acfic", "department", "inspector", "admin"} {
		out = append(out, option{Value: r, Label: roleLabels[r], Selected: r == current})
	}
	return out
}

// accountsPage lists the accounts of the admin's region and below (GET
// /users), with the form that creates one (POST /users).
func (cs *console) accountsPage(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "user", "list"); err != nil {
		return err
	}
	return cs.renderAccounts(c, p, http.StatusOK, nil, nil)
}

func (cs *console) renderAccounts(c *gin.Context, p *principal, status int, d *accountsData, failed error) error {
	q, page := cs.adminList(c, "role", "region_code")
	f := model.AccountFilter{Role: q.str("role", 16), RegionCode: cs.s.regionFilter(q), Page: page}
	if f.Role != "" && !workflow.ValidRole(workflow.Role(f.Role)) {
		q.errs.Add("role", "未知的角色")
	}
	if err := q.err(); err != nil {
		return err
	}
	ctx := c.Request.Context()
	as, next, err := cs.s.store.ListAccounts(ctx, p.scope, f)
	if err != nil {
		return err
	}
	if d == nil {
		d = &accountsData{}
	}
	for i := range as {
		d.Rows = append(d.Rows, cs.accountRow(p, &as[i]))
	}
	d.Next = nextURL(c, "/accounts", next)
	pg := cs.adminPage(c, "账号管理", failed)
	regions := cs.s.authz.Descendants(p.account.RegionCode)
	d.FilterRoles = roleOptions(f.Role, "全部角色")
	d.FilterRegions = cs.regionOptions(regions, q.values.Get("region_code"), "全部区划")
	d.Roles = roleOptions(pg.Form.Get("role"), "")
	d.Regions = cs.regionOptions(regions, pg.Form.Get("region_code"), "")
	d.Departments = []option{{Value: "", Label: "（非部门账号不填）"}}
	for _, dep := range cs.s.ref.DeptList {
		d.Departments = append(d.Departments, option{Value: dep.Code, Label: dep.Name, Selected: dep.Code == pg.Form.Get("department_code")})
	}
	sts, _, err := cs.s.store.ListStations(ctx, p.scope, nil, model.Page{Size: 100})
	if err != nil {
		return err
	}
	d.Stations = []option{{Value: "", Label: "（非站点账号不填）"}}
	for _, st := range sts {
		id := idString(st.ID)
		d.Stations = append(d.Stations, option{Value: id, Label: st.Name + "（" + cs.regionName(st.RegionCode) + "）",
			Selected: id == pg.Form.Get("station_id")})
	}
	pg.Data = d
	if d.ResetPassword != "" {
		c.Header("Cache-Control", "no-store")
	}
	cs.render(c, status, "accounts", pg)
	return nil
}

// accountCreate creates an account from the form (POST /users).
func (cs *console) accountCreate(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "user", "create"); err != nil {
		return err
	}
	form := formValues(c)
	b := userBody{Username: strings.TrimSpace(form.Get("username")), Password: form.Get("password"), Role: form.Get("role"),
		RegionCode: form.Get("region_code"), DepartmentCode: form.Get("department_code"),
		DisplayName: strings.TrimSpace(form.Get("display_name"))}
	// The form has every field; the API's body names only those of the role.
	if v := form.Get("station_id"); v != "" {
		b.StationID = &v
	}
	if v := strings.TrimSpace(form.Get("enterprise_id")); v != "" {
		b.EnterpriseID = &v
	}
	a, err := cs.s.addUser(c.Request.Context(), p, b)
	if err != nil {
		return cs.adminFormFailed(c, err, func() error { return cs.renderAccounts(c, p, toProblem(err).Status, nil, err) })
	}
	row := cs.accountRow(p, a)
	return cs.renderAccounts(c, p, http.StatusOK, &accountsData{Created: &row}, nil)
}

// adminFormFailed shows a refused form again with its problem (a 400 or a
// 409 naming a field), or the error page for anything else.
func (cs *console) adminFormFailed(c *gin.Context, err error, again func() error) error {
	st := toProblem(err).Status
	if st == http.StatusBadRequest || (st == http.StatusConflict && len(toProblem(err).Errors) > 0) {
		return again()
	}
	return err
}

// accountAct disables or enables an account (PATCH /users/{id}).
func (cs *console) accountAct(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "user", "update"); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	var disabled bool
	switch c.PostForm("action") {
	case "disable":
		disabled = true
	case "enable":
	default:
		return workflow.Invalid("action", "未知的操作")
	}
	if _, err := cs.s.setDisabled(c, p, id, disabled); err != nil {
		return err
	}
	done := "enabled"
	if disabled {
		done = "disabled"
	}
	redirect(c, "/accounts?done="+done)
	return nil
}

// accountReset resets an account's password (POST /users/{id}/password-reset)
// and shows the generated one, this once.
func (cs *console) accountReset(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "user", "update"); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	a, pw, err := cs.s.resetPassword(c, p, id)
	if err != nil {
		return err
	}
	row := cs.accountRow(p, a)
	return cs.renderAccounts(c, p, http.StatusOK, &accountsData{Reset: &row, ResetPassword: pw}, nil)
}

// Stations.

type stationRow struct{ ID, Name, Region, Address, Created string }

type stationsData struct {
	Rows    []stationRow
	Next    string
	Create  bool
	Regions []option
	Created *stationRow
}

// stationsPage lists the stations (GET /stations), with the form that
// creates one (POST /stations) for the roles that may.
func (cs *console) stationsPage(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "station", "list"); err != nil {
		return err
	}
	return cs.renderStations(c, p, http.StatusOK, nil, nil)
}

func (cs *console) renderStations(c *gin.Context, p *principal, status int, created *stationRow, failed error) error {
	q, page := cs.adminList(c, "region_code")
	regions := cs.s.regionFilter(q)
	if err := q.err(); err != nil {
		return err
	}
	sts, next, err := cs.s.store.ListStations(c.Request.Context(), p.scope, regions, page)
	if err != nil {
		return err
	}
	d := stationsData{Next: nextURL(c, "/stations", next), Created: created,
		Create: cs.s.authz.Can(p.account.Role, "station", "create")}
	for _, st := range sts {
		d.Rows = append(d.Rows, stationRow{ID: idString(st.ID), Name: st.Name, Region: cs.regionName(st.RegionCode),
			Address: st.Address, Created: cs.datetime(st.CreatedAt)})
	}
	pg := cs.adminPage(c, "站点", failed)
	d.Regions = cs.regionOptions(cs.s.authz.Descendants(p.account.RegionCode), pg.Form.Get("region_code"), "")
	pg.Data = d
	cs.render(c, status, "stations", pg)
	return nil
}

func (cs *console) stationCreate(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "station", "create"); err != nil {
		return err
	}
	form := formValues(c)
	st, err := cs.s.addStation(c.Request.Context(), p, stationBody{Name: strings.TrimSpace(form.Get("name")),
		RegionCode: form.Get("region_code"), Address: strings.TrimSpace(form.Get("address"))})
	if err != nil {
		return cs.adminFormFailed(c, err, func() error { return cs.renderStations(c, p, toProblem(err).Status, nil, err) })
	}
	row := stationRow{ID: idString(st.ID), Name: st.Name, Region: cs.regionName(st.RegionCode)}
	return cs.renderStations(c, p, http.StatusOK, &row, nil)
}

// Enterprises.

type enterpriseRow struct{ ID, USCC, Name, Region, Contact, Created string }

type enterprisesData struct {
	Rows    []enterpriseRow
	Next    string
	Create  bool
	Regions []option
	Created *enterpriseRow
	USCC    string
}

// enterprisesPage lists the enterprises the account may see (GET
// /enterprises), with the form that registers one (POST /enterprises).
func (cs *console) enterprisesPage(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "enterprise", "list"); err != nil {
		return err
	}
	return cs.renderEnterprises(c, p, http.StatusOK, nil, nil)
}

func (cs *console) renderEnterprises(c *gin.Context, p *principal, status int, created *enterpriseRow, failed error) error {
	q, page := cs.adminList(c, "region_code", "uscc")
	f := model.EnterpriseFilter{RegionCode: cs.s.regionFilter(q), USCC: q.str("uscc", 18), Page: page}
	if err := q.err(); err != nil {
		return err
	}
	es, next, err := cs.s.store.ListEnterprises(c.Request.Context(), p.scope, f)
	if err != nil {
		return err
	}
	d := enterprisesData{Next: nextURL(c, "/enterprises", next), Created: created, USCC: f.USCC,
		Create: cs.s.authz.Can(p.account.Role, "enterprise", "create")}
	for _, e := range es {
		d.Rows = append(d.Rows, enterpriseRow{ID: idString(e.ID), USCC: e.USCC, Name: e.Name, Region: cs.regionName(e.RegionCode),
			Contact: e.ContactName + " " + e.ContactPhone, Created: cs.datetime(e.CreatedAt)})
	}
	pg := cs.adminPage(c, "企业", failed)
	d.Regions = cs.regionOptions(cs.s.authz.Descendants(p.account.RegionCode), pg.Form.Get("region_code"), "")
	pg.Data = d
	cs.render(c, status, "enterprises", pg)
	return nil
}

func (cs *console) enterpriseCreate(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "enterprise", "create"); err != nil {
		return err
	}
	form := formValues(c)
	e, err := cs.s.addEnterprise(c.Request.Context(), p, enterpriseBody{USCC: strings.ToUpper(strings.TrimSpace(form.Get("uscc"))),
		Name: strings.TrimSpace(form.Get("name")), RegionCode: form.Get("region_code"),
		ContactName: strings.TrimSpace(form.Get("contact_name")), ContactPhone: strings.TrimSpace(form.Get("contact_phone"))})
	if err != nil {
		return cs.adminFormFailed(c, err, func() error { return cs.renderEnterprises(c, p, toProblem(err).Status, nil, err) })
	}
	row := enterpriseRow{ID: idString(e.ID), USCC: e.USCC, Name: e.Name, Region: cs.regionName(e.RegionCode)}
	return cs.renderEnterprises(c, p, http.StatusOK, &row, nil)
}

// API keys.

type apiKeyRow struct {
	ID, Name, Prefix, Account, Created, Expires, Revoked string
	Active                                               bool
}

type apiKeysData struct {
	Rows     []apiKeyRow
	Next     string
	Accounts []option
	// Key is the key just created, shown this once.
	Key     string
	KeyName string
}

// apiKeysPage lists the API keys of the accounts in the admin's region
// (GET /api-keys), with the form that creates one (POST /api-keys).
func (cs *console) apiKeysPage(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "api_key", "list"); err != nil {
		return err
	}
	return cs.renderAPIKeys(c, p, http.StatusOK, apiKeysData{}, nil)
}

func (cs *console) renderAPIKeys(c *gin.Context, p *principal, status int, d apiKeysData, failed error) error {
	q, page := cs.adminList(c)
	if err := q.err(); err != nil {
		return err
	}
	ctx := c.Request.Context()
	ks, next, err := cs.s.store.ListAPIKeys(ctx, p.scope, page)
	if err != nil {
		return err
	}
	names := map[uint64]string{}
	now := cs.s.now()
	d.Next = nextURL(c, "/api-keys", next)
	for _, k := range ks {
		if _, ok := names[k.AccountID]; !ok {
			names[k.AccountID] = cs.accountName(ctx, p, k.AccountID)
		}
		r := apiKeyRow{ID: idString(k.ID), Name: k.Name, Prefix: k.Prefix, Account: names[k.AccountID],
			Created: cs.datetime(k.CreatedAt), Active: k.RevokedAt == nil && (k.ExpiresAt == nil || k.ExpiresAt.After(now))}
		if k.ExpiresAt != nil {
			r.Expires = cs.date(*k.ExpiresAt)
		}
		if k.RevokedAt != nil {
			r.Revoked = cs.datetime(*k.RevokedAt)
		}
		d.Rows = append(d.Rows, r)
	}
	pg := cs.adminPage(c, "API 密钥", failed)
	// The accounts a key may be made for: those of the region, not admins.
	as, _, err := cs.s.store.ListAccounts(ctx, p.scope, model.AccountFilter{Page: model.Page{Size: 100}})
	if err != nil {
		return err
	}
	d.Accounts = []option{{Value: "", Label: "请选择账号"}}
	for _, a := range as {
		if a.Role == string(workflow.RoleAdmin) || a.Disabled {
			continue
		}
		id := idString(a.ID)
		d.Accounts = append(d.Accounts, option{Value: id, Label: a.Username + "（" + roleLabels[a.Role] + " · " + cs.regionName(a.RegionCode) + "）",
			Selected: id == pg.Form.Get("account_id")})
	}
	pg.Data = d
	if d.Key != "" {
		c.Header("Cache-Control", "no-store")
	}
	cs.render(c, status, "api_keys", pg)
	return nil
}

// accountName is the username of an account in p's scope ("" outside it).
func (cs *console) accountName(ctx context.Context, p *principal, id uint64) string {
	a, err := cs.s.store.FindAccountInScope(ctx, p.scope, id)
	if err != nil {
		return "#" + idString(id)
	}
	return a.Username
}

func (cs *console) apiKeyCreate(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "api_key", "create"); err != nil {
		return err
	}
	form := formValues(c)
	b := apiKeyBody{AccountID: form.Get("account_id"), Name: strings.TrimSpace(form.Get("name"))}
	if v := form.Get("expires_at"); v != "" {
		// A date: the key works to the end of that day, Beijing time.
		day, err := time.ParseInLocation("2006-01-02", v, cs.s.cal.Location())
		if err != nil {
			err = workflow.Invalid("expires_at", "日期格式应为 2026-12-31")
			return cs.renderAPIKeys(c, p, http.StatusBadRequest, apiKeysData{}, err)
		}
		end := day.AddDate(0, 0, 1).Add(-time.Second)
		b.ExpiresAt = &end
	}
	k, key, err := cs.s.addAPIKey(c, p, b)
	if err != nil {
		return cs.adminFormFailed(c, err, func() error { return cs.renderAPIKeys(c, p, toProblem(err).Status, apiKeysData{}, err) })
	}
	return cs.renderAPIKeys(c, p, http.StatusOK, apiKeysData{Key: key, KeyName: k.Name}, nil)
}

func (cs *console) apiKeyRevoke(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "api_key", "revoke"); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	if err := cs.s.revokeKey(c, p, id); err != nil {
		return err
	}
	redirect(c, "/api-keys?done=revoked")
	return nil
}

// adminPage starts an administration page; after a refused form it shows
// the problem with the fields named and keeps what was typed.
func (cs *console) adminPage(c *gin.Context, title string, failed error) *page {
	pg := cs.newPage(c, title)
	if failed != nil {
		pg.Problem = cs.problem(failed, adminLabels)
		pg.Form = formValues(c)
	}
	return pg
}
