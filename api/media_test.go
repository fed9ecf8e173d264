package api_test

import (
	"net/http"
	"testing"
)

// TestBodiesMustBeJSON: a body sent as another media type is refused with
// 415 and files nothing.
func TestBodiesMustBeJSON(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		body := `{"title":"标题","content":"内容","category":"policy"}`
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", body, "Content-Type", "text/plain").
			wantProblem(http.StatusUnsupportedMediaType, "unsupported_media_type")
		list := ts.as(t, "ent_hs", "GET", "/api/v1/requests", nil).want(http.StatusOK).obj()
		if n := len(list["items"].([]any)); n != 0 {
			t.Fatalf("%d requests filed by a refused body", n)
		}
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", body, "Content-Type", "application/json; charset=utf-8").want(http.StatusCreated)
	})
}
