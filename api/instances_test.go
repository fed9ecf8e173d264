package api_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"qinqing/api"
	"qinqing/configs"
	"qinqing/model"
	"qinqing/policy"
)

// Several instances of the service on one database: what must hold across
// instances is tested with two, each its own store (connection pool, caches)
// and router, on SQLite, on MariaDB, and on the local Galera cluster with
// each instance preferring another node (QINQING_TEST_GALERA=1, after
// deploy/galera/cluster.sh start).

// galeraPorts are the SQL ports of the local cluster's nodes, when the
// Galera tests are on.
func galeraPorts() []string {
	if os.Getenv("QINQING_TEST_GALERA") != "1" {
		return nil
	}
	first := 3311
	if p := os.Getenv("QINQING_GALERA_SQL_PORT"); p != "" {
		fmt.Sscan(p, &first)
	}
	return []string{fmt.Sprint(first), fmt.Sprint(first + 1), fmt.Sprint(first + 2)}
}

// mysqlParams are the parameters of every test DSN.
const mysqlParams = "charset=utf8mb4&collation=utf8mb4_unicode_ci&parseTime=true&loc=UTC&time_zone=%27%2B00%3A00%27"

// galeraDB creates a scratch database on the cluster (dropped at the end)
// and returns its name.
func galeraDB(t testing.TB, ports []string) string {
	t.Helper()
	root, err := sql.Open("mysql", "root@tcp(127.0.0.1:"+ports[0]+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "qq_galera_" + hex.EncodeToString(b[:])
	if _, err := root.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create a database on the Galera cluster (is it running? deploy/galera/cluster.sh start): %v", err)
	}
	t.Cleanup(func() {
		for _, p := range ports { // whichever node is up
			if r, err := sql.Open("mysql", "root@tcp(127.0.0.1:"+p+")/"); err == nil {
				_, err = r.Exec("DROP DATABASE IF EXISTS " + name)
				r.Close()
				if err == nil {
					return
				}
			}
		}
	})
	return name
}

// nodeListDSN is the DSN of database name on the cluster's nodes in the
// order of ports (the first is the instance's preferred node).
func nodeListDSN(name string, ports ...string) string {
	addrs := make([]string, len(ports))
	for i, p := range ports {
		addrs[i] = "127.0.0.1:" + p
	}
	return "root@tcp(" + strings.Join(addrs, ",") + ")/" + name + "?" + mysqlParams
}

// instancePair returns, per database, the DSNs two instances use.
func instancePairs(t *testing.T) map[string][2]string {
	out := map[string][2]string{}
	sqlite := configs.SQLiteDSN(t.TempDir())
	out["sqlite"] = [2]string{sqlite, sqlite}
	if os.Getenv("QINQING_TEST_MYSQL_DSN") != "" {
		dsn := mysqlTestDB(t)
		out["mysql"] = [2]string{dsn, dsn}
	}
	if ports := galeraPorts(); ports != nil {
		name := galeraDB(t, ports)
		out["galera"] = [2]string{nodeListDSN(name, ports[0], ports[1], ports[2]), nodeListDSN(name, ports[1], ports[2], ports[0])}
	}
	return out
}

