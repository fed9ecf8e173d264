package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

func (s *Server) listRegions(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"items": s.ref.RegionList})
	return nil
}

func (s *Server) listDepartments(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"items": s.ref.DeptList})
	return nil
}

type categoryView struct {
	Code       string            `json:"code"`
	Name       string            `json:"name"`
	Complexity string            `json:"complexity"`
	Limits     map[string]string `json:"limits"`
}

func (s *Server) listCategories(c *gin.Context) error {
	var out []categoryView
	for _, cat := range s.ref.CatList {
		l := s.cfg.Limits(cat)
		out = append(out, categoryView{Code: cat.Code, Name: cat.Name, Complexity: cat.Complexity, Limits: map[string]string{
			"accept": l.Accept.String(), "claim": l.Claim.String(), "respond": l.Respond.String(), "evaluate": l.Evaluate.String(),
		}})
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}

// Stations.

type stationBody struct {
	Name       string `json:"name" validate:"required,max=128"`
	RegionCode string `json:"region_code" validate:"required,max=16"`
	Address    string `json:"address" validate:"required,max=256"`
}

func (s *Server) createStation(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "station", "create"); err != nil {
		return err
	}
	var b stationBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	st, err := s.addStation(c.Request.Context(), p, b)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/stations/"+idString(st.ID))
	c.JSON(http.StatusCreated, s.stationView(st))
	return nil
}

// addStation creates a station: the use case of POST /stations and of the
// console's form (the caller has passed mayEver).
func (s *Server) addStation(ctx context.Context, p *principal, b stationBody) (*model.Station, error) {
	if err := s.valid.check(&b); err != nil {
		return nil, err
	}
	if err := s.knownRegion("region_code", b.RegionCode); err != nil {
		return nil, err
	}
	if err := s.allow(p, "station", "create", b.RegionCode); err != nil {
		return nil, err
	}
	st := &model.Station{Name: b.Name, RegionCode: b.RegionCode, Address: b.Address}
	if err := s.store.CreateStation(ctx, st); err != nil {
		return nil, err
	}
	return st, nil
}

