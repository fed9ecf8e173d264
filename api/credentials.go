package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

// Password change, account disabling, API keys and the audit chain.

type passwordBody struct {
	CurrentPassword string `json:"current_password" validate:"required,max=128"`
	NewPassword     string `json:"new_password" validate:"required,min=8,max=128"`
}

// changePassword sets the caller's password (any role) after checking the
// current one, and invalidates every token the account holds, this one
// included: the client signs in again. Wrong current passwords count
// towards the account's login throttle.
func (s *Server) changePassword(c *gin.Context) error {
	p := principalOf(c)
	if p.apiKeyID != 0 {
		return refuse(policy.ErrForbidden, "API 密钥不能修改密码")
	}
	var b passwordBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	if err := s.setOwnPassword(c.Request.Context(), p, b); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// setOwnPassword replaces p's password after checking the current one
// (no gin: the API and the console's password form call it). Every token
// and session of the account ends, the caller's included.
func (s *Server) setOwnPassword(ctx context.Context, p *principal, b passwordBody) error {
	if err := s.valid.check(&b); err != nil {
		return err
	}
	ticket, err := s.throttle.reserve(ctx, accountAttempt(p.account.Username))
	if err != nil {
		return err
	}
	ok, err := s.hashes.verify(ctx, p.account.PasswordHash, b.CurrentPassword)
	if err != nil {
		return err
	}
	if !ok {
		return workflow.Invalid("current_password", "当前密码不正确")
	}
	switch {
	case b.NewPassword == b.CurrentPassword:
		return workflow.Invalid("new_password", "新密码不能与当前密码相同")
	case model.NormalizeUsername(b.NewPassword) == p.account.Username:
		return workflow.Invalid("new_password", "新密码不能与用户名相同")
	}
	if err := s.store.SetPassword(ctx, s.hashes.hasher(ctx), p.account.ID, p.account.PasswordHash, b.NewPassword); err != nil {
		return err
	}
	return s.throttle.succeeded(ctx, ticket, accountKey(p.account.Username))
}

type userPatchBody struct {
	Disabled *bool `json:"disabled" validate:"required"`
}

// updateUser disables or enables an account (admin, in its region). A
// disabled account's tokens and API keys stop working at their next request.
func (s *Server) updateUser(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "user", "update"); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	var b userPatchBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	a, err := s.setDisabled(c, p, id, *b.Disabled)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.accountView(a))
	return nil
}

// setDisabled disables or enables the account id: the use case of PATCH
// /users/{id} and of the console's buttons (the caller has passed mayEver).
func (s *Server) setDisabled(c *gin.Context, p *principal, id uint64, disabled bool) (*model.Account, error) {
	ctx := c.Request.Context()
	a, err := s.store.FindAccountInScope(ctx, p.scope, id)
	if err != nil {
		return nil, err
	}
	if err := s.allow(p, "user", "update", a.RegionCode); err != nil {
		return nil, err
	}
	if a.ID == p.account.ID && disabled {
		return nil, workflow.Invalid("disabled", "不能停用自己的账号")
	}
	a, err = s.store.SetAccountDisabled(ctx, p.scope, id, disabled)
	if err != nil {
		return nil, err
	}
	s.log.Info("账号已更新", "request_id", c.GetString(ctxRequestID), "by", p.account.ID, "account", a.ID, "disabled", a.Disabled)
	return a, nil
}

type passwordResetView struct {
	accountView
	Password string `json:"password"`
}

// resetUserPassword gives an account a generated password (admin, account
// in its region), shown in this answer only; the holder must choose
// another at the next sign-in, and the account's tokens and sessions end.
func (s *Server) resetUserPassword(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "user", "update"); err != nil {
		return err
	}
	if err := s.query(c).err(); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	a, pw, err := s.resetPassword(c, p, id)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, passwordResetView{accountView: s.accountView(a), Password: pw})
	return nil
}

// resetPassword is the use case of POST /users/{id}/password-reset and of
// the console's button (the caller has passed mayEver). An administrator
// changes its own password with the current one, not by a reset.
func (s *Server) resetPassword(c *gin.Context, p *principal, id uint64) (*model.Account, string, error) {
	ctx := c.Request.Context()
	a, err := s.store.FindAccountInScope(ctx, p.scope, id)
	if err != nil {
		return nil, "", err
	}
	if err := s.allow(p, "user", "update", a.RegionCode); err != nil {
		return nil, "", err
	}
	if a.ID == p.account.ID {
		return nil, "", workflow.Invalid("id", "不能重置自己的密码，请使用“修改密码”")
	}
	pw, err := model.OneTimePassword()
	if err != nil {
		return nil, "", err
	}
	a, err = s.store.ResetPassword(ctx, s.hashes.hasher(ctx), p.scope, id, pw)
	if err != nil {
		return nil, "", err
	}
	s.log.Info("密码已重置", "request_id", c.GetString(ctxRequestID), "by", p.account.ID, "account", a.ID)
	return a, pw, nil
}

