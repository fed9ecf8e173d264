package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"qinqing/configs"
	"qinqing/model"
)

// TestPasswordHashingBounded: parallel sign-ins hash at most one password
// per core at once (argon2id takes 19 MiB and a core per hash; unbounded,
// 32 parallel sign-ins took the process from 96 MB to 1.27 GB); the rest
// wait for a slot, and past hash_wait answer 503 with Retry-After.
func TestPasswordHashingBounded(t *testing.T) {
	t.Parallel()
	logins := func(t *testing.T, ts *testServer, n int) map[int]int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		count := map[int]int{}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := ts.do(t, "", "POST", "/api/v1/auth/login",
					map[string]string{"username": "hash_" + strconv.Itoa(i%4), "password": testPassword})
				if res.status == http.StatusServiceUnavailable {
					res.wantProblem(http.StatusServiceUnavailable, "unavailable")
					if res.header.Get("Retry-After") == "" {
						t.Error("503 without Retry-After")
					}
				}
				mu.Lock()
				count[res.status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return count
	}
	slots := int64(max(1, runtime.GOMAXPROCS(0)-1))
	t.Run("waits", func(t *testing.T) {
		eachDB(t, func(t *testing.T, ts *testServer) {
			for i := range 4 {
				ts.newAccount(t, "hash_"+strconv.Itoa(i), "inspector", "330203")
			}
			ts.hasher.peak.Store(0)
			ts.hasher.delay.Store(int64(50 * time.Millisecond))
			count := logins(t, ts, 16)
			if count[http.StatusOK] != 16 {
				t.Fatalf("16 parallel sign-ins: %v; want 16 × 200", count)
			}
			if p := ts.hasher.peak.Load(); p > slots {
				t.Fatalf("%d password hashes ran at once; want at most %d (the cores less one)", p, slots)
			}
		})
	})
	t.Run("503 past hash_wait", func(t *testing.T) {
		eachDBWith(t, func(c *configs.Config) { c.HashWait = 20 * time.Millisecond }, func(t *testing.T, ts *testServer) {
			for i := range 4 {
				ts.newAccount(t, "hash_"+strconv.Itoa(i), "inspector", "330203")
			}
			ts.hasher.delay.Store(int64(300 * time.Millisecond))
			count := logins(t, ts, 8)
			if count[http.StatusServiceUnavailable] == 0 || count[http.StatusOK] == 0 ||
				count[http.StatusOK]+count[http.StatusServiceUnavailable] != 8 {
				t.Fatalf("8 parallel sign-ins with 300 ms hashes and a 20 ms wait: %v; want some 200 and the rest 503", count)
			}
		})
	})
}

// TestEndedSessionsPurged: the scanner deletes sessions (and their refresh
// tokens) once their absolute end is more than 180 days past, so sign-ins
// cannot grow the sessions table without bound.
func TestEndedSessionsPurged(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		id := ts.newAccount(t, "purge_insp", "inspector", "330203")
		for range 3 {
			ts.signIn(t, "purge_insp", testPassword)
		}
		count := func() (sessions, tokens int64) {
			ts.db.Table("auth_sessions").Where("account_id = ?", id).Count(&sessions)
			ts.db.Table("refresh_tokens").Where("account_id = ?", id).Count(&tokens)
			return
		}
		scan := func() {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				ts.store.RunScanner(ctx, time.Hour, slog.New(slog.DiscardHandler), func(model.ScanResult, model.DeadlineCounts) { cancel() })
			}()
			<-done
		}
		ts.clock.Advance(179 * 24 * time.Hour)
		scan()
		if s, _ := count(); s != 3 {
			t.Fatalf("%d sessions left 179 days on; want 3 (kept 180 days after their end)", s)
		}
		ts.clock.Advance(2 * 24 * time.Hour)
		scan()
		if s, r := count(); s != 0 || r != 0 {
			t.Fatalf("%d sessions and %d refresh tokens left 181 days after their end; want 0", s, r)
		}
	})
}

// TestBadCredentialsThrottled: an address that sends 60 bearer tokens or
// API keys that fail authentication within 15 minutes is answered 429 with
// Retry-After for any credential, without it being looked at, until the
// window frees; a token that merely expired is not counted.
func TestBadCredentialsThrottled(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		good := ts.login(t, "admin")
		// expired tokens do not count
		ts.clock.Advance(16 * time.Minute)
		for range 70 {
			ts.do(t, good, "GET", "/api/v1/me", nil).want(http.StatusUnauthorized)
		}
		good = ts.login(t, "admin")
		for i := range 60 {
			if i%2 == 0 {
				ts.do(t, good+"x", "GET", "/api/v1/me", nil).want(http.StatusUnauthorized)
			} else {
				ts.do(t, "", "GET", "/api/v1/me", nil, "Authorization", "ApiKey qqk_guess"+strconv.Itoa(i)).
					want(http.StatusUnauthorized)
			}
		}
		res := ts.do(t, good+"x", "GET", "/api/v1/me", nil)
		res.wantProblem(http.StatusTooManyRequests, "rate_limited")
		if res.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		// the address is blocked for every credential, a good one too
		ts.do(t, good, "GET", "/api/v1/me", nil).wantProblem(http.StatusTooManyRequests, "rate_limited")
		ts.clock.Advance(15 * time.Minute)
		ts.do(t, ts.login(t, "admin"), "GET", "/api/v1/me", nil).want(http.StatusOK)
	})
}
