package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

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

// The api's own refusals. Their status, code and default detail are in
// errorTable like every other error's.
var (
	errUnauthenticated      = errors.New("api: not signed in")
	errBadCredentials       = errors.New("api: wrong username or password")
	errUnsupportedMedia     = errors.New("api: unsupported media type")
	errRateLimited          = errors.New("api: too many requests")
	errLoginThrottled       = errors.New("api: too many failed sign-ins")
	errCredentialsThrottled = errors.New("api: too many invalid credentials")
	errNoRoute              = errors.New("api: no such route")
	errNoMethod             = errors.New("api: method not allowed")
	errTooLarge             = errors.New("api: body too large")
	errBodyTimeout          = errors.New("api: request body too slow")
	errNotReady             = errors.New("api: database not ready")
	errBusy                 = errors.New("api: password hashing at capacity")
	errValidation           = errors.New("api: validation failed")
	errExportsBusy          = errors.New("api: ledger exports at capacity")
)

// errorTable maps errors to problems: the only place that does. Each row
// gives the status, the stable code and the Chinese detail used unless the
// error carries a more specific one (refuse).
var errorTable = []struct {
	err    error
	status int
	code   string
	detail string
}{
	{model.ErrNotFound, http.StatusNotFound, "not_found", "资源不存在或无权查看"},
	{errNoRoute, http.StatusNotFound, "not_found", "接口不存在"},
	{errNoMethod, http.StatusMethodNotAllowed, "method_not_allowed", "接口不支持此请求方法"},
	{errUnauthenticated, http.StatusUnauthorized, "unauthenticated", "未登录或登录已失效"},
	{errBadCredentials, http.StatusUnauthorized, "unauthenticated", "用户名或密码错误"},
	{model.ErrCredentialInvalid, http.StatusUnauthorized, "unauthenticated", "凭据无效、已过期或已吊销，请重新登录"},
	{policy.ErrForbidden, http.StatusForbidden, "forbidden", "当前角色无权执行此操作"},
	{model.ErrForbidden, http.StatusForbidden, "forbidden", "当前角色无权执行此操作"},
	{workflow.ErrRoleNotAllowed, http.StatusForbidden, "forbidden", "当前角色无权执行此操作"},
	{workflow.ErrOwnProposal, http.StatusForbidden, "forbidden", "不能审批本人提出的处置意见，须由另一名纪检监察人员审批"},
	{workflow.ErrNotParty, http.StatusForbidden, "forbidden", "只有该事项的相关方才能执行此操作"},
	{workflow.ErrRecused, http.StatusForbidden, "recused", "线索涉及本人，须回避"},
	{workflow.ErrAgendaLate, http.StatusConflict, "invalid_transition", "已过议程最迟发布时间（会前 agenda_days 个自然日），请取消后另定会期"},
	{workflow.ErrMeetingNotYet, http.StatusConflict, "invalid_transition", "会议日期未到，不能记录召开情况"},
	{workflow.ErrNoAgenda, http.StatusConflict, "invalid_transition", "议程为空：请填写议程，或先汇集共性问题"},
	{workflow.ErrInvalidTransition, http.StatusConflict, "invalid_transition", "当前状态不允许此操作"},
	{model.ErrRunPublished, http.StatusConflict, "invalid_transition", "该测算已发布；已发布的指数不可更改，如需更正请重新测算并发布新版本"},
	{model.ErrNotConfirmed, http.StatusConflict, "not_confirmed", "该期间的指标数据尚未经工商联确认，不能发布"},
	{model.ErrIncomplete, http.StatusConflict, "incomplete", "该期间尚有指标值未报送"},
	{model.ErrNewerPublished, http.StatusConflict, "conflict", "该期间已发布更新的版本，不能再发布较早的版本"},
	{workflow.ErrUnknownAction, http.StatusBadRequest, "validation_failed", "未知的操作"},
	{errValidation, http.StatusBadRequest, "validation_failed", "请求参数有误"},
	{model.ErrVersionConflict, http.StatusConflict, "conflict", "数据已被他人修改，请刷新后重试"},
	{model.ErrExemptionOpen, http.StatusConflict, "conflict", "该线索或诉求已有办理中的容错免责申请"},
	{model.ErrConflict, http.StatusConflict, "conflict", "数据已存在"},
	{model.ErrIdempotencyMismatch, http.StatusUnprocessableEntity, "idempotency_key_reused", "同一幂等键已用于不同的请求内容"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "payload_too_large", "请求体超过 1 MiB 上限"},
	{errBodyTimeout, http.StatusRequestTimeout, "request_timeout", "请求体接收超时，请重新提交"},
	{errUnsupportedMedia, http.StatusUnsupportedMediaType, "unsupported_media_type", "请求体须为 application/json"},
	{errRateLimited, http.StatusTooManyRequests, "rate_limited", "请求过于频繁，请稍后再试"},
	{errLoginThrottled, http.StatusTooManyRequests, "rate_limited", "登录失败次数过多，请稍后再试"},
	{errCredentialsThrottled, http.StatusTooManyRequests, "rate_limited", "无效凭据过多，请稍后再试"},
	{errBusy, http.StatusServiceUnavailable, "unavailable", "登录请求过多，请稍后重试"},
	{errExportsBusy, http.StatusServiceUnavailable, "unavailable", "导出任务较多，请稍后重试"},
	{errNotReady, http.StatusServiceUnavailable, "unavailable", "数据库不可用"},
	{model.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "服务暂时不可用，请稍后重试"},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "timeout", "处理超时，请稍后重试"},
}