// API keys.

// maxKeyLifetime bounds an API key's life (docs/design.md#api-keys: ≤ 1 year).
const maxKeyLifetime = 366 * 24 * time.Hour

type apiKeyBody struct {
	AccountID string     `json:"account_id" validate:"required,max=20"`
	Name      string     `json:"name" validate:"required,max=64"`
	ExpiresAt *time.Time `json:"expires_at"`
}

type apiKeyView struct {
	ID        string  `json:"id"`
	AccountID string  `json:"account_id"`
	Name      string  `json:"name"`
	Prefix    string  `json:"prefix"`
	Key       string  `json:"key,omitempty"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
	RevokedAt *string `json:"revoked_at"`
}

func (s *Server) apiKeyView(k *model.APIKey) apiKeyView {
	v := apiKeyView{ID: idString(k.ID), AccountID: idString(k.AccountID), Name: k.Name, Prefix: k.Prefix,
		CreatedAt: s.ts(k.CreatedAt)}
	if k.ExpiresAt != nil {
		t := s.ts(*k.ExpiresAt)
		v.ExpiresAt = &t
	}
	if k.RevokedAt != nil {
		t := s.ts(*k.RevokedAt)
		v.RevokedAt = &t
	}
	return v
}

// createAPIKey creates a key for a service account (admin, account in its
// region; not for an admin account). The key is in this answer only.
func (s *Server) createAPIKey(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "api_key", "create"); err != nil {
		return err
	}
	var b apiKeyBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	k, key, err := s.addAPIKey(c, p, b)
	if err != nil {
		return err
	}
	v := s.apiKeyView(k)
	v.Key = key
	c.Header("Location", "/api/v1/api-keys/"+idString(k.ID))
	c.JSON(http.StatusCreated, v)
	return nil
}

// addAPIKey creates a key: the use case of POST /api-keys and of the
// console's form (the caller has passed mayEver). The key itself is
// returned once and never stored.
func (s *Server) addAPIKey(c *gin.Context, p *principal, b apiKeyBody) (*model.APIKey, string, error) {
	if err := s.valid.check(&b); err != nil {
		return nil, "", err
	}
	ctx := c.Request.Context()
	id, ok := parseID(b.AccountID)
	if !ok {
		return nil, "", workflow.Invalid("account_id", "账号不存在")
	}
	a, err := s.store.FindAccountInScope(ctx, p.scope, id)
	if errors.Is(err, model.ErrNotFound) {
		return nil, "", workflow.Invalid("account_id", "账号不存在")
	}
	if err != nil {
		return nil, "", err
	}
	if err := s.allow(p, "api_key", "create", a.RegionCode); err != nil {
		return nil, "", err
	}
	switch {
	case a.Role == string(workflow.RoleAdmin):
		return nil, "", workflow.Invalid("account_id", "不能为管理员账号创建 API 密钥")
	case a.Disabled:
		return nil, "", workflow.Invalid("account_id", "账号已停用")
	}
	now := s.clock()
	exp := now.Add(365 * 24 * time.Hour).UTC().Truncate(time.Millisecond)
	if b.ExpiresAt != nil {
		if !b.ExpiresAt.After(now) || b.ExpiresAt.Sub(now) > maxKeyLifetime {
			return nil, "", workflow.Invalid("expires_at", "有效期须在将来且不超过一年")
		}
		exp = b.ExpiresAt.UTC().Truncate(time.Millisecond)
	}
	k, key, err := s.store.CreateAPIKey(ctx, model.NewAPIKey{AccountID: a.ID, Name: b.Name, CreatedBy: p.account.ID, ExpiresAt: &exp})
	if err != nil {
		return nil, "", err
	}
	s.log.Info("已创建 API 密钥", "request_id", c.GetString(ctxRequestID), "by", p.account.ID, "account", a.ID, "prefix", k.Prefix)
	return k, key, nil
}

func (s *Server) listAPIKeys(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "api_key", "list"); err != nil {
		return err
	}
	q := s.query(c)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	ks, next, err := s.store.ListAPIKeys(c.Request.Context(), p.scope, page)
	if err != nil {
		return err
	}
	out := make([]apiKeyView, len(ks))
	for i := range ks {
		out[i] = s.apiKeyView(&ks[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

// revokeAPIKey revokes a key (admin, key of an account in its region):
// requests with it answer 401 from then on.
func (s *Server) revokeAPIKey(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "api_key", "revoke"); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.revokeKey(c, p, id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// revokeKey revokes the key id: the use case of DELETE /api-keys/{id} and
// of the console's button (the caller has passed mayEver).
func (s *Server) revokeKey(c *gin.Context, p *principal, id uint64) error {
	k, err := s.store.RevokeAPIKey(c.Request.Context(), p.scope, id)
	if err != nil {
		return err
	}
	s.log.Info("已吊销 API 密钥", "request_id", c.GetString(ctxRequestID), "by", p.account.ID, "prefix", k.Prefix)
	return nil
}
