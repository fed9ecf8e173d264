package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math"
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
	// sessionID is the sign-in of a bearer token; apiKeyID the key of an
	// API-key request (one of them is set).
	sessionID uint64
	apiKeyID  uint64
}

func (p *principal) role() workflow.Role { return workflow.Role(p.account.Role) }

func (p *principal) subject() policy.Subject {
	return policy.Subject{Role: p.account.Role, Region: p.account.RegionCode}
}

func (p *principal) actor() model.Actor {
	a := model.Actor{AccountID: p.account.ID, Username: p.account.Username, Role: p.role(), RegionCode: p.account.RegionCode}
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
		AccountID: a.ID, Username: a.Username, Role: workflow.Role(a.Role), HomeRegion: a.RegionCode,
		Regions: s.authz.Descendants(a.RegionCode), DepartmentCode: act.DepartmentCode,
		StationID: act.StationID, EnterpriseID: act.EnterpriseID,
	}
}

// Session bounds (docs/design.md#sessions; 等保 session end and idle logout): a
// sign-in lasts at most sessionAbsolute whatever the refreshes, and ends
// when no refresh comes within sessionIdle. Access tokens live at most 15
// minutes on top of that.
const (
	sessionAbsolute = 12 * time.Hour
	sessionIdle     = 30 * time.Minute
)

var sessionPolicy = model.SessionPolicy{Absolute: sessionAbsolute, Idle: sessionIdle}

// queryCredentials are query parameters that would carry a credential in a
// URL, where proxies and logs keep it: a request with one is refused.
var queryCredentials = []string{"access_token", "api_key", "apikey", "token"}

// authenticate requires a credential in the Authorization header: a bearer
// access token of a live session, or an API key (`ApiKey …`). The account
// is read on every request (with the session, in one query), so disabling
// it, a password change, logout and refresh-token reuse take effect at the
// next request: the token's version must equal the account's and its
// session must be open.
func (s *Server) authenticate(c *gin.Context) {
	q := c.Request.URL.Query()
	for _, name := range queryCredentials {
		if q.Has(name) {
			s.refuse(c, `error="invalid_request"`, "凭据只能放在 Authorization 请求头中，不能放在查询字符串中")
			return
		}
	}
	h := c.GetHeader("Authorization")
	key, isKey := strings.CutPrefix(h, "ApiKey ")
	tok, isBearer := strings.CutPrefix(h, "Bearer ")
	if (isKey && key != "") || (isBearer && tok != "") {
		if wait := s.credBlocks.blocked(c.ClientIP()); wait > 0 {
			s.writeProblem(c, retryAfter(errCredentialsThrottled, int(math.Ceil(wait.Seconds()))))
			return
		}
	}
	if isKey && key != "" {
		s.authenticateKey(c, key)
		return
	}
	if !isBearer || tok == "" {
		s.refuse(c, "", "")
		return
	}
	cl, err := s.parseToken(tok)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			s.refuse(c, `error="invalid_token"`, "")
			return
		}
		s.refuseBad(c)
		return
	}
	a, err := s.store.FindAccountForToken(c.Request.Context(), cl.accountID, cl.sessionID)
	if errors.Is(err, model.ErrNotFound) || errors.Is(err, model.ErrCredentialInvalid) ||
		(err == nil && (a.Disabled || a.TokenVersion != cl.version)) {
		s.refuseBad(c)
		return
	}
	if err != nil {
		s.writeProblem(c, err)
		return
	}
	c.Set(ctxPrincipal, &principal{account: a, scope: s.scopeFor(a), sessionID: cl.sessionID})
	c.Next()
}

func (s *Server) authenticateKey(c *gin.Context, key string) {
	a, k, err := s.store.FindAPIKeyAccount(c.Request.Context(), key)
	if errors.Is(err, model.ErrCredentialInvalid) {
		hint := key
		if len(hint) > 12 {
			hint = hint[:12]
		}
		s.log.Info("API 密钥被拒绝", "request_id", c.GetString(ctxRequestID), "prefix", hint)
		s.refuseBad(c)
		return
	}
	if err != nil {
		s.writeProblem(c, err)
		return
	}
	c.Set(ctxPrincipal, &principal{account: a, scope: s.scopeFor(a), apiKeyID: k.ID})
	c.Next()
}

// refuseBad answers a credential that failed authentication: 401, or 429
// once its address has sent too many (credentialFailures).
func (s *Server) refuseBad(c *gin.Context) {
	if err := s.badCredential(c.Request.Context(), c.ClientIP()); err != nil {
		s.writeProblem(c, err)
		return
	}
	s.refuse(c, `error="invalid_token"`, "")
}

// refuse answers 401 with a WWW-Authenticate challenge.
func (s *Server) refuse(c *gin.Context, errParam, detail string) {
	ch := `Bearer realm="qinqing"`
	if errParam != "" {
		ch += ", " + errParam
	}
	c.Header("WWW-Authenticate", ch+`, ApiKey realm="qinqing"`)
	err := errUnauthenticated
	if detail != "" {
		err = refuse(errUnauthenticated, detail)
	}
	s.writeProblem(c, err)
}

// accessClaims are the claims of an access token: the registered ones, the
// session (sid) and the account's token version (tv) when it was issued.
type accessClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	Version   *int   `json:"tv"`
}

type tokenClaims struct {
	accountID, sessionID uint64
	version              int
}

func (s *Server) accessTTL() time.Duration {
	ttl := s.cfg.TokenTTL
	if ttl <= 0 || ttl > 15*time.Minute {
		ttl = 15 * time.Minute
	}
	return ttl
}

