package model

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"qinqing/configs"
	"qinqing/workflow"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestStore migrates db and returns a store whose every deadline limit is
// demo (e.g. 2s), with tweak applied to the configuration.
func newTestStore(t *testing.T, db *gorm.DB, demo string, tweak func(*configs.Config)) (*Store, *testClock) {
	t.Helper()
	if err := Migrate(db); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load("", func(k string) (string, bool) {
		if k == "QINQING_DEMO_LIMIT" {
			return demo, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(&cfg)
	}
	raw, err := configs.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewReference(raw)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)}
	s := NewStore(db, ref, StoreOptions(cfg), clock.Now)
	if err := s.LoadReference(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, clock
}

var acficCity = Actor{AccountID: 90, Role: workflow.RoleACFIC, RegionCode: "330200"}
var acficScope = Scope{Role: workflow.RoleACFIC, Regions: []string{"330200", "330203"}}

// fileN files n requests for enterprise 1 in 海曙 and assigns the first
// assigned of them to 海曙 市场监管.
func fileN(t *testing.T, s *Store, n, assigned int) []uint64 {
	t.Helper()
	ctx := context.Background()
	var ids []uint64
	for i := 0; i < n; i++ {
		r, _, err := s.CreateRequest(ctx, NewRequest{Title: "t", Content: "c", Category: "policy", EnterpriseID: 1,
			RegionCode: "330203", FiledBy: 7, FilerRole: workflow.RoleEnterprise}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		if i < assigned {
			cmd := workflow.Command{Action: workflow.Assign, Present: []string{"department_code", "region_code"},
				DepartmentCode: "scjg", RegionCode: "330203"}
			if _, err := s.TransitionRequest(ctx, acficScope, acficCity, r.ID, cmd, nil, Guard{Grant: AllRegions()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ids
}

func countEvents(t *testing.T, s *Store, action string) int64 {
	t.Helper()
	var n int64
	if err := s.db.Model(&Event{}).Where("action = ?", action).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestScanMarksOverdueOnceAndEscalates: a request left alone past its
// deadline is marked overdue once, with one overdue event; an assigned one
// is also escalated to 督办 once; a second pass changes nothing.
func TestScanMarksOverdueOnceAndEscalates(t *testing.T) {
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			s, clock := newTestStore(t, db, "2s", nil)
			ids := fileN(t, s, 5, 2)
			var fresh Request
			if err := s.db.Take(&fresh, ids[0]).Error; err != nil {
				t.Fatal(err)
			}
			res, err := s.Scan(context.Background())
			if err != nil || res.Overdue != 0 {
				t.Fatalf("scan before the deadline: %+v %v", res, err)
			}
			var pre Request
			if err := s.db.Take(&pre, ids[1]).Error; err != nil {
				t.Fatal(err)
			}
			clock.Advance(3 * time.Second)
			res, err = s.Scan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Overdue != 5 || res.Supervised != 5 {
				t.Fatalf("first pass: %+v, want 5 overdue, 5 supervised", res)
			}
			res, err = s.Scan(context.Background())
			if err != nil || res.Overdue != 0 || res.Supervised != 0 {
				t.Fatalf("second pass: %+v %v, want nothing new", res, err)
			}
			if n := countEvents(t, s, "overdue"); n != 5 {
				t.Errorf("%d overdue events, want 5", n)
			}
			if n := countEvents(t, s, "supervise"); n != 5 {
				t.Errorf("%d supervise events, want 5", n)
			}
			var r Request
			if err := s.db.Take(&r, ids[0]).Error; err != nil {
				t.Fatal(err)
			}
			if !r.Overdue || !r.Supervised || r.LateSteps != 1 {
				t.Errorf("assigned request after the scan: overdue %v supervised %v late %d", r.Overdue, r.Supervised, r.LateSteps)
			}
			// The scan changed the request: its version moved on, so a
			// transition computed from the version read before it is
			// refused, and the chain of events still verifies.
			before := pre.Version
			var newest Event
			if err := s.db.Where("case_kind = ? AND case_id = ?", "request", ids[0]).Order("id DESC").Take(&newest).Error; err != nil {
				t.Fatal(err)
			}
			if fresh.ChainHead == nil || r.ChainHead == nil || *r.ChainHead != newest.Hash || *fresh.ChainHead == newest.Hash {
				t.Errorf("chain_head before the scans %v (want the assign's hash), after %v (want the scan's last hash %s)",
					fresh.ChainHead, r.ChainHead, newest.Hash)
			}
			unitScope := Scope{Role: workflow.RoleDepartment, DepartmentCode: "scjg", Regions: []string{"330203"}}
			unit0 := Actor{AccountID: 91, Role: workflow.RoleDepartment, RegionCode: "330203", DepartmentCode: "scjg"}
			if _, err := s.TransitionRequest(context.Background(), unitScope, unit0, ids[1], workflow.Command{Action: workflow.Claim},
				&before, Guard{Grant: AllRegions()}); !errors.Is(err, ErrVersionConflict) {
				t.Errorf("transition on the version before the scan: %v, want ErrVersionConflict", err)
			}
			r = Request{}
			if err := s.db.Take(&r, ids[4]).Error; err != nil {
				t.Fatal(err)
			}
			if !r.Overdue || !r.Supervised || r.Status != "submitted" {
				t.Errorf("request left alone: overdue %v supervised %v status %s, want overdue and 督办 in submitted", r.Overdue, r.Supervised, r.Status)
			}
			// A new step starts a new deadline: claim clears overdue and can go overdue again.
			unit := Actor{AccountID: 91, Role: workflow.RoleDepartment, RegionCode: "330203", DepartmentCode: "scjg"}
			if _, err := s.TransitionRequest(context.Background(), Scope{Role: workflow.RoleDepartment, DepartmentCode: "scjg",
				Regions: []string{"330203"}}, unit, ids[0], workflow.Command{Action: workflow.Claim}, nil, Guard{Grant: AllRegions()}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(3 * time.Second)
			if res, _ := s.Scan(context.Background()); res.Overdue != 1 || res.Supervised != 0 {
				t.Errorf("after claim and another 3s: %+v, want the respond step overdue once and no second 督办", res)
			}
			if rep, err := s.VerifyAudit(context.Background()); err != nil || !rep.OK {
				t.Errorf("audit after scans and transitions: %+v %v", rep, err)
			}
		})
	}
}

// TestTwoScannersAtOnce: two instances scanning one database at the same
// time write exactly one overdue event per request, across several batches.
func TestTwoScannersAtOnce(t *testing.T) {
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			s, clock := newTestStore(t, db, "2s", nil)
			const n = scanBatch*2 + 321
			now := s.Now()
			due := now.Add(time.Second)
			rows := make([]Request, n)
			for i := range rows {
				rows[i] = Request{Title: "t", Content: "c", Category: "policy", EnterpriseID: 1, RegionCode: "330203",
					FiledBy: 7, FilerRole: "enterprise", Status: "in_progress", DueAt: &due, StepStartedAt: now,
					RoundStartedAt: now, Version: 1, CreatedAt: now, UpdatedAt: now}
			}
			if err := s.db.CreateInBatches(rows, 500).Error; err != nil {
				t.Fatal(err)
			}
			clock.Advance(2 * time.Second)
			// A second instance: its own store over its own pool on the same database.
			other := NewStore(s.db.Session(&gorm.Session{}), s.ref, s.opt, clock.Now)
			var wg sync.WaitGroup
			var total atomic.Int64
			for _, st := range []*Store{s, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 10; i++ {
						// A pass that fails (the other store's writer held the
						// SQLite file past the busy timeout) still reports the
						// batches it committed; the rest stay for the next scan.
						res, err := st.Scan(context.Background())
						total.Add(int64(res.Overdue))
						if err != nil {
							t.Logf("scan: %v (retried)", err)
							continue
						}
						if res.Overdue == 0 {
							return
						}
					}
				}()
			}
			wg.Wait()
			if got := total.Load(); got != n {
				t.Errorf("scanners reported %d overdue, want %d", got, n)
			}
			if got := countEvents(t, s, "overdue"); got != n {
				t.Errorf("%d overdue events, want %d", got, n)
			}
			var dup int64
			s.db.Raw("SELECT COUNT(*) FROM (SELECT case_id FROM events WHERE action = 'overdue' GROUP BY case_id HAVING COUNT(*) > 1) d").Scan(&dup)
			if dup != 0 {
				t.Errorf("%d requests got more than one overdue event", dup)
			}
			if got := countEvents(t, s, "supervise"); got != n {
				t.Errorf("%d automatic 督办 events, want %d", got, n)
			}
		})
	}
}

// TestScanDueSoonAndExpiry: a reminder once when less than the threshold is
// left, and a responded request closes as 未评价 when its window ends.
func TestScanDueSoonAndExpiry(t *testing.T) {
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			s, clock := newTestStore(t, db, "20s", func(c *configs.Config) { c.DueSoon = workflow.Limit{Duration: 10 * time.Second} })
			ids := fileN(t, s, 3, 0)
			clock.Advance(5 * time.Second)
			if res, _ := s.Scan(context.Background()); res.DueSoon != 0 {
				t.Fatalf("15s left: %+v, want no reminder yet", res)
			}
			clock.Advance(8 * time.Second)
			if res, _ := s.Scan(context.Background()); res.DueSoon != 3 || res.Overdue != 0 {
				t.Fatalf("7s left: %+v, want 3 reminders", res)
			}
			if res, _ := s.Scan(context.Background()); res.DueSoon != 0 {
				t.Fatalf("again: %+v, want none", res)
			}
			// Respond to one, then let its evaluation window pass.
			ctx := context.Background()
			assign := workflow.Command{Action: workflow.Assign, Present: []string{"department_code", "region_code"}, DepartmentCode: "scjg", RegionCode: "330203"}
			if _, err := s.TransitionRequest(ctx, acficScope, acficCity, ids[0], assign, nil, Guard{Grant: AllRegions()}); err != nil {
				t.Fatal(err)
			}
			unit := Actor{AccountID: 91, Role: workflow.RoleDepartment, RegionCode: "330203", DepartmentCode: "scjg"}
			us := Scope{Role: workflow.RoleDepartment, DepartmentCode: "scjg", Regions: []string{"330203"}}
			for _, cmd := range []workflow.Command{{Action: workflow.Claim}, {Action: workflow.Respond, Present: []string{"response"}, Response: "已办"}} {
				if _, err := s.TransitionRequest(ctx, us, unit, ids[0], cmd, nil, Guard{Grant: AllRegions()}); err != nil {
					t.Fatal(err)
				}
			}
			clock.Advance(21 * time.Second)
			res, err := s.Scan(ctx)
			if err != nil || res.Expired != 1 {
				t.Fatalf("after the evaluation window: %+v %v, want 1 expired", res, err)
			}
			var r Request
			s.db.Take(&r, ids[0])
			if r.Status != "closed" || r.ClosedAt == nil || r.EvaluationScore != nil {
				t.Errorf("expired request: status %s closed_at %v score %v", r.Status, r.ClosedAt, r.EvaluationScore)
			}
			if n := countEvents(t, s, "expire_evaluation"); n != 1 {
				t.Errorf("%d expire_evaluation events, want 1", n)
			}
		})
	}
}

