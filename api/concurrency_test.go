package api_test

import (
	"net/http"
	"sync"
	"testing"
)

// TestParallelTransitionsOneWins: sixteen clients claim the same request at
// once; exactly one succeeds, every other gets 409, and the timeline holds
// exactly one claim.
func TestParallelTransitionsOneWins(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		tok := ts.login(t, "dept_hs_scjg")
		const n = 16
		statuses := make([]int, n)
		codes := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res := ts.do(t, tok, "POST", reqPath(id, "/transitions"), map[string]any{"action": "claim", "expected_version": 2})
				statuses[i] = res.status
				if res.status != http.StatusOK {
					var p problemBody
					res.decode(&p)
					codes[i] = p.Code
				}
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for i, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				if codes[i] != "conflict" && codes[i] != "invalid_transition" {
					t.Errorf("loser %d: code %q", i, codes[i])
				}
			default:
				t.Errorf("client %d: status %d", i, s)
			}
		}
		if ok != 1 {
			t.Fatalf("%d clients succeeded, want exactly 1 (statuses %v)", ok, statuses)
		}
		r := ts.as(t, "dept_hs_scjg", "GET", reqPath(id), nil).want(http.StatusOK).obj()
		if r["status"] != "in_progress" || r["version"] != float64(3) {
			t.Errorf("after the race: status %v version %v, want in_progress 3", r["status"], r["version"])
		}
		ev := ts.as(t, "dept_hs_scjg", "GET", reqPath(id, "/events"), nil).want(http.StatusOK).obj()
		claims := 0
		for _, e := range ev["items"].([]any) {
			if e.(map[string]any)["action"] == "claim" {
				claims++
			}
		}
		if claims != 1 {
			t.Errorf("%d claim events, want 1", claims)
		}
	})
}