func (s *Server) issueToken(a *model.Account, sessionID uint64) (string, time.Duration, error) {
	now := s.clock()
	ttl := s.accessTTL()
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	v := a.TokenVersion
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatUint(a.ID, 10),
			Issuer:    tokenIssuer,
			Audience:  jwt.ClaimStrings{tokenAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        hex.EncodeToString(jti[:]),
		},
		SessionID: strconv.FormatUint(sessionID, 10),
		Version:   &v,
	}
	t, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.secret)
	return t, ttl, err
}

// parseToken checks an access token: HS256 only (no "none", no key
// confusion), our issuer and audience, exp required, iat and nbf honoured
// (30 s leeway), and the sid and tv claims present.
func (s *Server) parseToken(tok string) (tokenClaims, error) {
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(tokenIssuer),
		jwt.WithAudience(tokenAudience), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second), jwt.WithTimeFunc(s.clock))
	var claims accessClaims
	if _, err := p.ParseWithClaims(tok, &claims, func(*jwt.Token) (any, error) { return s.secret, nil }); err != nil {
		return tokenClaims{}, err
	}
	id, err := strconv.ParseUint(claims.Subject, 10, 64)
	if err != nil {
		return tokenClaims{}, err
	}
	sid, err := strconv.ParseUint(claims.SessionID, 10, 64)
	if err != nil || claims.Version == nil {
		return tokenClaims{}, errors.New("access token without session or version")
	}
	return tokenClaims{accountID: id, sessionID: sid, version: *claims.Version}, nil
}

type loginBody struct {
	Username string `json:"username" validate:"required,max=64"`
	Password string `json:"password" validate:"required,max=128"`
}

type tokenView struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
}

// tokens answers a new access token and refresh token for the session.
func (s *Server) tokens(c *gin.Context, a *model.Account, sessionID uint64, refresh string) error {
	tok, ttl, err := s.issueToken(a, sessionID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, tokenView{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(ttl.Seconds()),
		RefreshToken: refresh, RefreshExpiresIn: int(sessionIdle.Seconds())})
	return nil
}

func (s *Server) login(c *gin.Context) error {
	var b loginBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	a, sess, refresh, err := s.signIn(c.Request.Context(), b.Username, b.Password, c.ClientIP())
	if err != nil {
		return err
	}
	return s.tokens(c, a, sess.ID, refresh)
}

// signIn checks a username and password under the login throttle and opens
// a session (no gin: the API's login and the console's sign-in form both
// call it, so both are throttled alike). clientIP is the caller's address
// as c.ClientIP() gives it.
func (s *Server) signIn(ctx context.Context, username, password, clientIP string) (*model.Account, *model.AuthSession, string, error) {
	name := model.NormalizeUsername(username)
	ticket, err := s.throttle.reserve(ctx, accountAttempt(name), addressAttempt(clientIP))
	if err != nil {
		return nil, nil, "", err
	}
	bad := errBadCredentials
	a, err := s.store.FindAccountByUsername(ctx, username)
	// A sign-in refused for want of a hashing slot checked no password: its
	// reservation is released, so a storm does not use the failure budgets.
	verify := func(hash string) (bool, error) {
		ok, err := s.hashes.verify(ctx, hash, password)
		if err != nil {
			if rerr := s.throttle.counts.ReleaseAttempt(ctx, ticket); rerr != nil {
				return false, rerr
			}
		}
		return ok, err
	}
	if errors.Is(err, model.ErrNotFound) {
		// same work as a wrong password
		if _, err := verify(s.dummyHash); err != nil {
			return nil, nil, "", err
		}
		return nil, nil, "", bad
	}
	if err != nil {
		return nil, nil, "", err
	}
	ok, err := verify(a.PasswordHash)
	if err != nil {
		return nil, nil, "", err
	}
	if !ok || a.Disabled {
		return nil, nil, "", bad
	}
	if err := s.throttle.succeeded(ctx, ticket, accountKey(name)); err != nil {
		return nil, nil, "", err
	}
	sess, refresh, err := s.store.StartSession(ctx, a.ID, clientIP, sessionPolicy)
	if err != nil {
		return nil, nil, "", err
	}
	return a, sess, refresh, nil
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token" validate:"required,max=128"`
}

// refresh exchanges a refresh token for a new pair (rotation). Presenting
// a refresh token a second time revokes its whole session.
func (s *Server) refresh(c *gin.Context) error {
	var b refreshBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	a, sess, next, err := s.store.RotateRefresh(c.Request.Context(), b.RefreshToken, sessionPolicy)
	if err != nil {
		return err
	}
	return s.tokens(c, a, sess.ID, next)
}

type logoutBody struct {
	RefreshToken string `json:"refresh_token" validate:"max=128"`
	// All ends every session of the account and invalidates its access tokens.
	All bool `json:"all"`
}

// logout ends the caller's session (and so its access token), the session
// of the refresh token sent if it is the caller's, or with all=true every
// session and token of the account. The body is optional.
func (s *Server) logout(c *gin.Context) error {
	p := principalOf(c)
	var b logoutBody
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeStrict(body, &b); err != nil {
			return err
		}
		if err := s.valid.check(&b); err != nil {
			return err
		}
	}
	ctx := c.Request.Context()
	if p.apiKeyID != 0 {
		return refuse(errValidation, "API 密钥没有会话可退出，请由管理员吊销密钥")
	}
	switch {
	case b.All:
		err = s.store.LogoutAll(ctx, p.account.ID)
	default:
		err = s.store.RevokeSession(ctx, p.account.ID, p.sessionID)
		if err == nil && b.RefreshToken != "" {
			err = s.store.RevokeSessionOfRefresh(ctx, p.account.ID, b.RefreshToken)
		}
	}
	if err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) me(c *gin.Context) error {
	p := principalOf(c)
	c.JSON(http.StatusOK, s.accountView(p.account))
	return nil
}