// newInstance starts one instance of the service on dsn with the clock
// shared by all instances of a test (and the JWT secret of every test
// server). The first instance on a database migrates it.
func newInstance(t testing.TB, driver, dsn string, clock *fakeClock, tweak func(*configs.Config)) *testServer {
	t.Helper()
	cfg, err := configs.Load("", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.RateLimit.RPS = 0
	cfg.DB.Driver, cfg.DB.DSN, cfg.DB.MaxOpenConns = driver, dsn, 8
	cfg.DataDir = t.TempDir() // the attachments' folder, never the source tree
	if driver == "galera" {
		cfg.DB.Driver = "mysql"
	}
	if tweak != nil {
		tweak(&cfg)
	}
	raw, err := configs.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := model.NewReference(raw)
	if err != nil {
		t.Fatal(err)
	}
	store, err := model.OpenStore(context.Background(), cfg, ref, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	authz, err := policy.New(ref.Parents)
	if err != nil {
		t.Fatal(err)
	}
	hasher := testHasher()
	if _, err := store.EnsureAdmin(context.Background(), hasher, testPassword, "330200"); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Deps{Store: store, Ref: ref, Authz: authz, Config: cfg, Hasher: hasher,
		JWTSecret: []byte(strings.Repeat("k", 32)), Registry: prometheus.NewRegistry(), Clock: clock.Now,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &testServer{t: t, driver: cfg.DB.Driver, url: hs.URL, srv: srv, store: store, db: store.DB(), clock: clock, ref: raw,
		tokens: map[string]cachedToken{}, ids: map[string]string{}}
}

// twoInstances starts two instances on the DSNs of pair and seeds the
// fixture world through the first.
func twoInstances(t *testing.T, driver string, pair [2]string, tweak func(*configs.Config)) (a, b *testServer) {
	t.Helper()
	clock := &fakeClock{now: harnessEpoch}
	a = newInstance(t, driver, pair[0], clock, tweak)
	b = newInstance(t, driver, pair[1], clock, tweak)
	a.seed(t)
	for k, v := range a.ids {
		b.ids[k] = v
	}
	return a, b
}

// TestTwoInstances: what must hold across instances, with two.
func TestTwoInstances(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{} // delivery id → deliveries received
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		seen[r.Header.Get("X-Qinqing-Delivery")]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	for driver, pair := range instancePairs(t) {
		t.Run(driver, func(t *testing.T) {
			a, b := twoInstances(t, driver, pair, func(c *configs.Config) {
				c.DemoLimit.Duration = 5 * time.Minute // every deadline: overdue once the clock moves on
				c.Webhooks = []configs.Webhook{{URL: recv.URL + "/" + driver, Secret: "s", Events: []string{"overdue"}}}
			})
			both := []*testServer{a, b}

			t.Run("read your writes", func(t *testing.T) {
				// Written through one instance, read at once through the other.
				for i := range 20 {
					w, r := both[i%2], both[(i+1)%2]
					id := w.fileRequest(t, "ent_hs", "")["id"].(string)
					got := r.as(t, "ent_hs", "GET", reqPath(id), nil).want(http.StatusOK).obj()
					if got["status"] != "submitted" {
						t.Fatalf("read through the other instance: %v", got["status"])
					}
					r.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
					if s := w.as(t, "acfic_hs", "GET", reqPath(id), nil).want(http.StatusOK).obj()["status"]; s != "assigned" {
						t.Fatalf("after assign through the other instance: %v", s)
					}
				}
			})

			t.Run("idempotency key", func(t *testing.T) {
				// The same key through both instances at once: one request, one answer.
				for round := range 5 {
					key := fmt.Sprintf("two-instances-%s-%d", driver, round)
					body := map[string]any{"title": "幂等 " + key, "content": "c", "category": "policy"}
					ids := make([]string, 2)
					var wg sync.WaitGroup
					for i, ts := range both {
						wg.Add(1)
						go func() {
							defer wg.Done()
							res := ts.as(t, "ent_hs", "POST", "/api/v1/requests", body, "Idempotency-Key", key)
							if res.status != http.StatusCreated {
								t.Errorf("instance %d: %d %s", i, res.status, res.body)
								return
							}
							ids[i] = res.obj()["id"].(string)
						}()
					}
					wg.Wait()
					var n int64
					a.db.Model(&model.Request{}).Where("title = ?", "幂等 "+key).Count(&n)
					if ids[0] != ids[1] || n != 1 {
						t.Errorf("key %s: answers %v, %d requests stored", key, ids, n)
					}
				}
			})

			t.Run("parallel transitions", func(t *testing.T) {
				id := a.fileRequest(t, "ent_hs", "")["id"].(string)
				b.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
				tok := a.login(t, "dept_hs_scjg")
				var wg sync.WaitGroup
				codes := make([]int, 8)
				for i := range codes {
					wg.Add(1)
					go func() {
						defer wg.Done()
						codes[i] = both[i%2].do(t, tok, "POST", reqPath(id, "/transitions"), map[string]any{"action": "claim"}).status
					}()
				}
				wg.Wait()
				ok := 0
				for _, c := range codes {
					switch c {
					case http.StatusOK:
						ok++
					case http.StatusConflict:
					default:
						t.Errorf("a claim answered %d", c)
					}
				}
				var claims int64
				a.db.Model(&model.Event{}).Where("case_id = ? AND action = ?", mustID(t, id), "claim").Count(&claims)
				if ok != 1 || claims != 1 {
					t.Errorf("8 claims through two instances: %d × 200 (%v), %d claim events; want one", ok, codes, claims)
				}
			})

			t.Run("logout and disable", func(t *testing.T) {
				// A token is checked against the database at most
				// credential_cache (1 s) after another instance ended it.
				login := func(ts *testServer, user string) string {
					var v struct {
						AccessToken string `json:"access_token"`
					}
					ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": testPassword}).
						want(http.StatusOK).decode(&v)
					return v.AccessToken
				}
				tok := login(a, "station_hs")
				b.do(t, tok, "GET", "/api/v1/me", nil).want(http.StatusOK) // remembered by b
				a.do(t, tok, "POST", "/api/v1/auth/logout", nil).want(http.StatusNoContent)
				a.do(t, tok, "GET", "/api/v1/me", nil).want(http.StatusUnauthorized)
				a.clock.Advance(time.Second + time.Millisecond)
				b.do(t, tok, "GET", "/api/v1/me", nil).want(http.StatusUnauthorized)

				tok = login(b, "insp_yz")
				a.do(t, tok, "GET", "/api/v1/me", nil).want(http.StatusOK)
				b.as(t, "admin", "PATCH", "/api/v1/users/"+a.ids["user_insp_yz"], map[string]any{"disabled": true}).want(http.StatusOK)
				b.do(t, tok, "GET", "/api/v1/me", nil).want(http.StatusUnauthorized)
				a.clock.Advance(time.Second + time.Millisecond)
				a.do(t, tok, "GET", "/api/v1/me", nil).want(http.StatusUnauthorized)
			})

			t.Run("scanners and webhooks", func(t *testing.T) {
				// Every open step is overdue: both instances scan at once,
				// each step gets one overdue event (and a request one 督办);
				// both dispatchers deliver at once, each delivery once.
				a.clock.Advance(10 * time.Minute)
				var wg sync.WaitGroup
				for _, ts := range both {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range 3 {
							if _, err := ts.store.Scan(t.Context()); err != nil {
								t.Logf("scan: %v (again at the next pass)", err)
							}
						}
					}()
				}
				wg.Wait()
				for _, ts := range both {
					if _, err := ts.store.Scan(t.Context()); err != nil {
						t.Fatal(err)
					}
				}
				var dupOverdue, dupSupervise, overdue int64
				a.db.Raw("SELECT COUNT(*) FROM (SELECT case_kind, case_id, step, step_due_at FROM events WHERE action = 'overdue' " +
					"GROUP BY case_kind, case_id, step, step_due_at HAVING COUNT(*) > 1) d").Scan(&dupOverdue)
				a.db.Raw("SELECT COUNT(*) FROM (SELECT case_id FROM events WHERE action = 'supervise' AND actor_role = 'system' " +
					"GROUP BY case_id HAVING COUNT(*) > 1) d").Scan(&dupSupervise)
				a.db.Model(&model.Event{}).Where("action = ?", "overdue").Count(&overdue)
				var open int64
				a.db.Model(&model.Request{}).Where("status IN ?", []string{"submitted", "assigned", "in_progress"}).Count(&open)
				if dupOverdue != 0 || dupSupervise != 0 || overdue < open || open == 0 {
					t.Errorf("%d steps with two overdue events, %d requests with two 督办; %d overdue events for %d open requests",
						dupOverdue, dupSupervise, overdue, open)
				}

				dispatchers := []*model.Dispatcher{model.NewDispatcher(a.store, slog.New(slog.DiscardHandler)),
					model.NewDispatcher(b.store, slog.New(slog.DiscardHandler))}
				for range 2 {
					for _, d := range dispatchers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for {
								n, f, err := d.DeliverOnce(t.Context())
								if err != nil {
									t.Logf("deliver: %v (again at the next pass)", err)
								}
								if err == nil && n+f == 0 {
									return
								}
							}
						}()
					}
				}
				wg.Wait()
				var rows int64
				a.db.Model(&model.WebhookDelivery{}).Where("url = ?", recv.URL+"/"+driver).Count(&rows)
				var pending int64
				a.db.Model(&model.WebhookDelivery{}).Where("url = ? AND status <> ?", recv.URL+"/"+driver, "delivered").Count(&pending)
				var ids []string
				a.db.Model(&model.WebhookDelivery{}).Where("url = ?", recv.URL+"/"+driver).Pluck("delivery_id", &ids)
				mu.Lock()
				twice := 0
				for _, id := range ids {
					if seen[id] != 1 {
						twice++
					}
				}
				mu.Unlock()
				if rows != overdue || pending != 0 || twice != 0 {
					t.Errorf("%d outbox rows for %d overdue events, %d not delivered, %d not received exactly once", rows, overdue, pending, twice)
				}
			})

			t.Run("index runs", func(t *testing.T) {
				// Two runs of one period at once: two clean versions.
				type run struct {
					ID      string `json:"id"`
					Version int    `json:"version"`
					Period  string `json:"period"`
				}
				runs := make([]run, 2)
				var wg sync.WaitGroup
				for i, ts := range both {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res := ts.as(t, "acfic_city", "POST", "/api/v1/index/runs", map[string]string{"period": "2026-Q3"})
						if res.status != http.StatusCreated {
							t.Errorf("instance %d: %d %s", i, res.status, res.body)
							return
						}
						res.decode(&runs[i])
					}()
				}
				wg.Wait()
				if runs[0].Version+runs[1].Version != 3 || runs[0].ID == runs[1].ID {
					t.Fatalf("two runs at once: %+v; want versions 1 and 2", runs)
				}
				for _, r := range runs {
					var got run
					b.as(t, "acfic_city", "GET", "/api/v1/index/runs/"+r.ID, nil).want(http.StatusOK).decode(&got)
					if got != r {
						t.Errorf("run %s reads back as %+v", r.ID, got)
					}
				}
			})

			if c := model.Cluster(a.db); c != nil {
				ca, _ := a.store.TxRetries()
				cb, _ := b.store.TxRetries()
				t.Logf("%s: transactions run again after a conflict: %d and %d; Galera %v", driver, ca, cb, c.Galera.Load())
			}
			for i, ts := range both {
				var v auditAnswer
				ts.as(t, "insp_city", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK).decode(&v)
				if !v.OK {
					t.Errorf("instance %d: audit %+v", i, v)
				}
			}
		})
	}
}

