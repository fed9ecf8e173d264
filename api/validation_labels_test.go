package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestValidationMessagesNameFieldsInChinese: a real 400 words each field's
// message with its Chinese label, in errors[] and in the detail, whether
// the validator refused it (a request without title) or the workflow (an
// action without its reason). (Found failing: "title为必填字段" and a bare
// "为必填字段"; the detail said only 请求参数有误.)
func TestValidationMessagesNameFieldsInChinese(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		p := ts.as(t, "ent_hs", "POST", "/api/v1/requests",
			map[string]any{"content": "需要协调用地", "category": "policy", "title": ""}).
			wantProblem(http.StatusBadRequest, "validation_failed")
		if len(p.Errors) != 1 || p.Errors[0].Field != "title" || p.Errors[0].Message != "标题为必填字段" {
			t.Errorf("errors %+v, want title: 标题为必填字段", p.Errors)
		}
		if p.Detail != "请求参数有误：标题为必填字段" {
			t.Errorf("detail %q, want 请求参数有误：标题为必填字段", p.Detail)
		}
		p = ts.as(t, "ent_hs", "POST", "/api/v1/requests",
			map[string]any{"content": "需要协调用地", "category": "policy", "title": strings.Repeat("长", 201)}).
			wantProblem(http.StatusBadRequest, "validation_failed")
		if len(p.Errors) != 1 || !strings.HasPrefix(p.Errors[0].Message, "标题长度不能超过") {
			t.Errorf("errors %+v, want 标题长度不能超过…", p.Errors)
		}
		r := ts.fileRequest(t, "ent_hs", "")
		p = ts.act(t, "acfic_hs", r["id"].(string), "reject", map[string]any{}).
			wantProblem(http.StatusBadRequest, "validation_failed")
		if len(p.Errors) != 1 || p.Errors[0].Field != "reason" || p.Errors[0].Message != "理由为必填字段" {
			t.Errorf("reject without reason: errors %+v, want reason: 理由为必填字段", p.Errors)
		}
		for _, e := range p.Errors {
			if strings.Contains(e.Message, e.Field) {
				t.Errorf("message %q names the field by its JSON name", e.Message)
			}
		}
	})
}