func (s *Server) listStations(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "station", "list"); err != nil {
		return err
	}
	q := s.query(c, "region_code")
	regions, page := s.regionFilter(q), q.page()
	if err := q.err(); err != nil {
		return err
	}
	sts, next, err := s.store.ListStations(c.Request.Context(), p.scope, regions, page)
	if err != nil {
		return err
	}
	out := make([]stationView, len(sts))
	for i := range sts {
		out[i] = s.stationView(&sts[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

func (s *Server) knownRegion(field, code string) error {
	if _, ok := s.ref.Regions[code]; !ok {
		return workflow.Invalid(field, "未知的行政区划代码")
	}
	return nil
}

func (s *Server) knownDepartment(field, code string) error {
	if _, ok := s.ref.Departments[code]; !ok {
		return workflow.Invalid(field, "未知的部门代码")
	}
	return nil
}

// Enterprises.

type enterpriseBody struct {
	USCC         string `json:"uscc" validate:"required"`
	Name         string `json:"name" validate:"required,max=128"`
	RegionCode   string `json:"region_code" validate:"required,max=16"`
	ContactName  string `json:"contact_name" validate:"required,max=64"`
	ContactPhone string `json:"contact_phone" validate:"required,max=32"`
}

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 -]{5,30}$`)

func (s *Server) createEnterprise(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "enterprise", "create"); err != nil {
		return err
	}
	var b enterpriseBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	e, err := s.addEnterprise(c.Request.Context(), p, b)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/enterprises/"+idString(e.ID))
	c.JSON(http.StatusCreated, s.enterpriseView(e))
	return nil
}

// addEnterprise registers an enterprise: the use case of POST /enterprises
// and of the console's form (the caller has passed mayEver).
func (s *Server) addEnterprise(ctx context.Context, p *principal, b enterpriseBody) (*model.Enterprise, error) {
	if err := s.valid.check(&b); err != nil {
		return nil, err
	}
	var v workflow.ValidationError
	if msg := model.USCCProblem(b.USCC); msg != "" {
		v.Add("uscc", msg)
	}
	if _, ok := s.ref.Regions[b.RegionCode]; !ok {
		v.Add("region_code", "未知的行政区划代码")
	}
	if !phonePattern.MatchString(b.ContactPhone) {
		v.Add("contact_phone", "联系电话格式不正确")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.allow(p, "enterprise", "create", b.RegionCode); err != nil {
		return nil, err
	}
	e := &model.Enterprise{USCC: b.USCC, Name: strings.TrimSpace(b.Name), RegionCode: b.RegionCode,
		ContactName: b.ContactName, ContactPhone: b.ContactPhone}
	if err := s.store.CreateEnterprise(ctx, e); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return nil, refuse(err, "该统一社会信用代码已登记", workflow.FieldError{Field: "uscc", Message: "已登记"})
		}
		return nil, err
	}
	return e, nil
}

func (s *Server) listEnterprises(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "enterprise", "list"); err != nil {
		return err
	}
	q := s.query(c, "region_code", "uscc")
	f := model.EnterpriseFilter{RegionCode: s.regionFilter(q), USCC: q.str("uscc", 18), Page: q.page()}
	if err := q.err(); err != nil {
		return err
	}
	es, next, err := s.store.ListEnterprises(c.Request.Context(), p.scope, f)
	if err != nil {
		return err
	}
	out := make([]enterpriseView, len(es))
	for i := range es {
		out[i] = s.enterpriseView(&es[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

func (s *Server) getEnterprise(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "enterprise", "read"); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	e, err := s.store.FindEnterprise(c.Request.Context(), p.scope, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.enterpriseView(e))
	return nil
}

// Accounts.

type userBody struct {
	Username       string  `json:"username" validate:"required,min=3,max=64"`
	Password       string  `json:"password" validate:"required,min=8,max=128"`
	Role           string  `json:"role" validate:"required,oneof=enterprise station acfic department inspector admin"`
	RegionCode     string  `json:"region_code" validate:"required,max=16"`
	DepartmentCode string  `json:"department_code" validate:"max=16"`
	StationID      *string `json:"station_id"`
	EnterpriseID   *string `json:"enterprise_id"`
	DisplayName    string  `json:"display_name" validate:"max=64"`
}

var usernamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

func (s *Server) createUser(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "user", "create"); err != nil {
		return err
	}
	var b userBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	a, err := s.addUser(c.Request.Context(), p, b)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/users/"+idString(a.ID))
	c.JSON(http.StatusCreated, s.accountView(a))
	return nil
}

// addUser creates an account: the use case of POST /users and of the
// console's form (the caller has passed mayEver).
func (s *Server) addUser(ctx context.Context, p *principal, b userBody) (*model.Account, error) {
	if err := s.valid.check(&b); err != nil {
		return nil, err
	}
	in, err := s.checkUser(ctx, b)
	if err != nil {
		return nil, err
	}
	if err := s.allow(p, "user", "create", b.RegionCode); err != nil {
		return nil, err
	}
	a, err := s.store.CreateAccount(ctx, s.hashes.hasher(ctx), in)
	if errors.Is(err, model.ErrConflict) {
		return nil, refuse(err, "用户名已被占用", workflow.FieldError{Field: "username", Message: "已被占用"})
	}
	return a, err
}

// checkUser validates the role-dependent fields of a new account: a
// department account names its department; a station or enterprise account
// names its station or enterprise and lives in its region.
func (s *Server) checkUser(ctx context.Context, b userBody) (model.NewAccount, error) {
	var v workflow.ValidationError
	in := model.NewAccount{Username: b.Username, Password: b.Password, Role: workflow.Role(b.Role),
		RegionCode: b.RegionCode, DisplayName: b.DisplayName}
	if in.DisplayName == "" {
		in.DisplayName = b.Username
	}
	if !usernamePattern.MatchString(b.Username) {
		v.Add("username", "用户名只能包含字母、数字、下划线、点和连字符")
	}
	if _, ok := s.ref.Regions[b.RegionCode]; !ok {
		v.Add("region_code", "未知的行政区划代码")
	}
	role := workflow.Role(b.Role)
	onlyFor := func(field string, present bool, r workflow.Role) {
		if present && role != r {
			v.Add(field, "只有"+roleLabels[string(r)]+"账号可以填写此字段")
		}
		if !present && role == r {
			v.Add(field, roleLabels[string(r)]+"账号必须填写此字段")
		}
	}
	onlyFor("department_code", b.DepartmentCode != "", workflow.RoleDepartment)
	onlyFor("station_id", b.StationID != nil, workflow.RoleStation)
	onlyFor("enterprise_id", b.EnterpriseID != nil, workflow.RoleEnterprise)
	if err := v.Err(); err != nil {
		return in, err
	}
	switch role {
	case workflow.RoleDepartment:
		if err := s.knownDepartment("department_code", b.DepartmentCode); err != nil {
			return in, err
		}
		in.DepartmentCode = b.DepartmentCode
	case workflow.RoleStation:
		id, ok := parseID(*b.StationID)
		st, err := s.store.GetStation(ctx, id)
		if !ok || errors.Is(err, model.ErrNotFound) {
			return in, workflow.Invalid("station_id", "站点不存在")
		} else if err != nil {
			return in, err
		}
		if st.RegionCode != b.RegionCode {
			return in, workflow.Invalid("region_code", "站点账号的行政区划必须与站点一致")
		}
		in.StationID = id
	case workflow.RoleEnterprise:
		id, ok := parseID(*b.EnterpriseID)
		e, err := s.store.GetEnterprise(ctx, id)
		if !ok || errors.Is(err, model.ErrNotFound) {
			return in, workflow.Invalid("enterprise_id", "企业不存在")
		} else if err != nil {
			return in, err
		}
		if e.RegionCode != b.RegionCode {
			return in, workflow.Invalid("region_code", "企业账号的行政区划必须与企业一致")
		}
		in.EnterpriseID = id
	}
	return in, nil
}

func (s *Server) listUsers(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "user", "list"); err != nil {
		return err
	}
	q := s.query(c, "role", "region_code")
	f := model.AccountFilter{Role: q.str("role", 16), RegionCode: s.regionFilter(q), Page: q.page()}
	if f.Role != "" && !workflow.ValidRole(workflow.Role(f.Role)) {
		q.errs.Add("role", "未知的角色")
	}
	if err := q.err(); err != nil {
		return err
	}
	as, next, err := s.store.ListAccounts(c.Request.Context(), p.scope, f)
	if err != nil {
		return err
	}
	out := make([]accountView, len(as))
	for i := range as {
		out[i] = s.accountView(&as[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

func policyResource(kind, region string) policy.Resource {
	return policy.Resource{Kind: kind, Region: region}
}
