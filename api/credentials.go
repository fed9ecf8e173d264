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
	ctx := c.Request.Context()
	a, err := s.store.FindAccountInScope(ctx, p.scope, id)
	if err != nil {
		return err
	}
	if err := s.allow(p, "user", "update", a.RegionCode); err != nil {
		return err
	}
	if a.ID == p.account.ID && *b.Disabled {
		return workflow.Invalid("disabled", "不能停用自己的账号")
	}
	a, err = s.store.SetAccountDisabled(ctx, p.scope, id, *b.Disabled)
	if err != nil {
		return err
	}
	s.log.Info("account updated", "request_id", c.GetString(ctxRequestID), "by", p.account.ID, "account", a.ID, "disabled", a.Disabled)
	c.JSON(http.StatusOK, s.accountView(a))
	return nil
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
	ctx := c.Request.Context()
	id, ok := parseID(b.AccountID)
	if !ok {
		return workflow.Invalid("account_id", "账号不存在")
	}
	a, err := s.store.FindAccountInScope(ctx, p.scope, id)
	if errors.Is(err, model.ErrNotFound) {
		return workflow.Invalid("account_id", "账号不存在")
	}
	if err != nil {
		return err
	}
	if err := s.allow(p, "api_key", "create", a.RegionCode); err != nil {
		return err
	}
	switch {
	case a.Role == string(workflow.RoleAdmin):
		return workflow.Invalid("account_id", "不能为管理员账号创建 API 密钥")
	case a.Disabled:
		return workflow.Invalid("account_id", "账号已停用")
	}
	now := s.clock()
	exp := now.Add(365 * 24 * time.Hour).UTC().Truncate(time.Millisecond)
	if b.ExpiresAt != nil {
		if !b.ExpiresAt.After(now) || b.ExpiresAt.Sub(now) > maxKeyLifetime {
			return workflow.Invalid("expires_at", "有效期须在将来且不超过一年")
		}
		exp = b.ExpiresAt.UTC().Truncate(time.Millisecond)
	}
	k, key, err := s.store.CreateAPIKey(ctx, model.NewAPIKey{AccountID: a.ID, Name: b.Name, CreatedBy: p.account.ID, ExpiresAt: &exp})
	if err != nil {
		return err
	}
	s.log.Info("API key created", "request_id", c.GetString(ctxRequestID), "by", p.account.ID, "account", a.ID, "prefix", k.Prefix)
	v := s.apiKeyView(k)
	v.Key = key
	c.Header("Location", "/api/v1/api-keys/"+idString(k.ID))
	c.JSON(http.StatusCreated, v)
	return nil
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
	k, err := s.store.RevokeAPIKey(c.Request.Context(), p.scope, id)
	if err != nil {
		return err
	}
	s.log.Info("API key revoked", "request_id", c.GetString(ctxRequestID), "by", p.account.ID, "prefix", k.Prefix)
	c.Status(http.StatusNoContent)
	return nil
}
