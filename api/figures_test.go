package api_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

// TestConsoleFiguresCache: the board's counts come from the figure cache.
// A filing through this instance shows at once; a write the instance did
// not make (another instance's, made here straight in the database) shows
// once figures_cache (30 s by default) has passed, while the board's list
// and the API, read per request, show it at once.
func TestConsoleFiguresCache(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		first := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.fileRequest(t, "ent_hs", "")
		board := ts.consoleAs(t, "acfic_hs")
		if n := tally(t, board.get("/deadlines").want(t, http.StatusOK).body, "全部"); n != 2 {
			t.Fatalf("全部 %d, want 2", n)
		}
		ts.fileRequest(t, "ent_hs", "")
		if n := tally(t, board.get("/deadlines").want(t, http.StatusOK).body, "全部"); n != 3 {
			t.Errorf("after a filing through this instance: 全部 %d, want 3 at once", n)
		}

		// Another instance withdraws the first request.
		if err := ts.db.Exec("UPDATE requests SET status = ?, due_at = NULL WHERE id = ?", "withdrawn", mustID(t, first)).Error; err != nil {
			t.Fatal(err)
		}
		p := board.get("/deadlines").want(t, http.StatusOK)
		if n := tally(t, p.body, "全部"); n != 3 {
			t.Errorf("within figures_cache: 全部 %d, want the cached 3", n)
		}
		if links := boardLinks(p.body); len(links) != 2 {
			t.Errorf("the board's list shows %d items, want 2 (it is read per page)", len(links))
		}
		if got := len(apiBoard(t, ts, "acfic_hs", "")); got != 2 {
			t.Errorf("the API lists %d, want 2 at once", got)
		}
		ts.clock.Advance(31 * time.Second)
		if n := tally(t, board.get("/deadlines").want(t, http.StatusOK).body, "全部"); n != 2 {
			t.Errorf("after figures_cache: 全部 %d, want 2", n)
		}
	})
}

// TestConsoleStatsServedWhileRecomputed: the statistics page's figures are
// period figures. Within figures_cache a filing does not recompute them
// (the page says when they were computed); past it the page still answers
// at once with the figures it has, and the next views show the ones a
// computation in the background made.
func TestConsoleStatsServedWhileRecomputed(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ts.fileRequest(t, "ent_hs", "")
		stats := ts.consoleAs(t, "acfic_city")
		computedAt := func() string {
			t.Helper()
			body := stats.get("/stats").want(t, http.StatusOK).body
			m := regexp.MustCompile(`计算时间 ([0-9-]+ [0-9:]+)`).FindStringSubmatch(body)
			if m == nil {
				t.Fatal("the statistics page does not say when its figures were computed")
			}
			return m[1]
		}
		first := computedAt()
		ts.fileRequest(t, "ent_hs", "")
		ts.clock.Advance(10 * time.Second)
		if got := computedAt(); got != first {
			t.Errorf("within figures_cache the page recomputed: %s, then %s", first, got)
		}
		ts.clock.Advance(2 * time.Minute)
		if got := computedAt(); got != first {
			t.Errorf("past figures_cache the first view waited for new figures (%s), want the old ones (%s) at once", got, first)
		}
		deadline := time.Now().Add(10 * time.Second)
		for computedAt() == first {
			if time.Now().After(deadline) {
				t.Fatal("the figures were not computed again in the background")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
