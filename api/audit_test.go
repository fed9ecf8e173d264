package api_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"qinqing/model"
)

// The tamper-evident timeline: every event is chained to the one
// before it in its case, on every insert path; GET /audit/verify walks the
// chains and names the first event that was edited or whose predecessor
// was removed.

type auditAnswer struct {
	OK            bool  `json:"ok"`
	EventsChecked int64 `json:"events_checked"`
	CasesChecked  int64 `json:"cases_checked"`
	BrokenEvents  int64 `json:"broken_events"`
	FirstBroken   *struct {
		CaseKind string `json:"case_kind"`
		CaseID   string `json:"case_id"`
		EventID  string `json:"event_id"`
		Reason   string `json:"reason"`
	} `json:"first_broken"`
}

func (ts *testServer) verify(t testing.TB) auditAnswer {
	t.Helper()
	var a auditAnswer
	ts.as(t, "insp_city", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK).decode(&a)
	return a
}

func (ts *testServer) countEvents(t testing.TB) int64 {
	t.Helper()
	var n int64
	if err := ts.db.Model(&model.Event{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAuditChain(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		var ids []string
		for range 3 {
			ids = append(ids, ts.fileRequest(t, "ent_hs", "")["id"].(string))
		}
		ts.act(t, "acfic_hs", ids[1], "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", ids[1], "claim", nil).want(http.StatusOK)
		// The scanner writes its events in batches (overdue and 督办 of
		// several cases in one insert).
		qaAdvance(ts, 40*24*time.Hour)
		if res, err := ts.store.Scan(context.Background()); err != nil || res.Overdue != 3 {
			t.Fatalf("scan: %+v %v", res, err)
		}
		ts.act(t, "dept_hs_scjg", ids[1], "respond", map[string]any{"response": "已办理"}).want(http.StatusOK)

		// Every event carries a hash, linked to its predecessor.
		var evs []model.Event
		if err := ts.db.Order("case_kind, case_id, id").Find(&evs).Error; err != nil {
			t.Fatal(err)
		}
		prev := map[uint64]string{}
		for _, e := range evs {
			if len(e.Hash) != 64 || e.PrevHash != prev[e.CaseID] {
				t.Errorf("event %d (%s): hash %q prev %q, want prev %q", e.ID, e.Action, e.Hash, e.PrevHash, prev[e.CaseID])
			}
			prev[e.CaseID] = e.Hash
		}

		a := ts.verify(t)
		if !a.OK || a.EventsChecked != int64(len(evs)) || a.CasesChecked != 3 || a.FirstBroken != nil {
			t.Fatalf("verify on an untouched database: %+v (events %d)", a, len(evs))
		}

		// Who may verify: the root region's inspectors and admins.
		ts.as(t, "admin", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK)
		for _, u := range []string{"insp_hs", "admin_hs"} {
			ts.as(t, u, "GET", "/api/v1/audit/verify", nil).wantProblem(http.StatusForbidden, "forbidden")
		}
		for _, u := range []string{"acfic_city", "dept_city_scjg", "ent_hs", "station_hs"} {
			ts.as(t, u, "GET", "/api/v1/audit/verify", nil).wantProblem(http.StatusForbidden, "forbidden")
		}
		ts.do(t, "", "GET", "/api/v1/audit/verify", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
		ts.as(t, "insp_city", "GET", "/api/v1/audit/verify?case_id=1", nil).wantProblem(http.StatusBadRequest, "validation_failed")

		// Edit one event's payload in the database: verify names it.
		var victim model.Event
		if err := ts.db.Where("case_id = ? AND action = ?", mustID(t, ids[1]), "claim").Take(&victim).Error; err != nil {
			t.Fatal(err)
		}
		if err := ts.db.Exec("UPDATE events SET payload = ? WHERE id = ?", `{"note":"事后改写"}`, victim.ID).Error; err != nil {
			t.Fatal(err)
		}
		a = ts.verify(t)
		if a.OK || a.FirstBroken == nil || a.FirstBroken.EventID != idStr(victim.ID) || a.FirstBroken.Reason != "content_changed" ||
			a.FirstBroken.CaseID != ids[1] || a.FirstBroken.CaseKind != "request" || a.BrokenEvents != 1 {
			t.Fatalf("verify after editing event %d: %+v %+v", victim.ID, a, a.FirstBroken)
		}
		// Other fields too: the actor, the time.
		if err := ts.db.Exec("UPDATE events SET payload = ? WHERE id = ?", victim.Payload, victim.ID).Error; err != nil {
			t.Fatal(err)
		}
		if a := ts.verify(t); !a.OK {
			t.Fatalf("verify after restoring the payload: %+v", a)
		}
		for _, change := range []string{"actor_id = actor_id + 1", "to_status = 'closed'"} {
			if err := ts.db.Exec("UPDATE events SET "+change+" WHERE id = ?", victim.ID).Error; err != nil {
				t.Fatal(err)
			}
			if a := ts.verify(t); a.OK || a.FirstBroken.EventID != idStr(victim.ID) {
				t.Errorf("verify after %s: %+v", change, a)
			}
			if err := ts.db.Model(&model.Event{}).Where("id = ?", victim.ID).
				Updates(map[string]any{"actor_id": victim.ActorID, "to_status": victim.ToStatus}).Error; err != nil {
				t.Fatal(err)
			}
		}
		if a := ts.verify(t); !a.OK {
			t.Fatalf("verify after restoring: %+v", a)
		}

		// Delete the middle event: the event after it no longer links.
		var chain []model.Event
		ts.db.Where("case_kind = ? AND case_id = ?", "request", mustID(t, ids[1])).Order("id").Find(&chain)
		if len(chain) < 4 {
			t.Fatalf("timeline of %s: %d events", ids[1], len(chain))
		}
		mid := chain[len(chain)/2]
		if err := ts.db.Exec("DELETE FROM events WHERE id = ?", mid.ID).Error; err != nil {
			t.Fatal(err)
		}
		a = ts.verify(t)
		next := chain[len(chain)/2+1]
		if a.OK || a.FirstBroken == nil || a.FirstBroken.EventID != idStr(next.ID) || a.FirstBroken.Reason != "chain_broken" {
			t.Fatalf("verify after deleting event %d: %+v %+v (want event %d)", mid.ID, a, a.FirstBroken, next.ID)
		}
		if a.EventsChecked != int64(len(evs)-1) {
			t.Errorf("events checked %d, want %d", a.EventsChecked, len(evs)-1)
		}
	})
}

// TestAuditChainUnderConcurrency: transitions of many requests race with
// the deadline scanner's batches on the same requests; every chain still
// holds afterwards (the previous hash is read after the case row is held).
func TestAuditChainUnderConcurrency(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		const n = 24
		ids := make([]string, n)
		for i := range ids {
			ids[i] = ts.fileRequest(t, "ent_hs", "")["id"].(string)
		}
		qaAdvance(ts, 40*24*time.Hour) // every accept step is overdue: the scanner has work on each
		acfic, dept := ts.login(t, "acfic_hs"), ts.login(t, "dept_hs_scjg")
		var wg sync.WaitGroup
		var mu sync.Mutex
		retries := 0
		act := func(tok, id, action string, fields map[string]any) {
			body := map[string]any{"action": action}
			for k, v := range fields {
				body[k] = v
			}
			for range 10 {
				res := ts.do(t, tok, "POST", reqPath(id, "/transitions"), body)
				if res.status == http.StatusOK {
					return
				}
				if res.status != http.StatusConflict && res.status != http.StatusServiceUnavailable {
					t.Errorf("%s %s: %d %s", action, id, res.status, res.body)
					return
				}
				mu.Lock()
				retries++
				mu.Unlock()
			}
			t.Errorf("%s %s: still refused after 10 tries", action, id)
		}
		stop := make(chan struct{})
		scans := 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := ts.store.Scan(context.Background()); err != nil && !isBusy(err) {
					t.Errorf("scan: %v", err)
				}
				scans++
			}
		}()
		// New requests are filed at the same time: a new case's first event
		// must not lock anything another filing needs (on MySQL a locking
		// read of a case without events locks a gap of the events index,
		// and two filings then deadlock on their inserts).
		ent := ts.login(t, "ent_hs")
		var work sync.WaitGroup
		for _, id := range ids {
			work.Add(2)
			go func() {
				defer work.Done()
				act(acfic, id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"})
				act(dept, id, "claim", nil)
				act(dept, id, "respond", map[string]any{"response": "已办理"})
			}()
			go func() {
				defer work.Done()
				res := ts.do(t, ent, "POST", "/api/v1/requests", map[string]any{"title": "同时提交", "content": "c", "category": "policy"})
				if res.status != http.StatusCreated {
					t.Errorf("filing alongside the transitions: %d %s", res.status, res.body)
				}
			}()
		}
		work.Wait()
		close(stop)
		wg.Wait()
		a := ts.verify(t)
		total := ts.countEvents(t)
		t.Logf("%s: %d events in %d cases, %d scanner passes alongside, %d retried transitions", ts.driver, total, a.CasesChecked, scans, retries)
		if !a.OK || a.EventsChecked != total || a.CasesChecked != 2*n {
			t.Fatalf("verify after the race: %+v %+v (events %d)", a, a.FirstBroken, total)
		}
	})
}

func isBusy(err error) bool {
	return err != nil && (errors.Is(err, model.ErrUnavailable) || errors.Is(err, model.ErrVersionConflict))
}

func mustID(t testing.TB, s string) uint64 {
	t.Helper()
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func idStr(id uint64) string { return strconv.FormatUint(id, 10) }
