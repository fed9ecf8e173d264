package api_test

import (
	"net/http"
	"sync"
	"testing"
)

// TestParallel401sKeepTheirDetail: refusals answered at once each carry
// their own detail: a request without credentials says 未登录, one with a
// token in the query string says where credentials go. Under -race (as
// .ci/run runs it) a refusal that wrote into the shared 401 error value
// fails here. (A detail was once set on the one shared value.)
func TestParallel401sKeepTheirDetail(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	cases := []struct{ path, detail string }{
		{"/api/v1/me", "未登录或登录已失效"},
		{"/api/v1/me?access_token=x", "凭据只能放在 Authorization 请求头中，不能放在查询字符串中"},
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cases[i%2]
			p := ts.do(t, "", "GET", c.path, nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
			if p.Detail != c.detail {
				t.Errorf("GET %s: detail %q, want %q", c.path, p.Detail, c.detail)
			}
		}()
	}
	wg.Wait()
}