// TestWebhookRetriedUntilDelivered: the receiver fails twice; the third
// attempt succeeds; it got one signed delivery id three times, and a
// dispatcher started afresh (a restart) finds nothing left to send.
func TestWebhookRetriedUntilDelivered(t *testing.T) {
	var mu sync.Mutex
	var attempts []*http.Request
	var bodies [][]byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		attempts = append(attempts, r)
		bodies = append(bodies, b)
		n := len(attempts)
		mu.Unlock()
		if n <= 2 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	db := testDBs(t)["sqlite"]
	s, clock := newTestStore(t, db, "2s", func(c *configs.Config) {
		c.Webhooks = []configs.Webhook{{URL: recv.URL, Secret: "s3cret", Events: []string{"overdue"}}}
	})
	fileN(t, s, 1, 0)
	clock.Advance(3 * time.Second)
	if _, err := s.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(s, discardLog())
	d.Backoff = time.Second
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		if _, _, err := d.DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			d = NewDispatcher(s, discardLog()) // the service restarted mid-retry
			d.Backoff = time.Second
		}
		clock.Advance(5 * time.Second)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(attempts) != 3 {
		t.Fatalf("receiver saw %d attempts, want 3 (2 failures, 1 success)", len(attempts))
	}
	id := attempts[0].Header.Get("X-Qinqing-Delivery")
	for i, r := range attempts {
		if r.Header.Get("X-Qinqing-Delivery") != id || id == "" {
			t.Errorf("attempt %d delivery id %q, want %q", i, r.Header.Get("X-Qinqing-Delivery"), id)
		}
		if got, want := r.Header.Get("X-Qinqing-Signature"), Sign("s3cret", bodies[i]); got != want {
			t.Errorf("attempt %d signature %q, want %q", i, got, want)
		}
	}
	var body struct {
		Type  string                  `json:"type"`
		Event struct{ Action string } `json:"event"`
	}
	if err := json.Unmarshal(bodies[2], &body); err != nil || body.Type != "request.overdue" || body.Event.Action != "overdue" {
		t.Errorf("body %s: %v", bodies[2], err)
	}
	var w WebhookDelivery
	s.db.Take(&w)
	if w.Status != "delivered" || w.Attempts != 3 {
		t.Errorf("outbox row: status %s attempts %d", w.Status, w.Attempts)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestScannerSurvivesDatabaseErrors: while the database fails every pass,
// the scanner logs and tries again at the next tick; once it works again
// the overdue steps are marked, once each; cancelling stops it.
func TestScannerSurvivesDatabaseErrors(t *testing.T) {
	db := testDBs(t)["sqlite"]
	s, clock := newTestStore(t, db, "2s", nil)
	fileN(t, s, 3, 0)
	clock.Advance(3 * time.Second)
	if err := s.db.Exec("ALTER TABLE events RENAME TO events_away").Error; err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.RunScanner(ctx, 20*time.Millisecond, log, nil); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "期限扫描失败") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no repeated failures logged: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.db.Exec("ALTER TABLE events_away RENAME TO events").Error; err != nil {
		t.Fatal(err)
	}
	for countEvents(t, s, "overdue") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the scanner did not recover: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the scanner did not stop")
	}
	if n := countEvents(t, s, "overdue"); n != 3 {
		t.Errorf("%d overdue events, want 3 (failed passes must leave nothing behind)", n)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
