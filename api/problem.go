package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

// Problem is an RFC 9457 problem response.
type Problem struct {
	Type     string                `json:"type"`
	Title    string                `json:"title"`
	Status   int                   `json:"status"`
	Detail   string                `json:"detail"`
	Code     string                `json:"code"`
	Instance string                `json:"instance,omitempty"`
	Errors   []workflow.FieldError `json:"errors,omitempty"`
	// RetryAfter (seconds) is sent as the Retry-After header, not in the body.
	RetryAfter int `json:"-"`
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// problem builds a problem of a known code with a detail for people.
func problem(status int, code, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// Problem codes and their Chinese defaults: the only table that maps errors to HTTP.
var errorTable = []struct {
	err    error
	status int
	code   string
	detail string
}{
	{model.ErrNotFound, http.StatusNotFound, "not_found", "资源不存在或无权查看"},
	{model.ErrCredentialInvalid, http.StatusUnauthorized, "unauthenticated", "凭据无效、已过期或已吊销，请重新登录"},
	{policy.ErrForbidden, http.StatusForbidden, "forbidden", "当前角色无权执行此操作"},
	{workflow.ErrRoleNotAllowed, http.StatusForbidden, "forbidden", "当前角色无权执行此操作"},
	{workflow.ErrNotParty, http.StatusForbidden, "forbidden", "只有该事项的相关方才能执行此操作"},
	{workflow.ErrRecused, http.StatusForbidden, "recused", "线索涉及本人，须回避"},
	{workflow.ErrInvalidTransition, http.StatusConflict, "invalid_transition", "当前状态不允许此操作"},
	{workflow.ErrUnknownAction, http.StatusBadRequest, "validation_failed", "未知的操作"},
	{model.ErrVersionConflict, http.StatusConflict, "conflict", "数据已被他人修改，请刷新后重试"},
	{model.ErrConflict, http.StatusConflict, "conflict", "数据已存在"},
	{model.ErrIdempotencyMismatch, http.StatusUnprocessableEntity, "idempotency_key_reused", "同一幂等键已用于不同的请求内容"},
	{model.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "服务暂时不可用，请稍后重试"},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "timeout", "处理超时，请稍后重试"},
}

// toProblem turns any error into the problem to send.
func toProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var ve *workflow.ValidationError
	if errors.As(err, &ve) {
		pr := problem(http.StatusBadRequest, "validation_failed", "请求参数有误")
		pr.Errors = ve.Errors
		return pr
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return problem(http.StatusRequestEntityTooLarge, "payload_too_large", "请求体超过 1 MiB 上限")
	}
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			pr := problem(e.status, e.code, e.detail)
			if e.status == http.StatusServiceUnavailable {
				pr.RetryAfter = 1
			}
			return pr
		}
	}
	return problem(http.StatusInternalServerError, "internal", "服务器内部错误")
}

// writeProblem sends err as application/problem+json. 500s are logged with
// the request id; their body never carries the error text.
func (s *Server) writeProblem(c *gin.Context, err error) {
	p := toProblem(err)
	p.Instance = c.Request.URL.Path
	if p.Status >= 500 {
		s.log.Error("request failed", "request_id", c.GetString(ctxRequestID), "path", c.FullPath(), "err", err)
		if p.Status == http.StatusInternalServerError {
			p.Detail = "服务器内部错误（请求编号 " + c.GetString(ctxRequestID) + "）"
		}
	} else {
		s.log.Debug("request refused", "request_id", c.GetString(ctxRequestID), "status", p.Status, "err", err)
	}
	if p.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(p.Status, p)
}

// h adapts a handler that returns an error to gin.
func (s *Server) h(fn func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			s.writeProblem(c, err)
		}
	}
}
