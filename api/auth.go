package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

const (
	tokenIssuer   = "qinqing"
	tokenAudience = "qinqing-api"
)

// principal is the authenticated account of a request and what it may see.
type principal struct {
	account *model.Account
	scope   model.Scope
}

func (p *principal) role() workflow.Role { return workflow.Role(p.account.Role) }

func (p *principal) subject() policy.Subject {
	return policy.Subject{Role: p.account.Role, Region: p.account.RegionCode}
}

func (p *principal) actor() model.Actor {
	a := model.Actor{AccountID: p.account.ID, Role: p.role(), RegionCode: p.account.RegionCode}
	if p.account.DepartmentCode != nil {
		a.DepartmentCode = *p.account.DepartmentCode
	}
	if p.account.StationID != nil {
		a.StationID = *p.account.StationID
	}
	if p.account.EnterpriseID != nil {
		a.EnterpriseID = *p.account.EnterpriseID
	}
	return a
}

func principalOf(c *gin.Context) *principal {
	v, ok := c.Get(ctxPrincipal)
	if !ok {
		return nil
	}
	p, _ := v.(*principal)
	return p
}

func (s *Server) scopeFor(a *model.Account) model.Scope {
	act := (&principal{account: a}).actor()
	return model.Scope{
		AccountID: a.ID, Role: workflow.Role(a.Role), HomeRegion: a.RegionCode,
		Regions: s.authz.Descendants(a.RegionCode), DepartmentCode: act.DepartmentCode,
		StationID: act.StationID, EnterpriseID: act.EnterpriseID,
	}
}

var errUnauthenticated = problem(http.StatusUnauthorized, "unauthenticated", "未登录或登录已失效")

// authenticate requires a valid bearer token of an enabled account. The
// account is read on every request, so disabling it takes effect at once.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		c.Header("WWW-Authenticate", `Bearer realm="qinqing"`)
		s.writeProblem(c, errUnauthenticated)
		return
	}
	id, err := s.parseToken(tok)
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="qinqing", error="invalid_token"`)
		s.writeProblem(c, errUnauthenticated)
		return
	}
	a, err := s.store.FindAccount(c.Request.Context(), id)
	if errors.Is(err, model.ErrNotFound) || (err == nil && a.Disabled) {
		s.writeProblem(c, errUnauthenticated)
		return
	}
	if err != nil {
		s.writeProblem(c, err)
		return
	}
	c.Set(ctxPrincipal, &principal{account: a, scope: s.scopeFor(a)})
	c.Next()
}

func (s *Server) issueToken(a *model.Account) (string, time.Duration, error) {
	now := s.clock()
	ttl := s.cfg.TokenTTL
	if ttl <= 0 || ttl > 15*time.Minute {
		ttl = 15 * time.Minute
	}
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	claims := jwt.RegisteredClaims{
		Subject:   strconv.FormatUint(a.ID, 10),
		Issuer:    tokenIssuer,
		Audience:  jwt.ClaimStrings{tokenAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		ID:        hex.EncodeToString(jti[:]),
	}
	t, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.secret)
	return t, ttl, err
}

func (s *Server) parseToken(tok string) (uint64, error) {
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(tokenIssuer),
		jwt.WithAudience(tokenAudience), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second), jwt.WithTimeFunc(s.clock))
	var claims jwt.RegisteredClaims
	if _, err := p.ParseWithClaims(tok, &claims, func(*jwt.Token) (any, error) { return s.secret, nil }); err != nil {
		return 0, err
	}
	return strconv.ParseUint(claims.Subject, 10, 64)
}

type loginBody struct {
	Username string `json:"username" validate:"required,max=64"`
	Password string `json:"password" validate:"required,max=128"`
}

type tokenView struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

func (s *Server) login(c *gin.Context) error {
	var b loginBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	bad := problem(http.StatusUnauthorized, "unauthenticated", "用户名或密码错误")
	a, err := s.store.FindAccountByUsername(c.Request.Context(), b.Username)
	if errors.Is(err, model.ErrNotFound) {
		s.hasher.Verify(s.dummyHash, b.Password) // same work as a wrong password
		return bad
	}
	if err != nil {
		return err
	}
	if !s.hasher.Verify(a.PasswordHash, b.Password) || a.Disabled {
		return bad
	}
	tok, ttl, err := s.issueToken(a)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, tokenView{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(ttl.Seconds())})
	return nil
}

func (s *Server) me(c *gin.Context) error {
	c.JSON(http.StatusOK, s.accountView(principalOf(c).account))
	return nil
}