// TestSharedLimitsAcrossInstances: on a database several instances share,
// an account's failed sign-ins and its request rate are counted once for
// all of them, so two instances behind a balancer do not give an attacker
// two budgets. (SQLite serves one process: its counts stay in memory.)
func TestSharedLimitsAcrossInstances(t *testing.T) {
	for driver, pair := range instancePairs(t) {
		if driver == "sqlite" {
			continue
		}
		t.Run(driver, func(t *testing.T) {
			clock := &fakeClock{now: harnessEpoch}
			limit := func(c *configs.Config) {
				c.RateLimit.RPS, c.RateLimit.Burst = 0.05, 30 // a token per 20 s: none refills during the test
			}
			a := newInstance(t, driver, pair[0], clock, limit)
			b := newInstance(t, driver, pair[1], clock, limit)
			both := []*testServer{a, b}
			a.newAccount(t, "shared_insp", "inspector", "330203")
			login := func(ts *testServer, pw string) *response {
				return ts.do(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": "shared_insp", "password": pw})
			}
			// Five failures spread over both instances exhaust the account's
			// budget on both.
			for i := range 5 {
				login(both[i%2], "wrong-"+strconv.Itoa(i)).wantProblem(http.StatusUnauthorized, "unauthenticated")
			}
			for _, ts := range both {
				login(ts, testPassword).wantProblem(http.StatusTooManyRequests, "rate_limited")
			}
			a.clock.Advance(15*time.Minute + time.Second)
			p := a.signIn(t, "shared_insp", testPassword)

			// Thirty requests a burst for the account, whichever instance
			// serves them.
			var ok, limited int
			for i := range 40 {
				switch st := both[i%2].do(t, p.Access, "GET", "/api/v1/me", nil).status; st {
				case http.StatusOK:
					ok++
				case http.StatusTooManyRequests:
					limited++
				default:
					t.Fatalf("GET /me: %d", st)
				}
			}
			if ok != 30 || limited != 10 {
				t.Fatalf("40 requests over two instances: %d × 200, %d × 429; want 30 and 10 (one bucket of 30)", ok, limited)
			}
		})
	}
}
