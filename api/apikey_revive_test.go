package api_test

import (
	"net/http"
	"testing"
)

// TestAPIKeysStayRevokedAfterReEnable: disabling an account revokes its API
// keys; enabling it again does not revive them (README Security).
func TestAPIKeysStayRevokedAfterReEnable(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		id := ts.newAccount(t, "svc_keys", "acfic", "330203")
		key := ts.as(t, "admin", "POST", "/api/v1/api-keys", map[string]any{"account_id": id, "name": "集成"}).
			want(http.StatusCreated).obj()["key"].(string)
		use := func() int { return ts.do(t, "", "GET", "/api/v1/me", nil, "Authorization", "ApiKey "+key).status }
		if st := use(); st != http.StatusOK {
			t.Fatalf("fresh key: %d", st)
		}
		ts.as(t, "admin", "PATCH", "/api/v1/users/"+id, map[string]bool{"disabled": true}).want(http.StatusOK)
		ts.as(t, "admin", "PATCH", "/api/v1/users/"+id, map[string]bool{"disabled": false}).want(http.StatusOK)
		if st := use(); st != http.StatusUnauthorized {
			t.Fatalf("key after disable and re-enable: %d, want 401", st)
		}
	})
}
