package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"qinqing/configs"
	"qinqing/model"
)

// TestGaleraNodeKilled: two instances of the service on the local
// three-node Galera cluster, instance a preferring node 1 and b node 2,
// clients filing and moving requests through both, and a deadline scanner
// on each. At second 5 node 1 is killed (kill -9); at second 12 it is
// started again and rejoins by IST. Afterwards every request answered 2xx
// is on all three nodes, every chain verifies (through each instance and
// on each node), no step has two overdue events, nothing was answered 500,
// and instance a, whose node died, went on by itself on another node
// before node 1 was back in the cluster.
//
// Needs the cluster (deploy/galera/cluster.sh start) and
// QINQING_TEST_GALERA=1; .ci/run does both.
func TestGaleraNodeKilled(t *testing.T) {
	ports := galeraPorts()
	if ports == nil {
		t.Skip("QINQING_TEST_GALERA=1 runs the Galera tests (deploy/galera/cluster.sh start first)")
	}
	script, _ := filepath.Abs(filepath.Join("..", "deploy", "galera", "cluster.sh"))
	cluster := func(args ...string) (string, error) {
		out, err := exec.Command(script, args...).CombinedOutput()
		return string(out), err
	}
	if out, err := cluster("status"); err != nil {
		t.Fatalf("the Galera cluster is not up and Synced (deploy/galera/cluster.sh start):\n%s", out)
	}
	// Whatever happens below, leave the cluster whole for what runs next.
	t.Cleanup(func() {
		if out, err := cluster("status"); err != nil {
			t.Logf("cluster after the test:\n%s", out)
			if out, err := cluster("start"); err != nil {
				t.Errorf("restarting the missing node: %v\n%s", err, out)
			}
		}
	})

	name := galeraDB(t, ports)
	// The clock follows real time from the harness's fixed Wednesday, so
	// the demo deadlines below pass during the run.
	clock := &fakeClock{now: harnessEpoch}
	t0 := time.Now()
	stopClock := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopClock:
				return
			case <-time.After(10 * time.Millisecond):
			}
			clock.mu.Lock()
			clock.now = harnessEpoch.Add(time.Since(t0))
			clock.mu.Unlock()
		}
	}()
	defer close(stopClock)
	tweak := func(c *configs.Config) { c.DemoLimit.Duration = 3 * time.Second }
	a := newInstance(t, "galera", nodeListDSN(name, ports[0], ports[1], ports[2]), clock, tweak)
	b := newInstance(t, "galera", nodeListDSN(name, ports[1], ports[2], ports[0]), clock, tweak)
	a.seed(t)
	for k, v := range a.ids {
		b.ids[k] = v
	}
	inst := []*testServer{a, b}
	users := []string{"ent_hs", "ent_yz", "acfic_hs", "acfic_yz", "dept_hs_scjg", "dept_yz_scjg", "insp_city"}
	tokens := map[string]string{}
	for _, u := range users {
		tokens[u] = a.login(t, u)
	}

	type answer struct {
		inst       int
		op         string
		start, end time.Time
		status     int
		code       string
		retryAfter string
		id         string
		err        error
	}
	client := &http.Client{Timeout: 60 * time.Second}
	call := func(i int, op, user, path string, body any) answer {
		an := answer{inst: i, op: op, start: time.Now()}
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", inst[i].url+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokens[user])
		res, err := client.Do(req)
		an.end = time.Now()
		if err != nil {
			an.err = err
			return an
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		var v struct{ ID, Code string }
		_ = json.Unmarshal(out, &v)
		an.status, an.code, an.id, an.retryAfter = res.StatusCode, v.Code, v.ID, res.Header.Get("Retry-After")
		return an
	}

	var (
		mu       sync.Mutex
		answers  []answer
		scanErrs [2]int
		scans    [2]model.ScanResult
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	record := func(an answer) bool {
		mu.Lock()
		answers = append(answers, an)
		mu.Unlock()
		return an.err == nil && an.status/100 == 2
	}
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	// Six clients. Each files through one instance and moves the request
	// on through both in turn; one request in four is left waiting at some
	// step, so that the scanners find overdue steps.
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ent, acfic, dept, region := "ent_hs", "acfic_hs", "dept_hs_scjg", "330203"
			if w%2 == 1 {
				ent, acfic, dept, region = "ent_yz", "acfic_yz", "dept_yz_scjg", "330212"
			}
			for n := 0; !stopped(); n++ {
				i := (w + n) % 2
				f := call(i, "file", ent, "/api/v1/requests", map[string]any{
					"title": fmt.Sprintf("节点故障演练 %d-%d", w, n), "content": "c", "category": "policy"})
				if !record(f) {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				steps := []struct {
					user string
					body map[string]any
				}{
					{acfic, map[string]any{"action": "assign", "department_code": "scjg", "region_code": region}},
					{dept, map[string]any{"action": "claim"}},
					{dept, map[string]any{"action": "respond", "response": "已办理。"}},
				}
				leave := len(steps) + 1
				if n%4 == 3 {
					leave = n / 4 % len(steps) // stays at this step
				}
				for k, st := range steps {
					if k == leave || stopped() {
						break
					}
					i = (i + 1) % 2
					if !record(call(i, st.body["action"].(string), st.user, "/api/v1/requests/"+f.id+"/transitions", st.body)) {
						break
					}
				}
			}
		}()
	}
	for i, ts := range inst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				res, err := ts.store.Scan(ctx)
				cancel()
				mu.Lock()
				if err != nil {
					scanErrs[i]++
				}
				scans[i].Overdue += res.Overdue
				scans[i].Supervised += res.Supervised
				scans[i].Expired += res.Expired
				mu.Unlock()
				select {
				case <-stop:
				case <-time.After(300 * time.Millisecond):
				}
			}
		}()
	}

	start := time.Now()
	time.Sleep(5 * time.Second)
	killed := time.Now()
	if out, err := cluster("kill", "1"); err != nil {
		t.Fatalf("kill node 1: %v\n%s", err, out)
	}
	gone := time.Now()
	time.Sleep(time.Until(start.Add(12 * time.Second)))
	restarting := time.Now()
	out, err := cluster("start", "1")
	rejoined := time.Now()
	if err != nil {
		t.Errorf("node 1 did not rejoin: %v\n%s", err, out)
	}
	time.Sleep(max(time.Until(start.Add(20*time.Second)), 2*time.Second))
	close(stop)
	wg.Wait()
	ended := time.Now()

	// --- what the clients saw ----------------------------------------------
	sort.Slice(answers, func(i, j int) bool { return answers[i].start.Before(answers[j].start) })
	var (
		byStatus        = map[int]int{}
		unavailable     [2]int
		filed           []string
		firstOK, last5x [2]time.Time
	)
	for _, an := range answers {
		if an.err != nil {
			t.Errorf("instance %d %s at %v: %v", an.inst, an.op, an.start.Sub(start).Round(time.Millisecond), an.err)
			continue
		}
		byStatus[an.status]++
		switch {
		case an.status >= 500 && an.status != http.StatusServiceUnavailable:
			t.Errorf("instance %d %s at %v answered %d %s", an.inst, an.op, an.start.Sub(start).Round(time.Millisecond), an.status, an.code)
		case an.status == http.StatusServiceUnavailable:
			unavailable[an.inst]++
			if an.retryAfter == "" {
				t.Errorf("503 without Retry-After (%s)", an.code)
			}
			if an.start.After(killed) {
				last5x[an.inst] = an.end
			}
		case an.status == http.StatusCreated && an.op == "file":
			filed = append(filed, an.id)
		case an.status/100 != 2 && an.status != http.StatusConflict:
			t.Errorf("instance %d %s answered %d %s", an.inst, an.op, an.status, an.code)
		}
	}
	for _, an := range answers {
		if an.err == nil && an.status/100 == 2 && an.start.After(killed) && an.start.After(last5x[an.inst]) && firstOK[an.inst].IsZero() {
			firstOK[an.inst] = an.end
		}
	}
	// Instance a went on without node 1: it answered 2xx after the kill and
	// before node 1 was Synced again (a joining node refuses queries, so
	// those answers came from node 2 or 3). Whether that happens before the
	// restart at second 12 depends on how long the survivors take to agree
	// that node 1 is gone (evs.suspect_timeout, 5 s, plus the view change,
	// which a loaded machine stretches to 11 s and more), so the restart is
	// not the bound; the time is printed below.
	if firstOK[0].IsZero() || !firstOK[0].Before(rejoined) {
		t.Errorf("instance a answered no 2xx between the kill (%v) and node 1 Synced again (%v): first at %v",
			killed.Sub(start), rejoined.Sub(start), firstOK[0].Sub(start))
	}
	// It lost its node: its connections moved to another node, and
	// whatever it was doing there was run again or answered 503.
	aStats := model.Cluster(a.db)
	aConflicts, aLost := a.store.TxRetries()
	bConflicts, bLost := b.store.TxRetries()
	if aStats.Failovers.Load() == 0 {
		t.Error("instance a never connected to another node than node 1")
	}
	if out, err := cluster("status"); err != nil {
		t.Fatalf("cluster not whole after the run:\n%s", out)
	}

	// --- what the nodes hold --------------------------------------------------
	ids := make([]uint64, len(filed))
	for i, s := range filed {
		ids[i] = mustID(t, s)
	}
	type nodeFacts struct {
		requests, events, missing int64
		audit                     model.AuditReport
		dupOverdue, dupSupervise  int64
	}
	facts := make([]nodeFacts, len(ports))
	raw, err := configs.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := model.NewReference(raw)
	if err != nil {
		t.Fatal(err)
	}
	for n, p := range ports {
		db, err := model.Open("mysql", nodeListDSN(name, p), model.ConnOptions{MaxOpenConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		f := &facts[n]
		db.Model(&model.Request{}).Count(&f.requests)
		db.Model(&model.Event{}).Count(&f.events)
		for i := 0; i < len(ids); i += 500 {
			var found int64
			db.Model(&model.Request{}).Where("id IN ?", ids[i:min(i+500, len(ids))]).Count(&found)
			f.missing += int64(min(i+500, len(ids))-i) - found
		}
		db.Raw("SELECT COUNT(*) FROM (SELECT case_kind, case_id, step, step_due_at FROM events WHERE action = 'overdue' " +
			"GROUP BY case_kind, case_id, step, step_due_at HAVING COUNT(*) > 1) d").Scan(&f.dupOverdue)
		db.Raw("SELECT COUNT(*) FROM (SELECT case_id FROM events WHERE action = 'supervise' AND actor_role = 'system' " +
			"GROUP BY case_id HAVING COUNT(*) > 1) d").Scan(&f.dupSupervise)
		f.audit, err = model.NewStore(db, ref, model.Options{}, nil).VerifyAudit(context.Background())
		if err != nil {
			t.Errorf("node %d: verify: %v", n+1, err)
		}
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
		if f.missing != 0 || !f.audit.OK || f.dupOverdue != 0 || f.dupSupervise != 0 {
			t.Errorf("node %d: %d requests answered 201 missing, audit %+v, %d steps with two overdue events, %d requests with two 督办",
				n+1, f.missing, f.audit, f.dupOverdue, f.dupSupervise)
		}
		if f.requests != facts[0].requests || f.events != facts[0].events {
			t.Errorf("node %d holds %d requests and %d events, node 1 %d and %d", n+1, f.requests, f.events, facts[0].requests, facts[0].events)
		}
	}
	for i, ts := range inst {
		var v auditAnswer
		ts.do(t, tokens["insp_city"], "GET", "/api/v1/audit/verify", nil).want(http.StatusOK).decode(&v)
		if !v.OK || v.EventsChecked != facts[0].events {
			t.Errorf("instance %d: /audit/verify %+v, want ok over %d events", i, v, facts[0].events)
		}
	}

	var overdueEvents int64
	a.db.Model(&model.Event{}).Where("action = ?", "overdue").Count(&overdueEvents)
	codes := make([]string, 0, len(byStatus))
	for s, n := range byStatus {
		codes = append(codes, fmt.Sprintf("%d×%d", n, s))
	}
	sort.Strings(codes)
	bStats := model.Cluster(b.db)
	t.Logf("galera node killed: %d answers in %v (%s); 503: instance a %d, b %d; 409: %d; transactions run again after a conflict: "+
		"a %d, b %d, after losing the connection: a %d, b %d; "+
		"connections: a %d (%d on another node than its first), b %d (%d); scanner passes failed: a %d, b %d",
		len(answers), ended.Sub(start).Round(time.Millisecond), strings.Join(codes, ", "), unavailable[0], unavailable[1],
		byStatus[http.StatusConflict], aConflicts, bConflicts, aLost, bLost,
		aStats.Connects.Load(), aStats.Failovers.Load(), bStats.Connects.Load(), bStats.Failovers.Load(), scanErrs[0], scanErrs[1])
	t.Logf("galera node killed: node 1 killed at %v (process gone %v later), restarted at %v, Synced again after %v (IST); instance a: first 2xx after its last 503 at +%v after the kill, "+
		"instance b at +%v", killed.Sub(start).Round(time.Millisecond), gone.Sub(killed).Round(time.Millisecond), restarting.Sub(start).Round(time.Millisecond),
		rejoined.Sub(restarting).Round(time.Millisecond), firstOK[0].Sub(killed).Round(time.Millisecond), firstOK[1].Sub(killed).Round(time.Millisecond))
	t.Logf("galera node killed: %d requests filed (201) on all 3 nodes, rows lost = %d; %d requests, %d events, chains verified on each node and through each instance; "+
		"%d overdue events (scanners: a %d, b %d; 督办 a %d, b %d), 0 steps with two",
		len(filed), facts[0].missing+facts[1].missing+facts[2].missing, facts[0].requests, facts[0].events, overdueEvents,
		scans[0].Overdue, scans[1].Overdue, scans[0].Supervised, scans[1].Supervised)
}