// refusal is an error of the table with what the table cannot know: a
// more specific Chinese detail, the fields concerned, a Retry-After.
type refusal struct {
	err        error
	detail     string
	fields     []workflow.FieldError
	retryAfter int
}

func (r *refusal) Error() string { return r.err.Error() + ": " + r.detail }
func (r *refusal) Unwrap() error { return r.err }

// refuse attaches a specific detail (and the fields concerned) to err, one
// of the table's errors, which still decides the status and the code.
func refuse(err error, detail string, fields ...workflow.FieldError) error {
	return &refusal{err: err, detail: detail, fields: fields}
}

// retryAfter attaches a Retry-After of secs seconds (at least 1) to err.
func retryAfter(err error, secs int) error {
	r := &refusal{err: err}
	var prev *refusal
	if errors.As(err, &prev) {
		r.err, r.detail, r.fields = prev.err, prev.detail, prev.fields
	}
	r.retryAfter = max(1, secs)
	return r
}

// toProblem turns any error into the problem to send: each field's
// message names it in Chinese, and so does the detail of a 400.
func toProblem(err error) *Problem {
	p := rawProblem(err)
	if len(p.Errors) > 0 {
		p.Errors = labelledErrors(p.Errors)
		if p.Detail == tableProblem(errValidation).Detail {
			msgs := make([]string, 0, min(len(p.Errors), 5))
			for _, e := range p.Errors[:cap(msgs)] {
				msgs = append(msgs, e.Message)
			}
			p.Detail += "：" + strings.Join(msgs, "；")
			if len(p.Errors) > len(msgs) {
				p.Detail += "等 " + strconv.Itoa(len(p.Errors)) + " 处"
			}
		}
	}
	return p
}

// rawProblem is toProblem with the fields' messages as the checks worded
// them, for a form that shows each beside its own label (console.problem).
func rawProblem(err error) *Problem {
	var p *Problem
	switch ve, tooBig := (*workflow.ValidationError)(nil), (*http.MaxBytesError)(nil); {
	case errors.As(err, &ve):
		p = tableProblem(errValidation)
		p.Errors = ve.Errors
	case errors.As(err, &tooBig):
		p = tableProblem(errTooLarge)
	default:
		p = tableProblem(err)
	}
	var r *refusal
	if errors.As(err, &r) {
		if r.detail != "" {
			p.Detail = r.detail
		}
		if len(r.fields) > 0 {
			p.Errors = r.fields
		}
		if r.retryAfter > 0 {
			p.RetryAfter = r.retryAfter
		}
	}
	return p
}

// barePredicates begin the messages that do not name their field (the
// workflow's "为必填字段", "不能为空"…): the field's label is put before them.
var barePredicates = []string{"为必填字段", "不能为空", "长度不能超过", "必须是", "须为", "不能包含", "只能包含", "格式"}

// labelledErrors words each message with its field's Chinese label
// (fieldLabels): the validator's "title为必填字段" reads "标题为必填字段",
// the workflow's "为必填字段" for reason "理由为必填字段", and "该操作不接受此
// 字段" for note "该操作不接受备注". Messages that name the field in
// Chinese already are kept.
func labelledErrors(errs []workflow.FieldError) []workflow.FieldError {
	out := make([]workflow.FieldError, len(errs))
	for i, e := range errs {
		label := fieldLabel(e.Field)
		name := e.Field[strings.LastIndexAny(e.Field, ".]")+1:]
		switch {
		case name != "" && strings.HasPrefix(e.Message, name):
			e.Message = label + e.Message[len(name):]
		case strings.Contains(e.Message, "此字段"):
			e.Message = strings.Replace(e.Message, "此字段", label, 1)
		case slices.ContainsFunc(barePredicates, func(p string) bool { return strings.HasPrefix(e.Message, p) }):
			e.Message = label + e.Message
		}
		out[i] = e
	}
	return out
}

// tableProblem is the problem of err's row in errorTable (500 when none).
func tableProblem(err error) *Problem {
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			p := &Problem{Type: "about:blank", Title: http.StatusText(e.status), Status: e.status, Code: e.code, Detail: e.detail}
			if e.status == http.StatusServiceUnavailable {
				p.RetryAfter = 1
			}
			return p
		}
	}
	return &Problem{Type: "about:blank", Title: http.StatusText(http.StatusInternalServerError),
		Status: http.StatusInternalServerError, Code: "internal", Detail: "服务器内部错误"}
}

// writeProblem sends err as application/problem+json. 500s are logged with
// the request id; their body never carries the error text.
func (s *Server) writeProblem(c *gin.Context, err error) {
	p := toProblem(err)
	p.Instance = c.Request.URL.Path
	if errors.Is(err, errBusy) {
		s.log.Warn("密码哈希槽位已满，登录请求返回 503", "request_id", c.GetString(ctxRequestID), "path", c.FullPath())
	} else if p.Status >= 500 {
		s.log.Error("请求处理失败", "request_id", c.GetString(ctxRequestID), "path", c.FullPath(), "err", err)
		if p.Status == http.StatusInternalServerError {
			p.Detail = "服务器内部错误（请求编号 " + c.GetString(ctxRequestID) + "）"
		}
	} else {
		s.log.Debug("请求被拒绝", "request_id", c.GetString(ctxRequestID), "status", p.Status, "err", err)
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
