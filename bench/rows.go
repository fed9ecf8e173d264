package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// rowResult is one line of the table.
type rowResult struct {
	name, what string
	ratios     []float64
	ratioLabel string // what the ratio is
	absolute   string // absolute figures, for information
	target     string
	met        bool
	noTarget   bool
	failed     string
}

func (r rowResult) spread() (lo, hi float64, unstable bool) {
	if len(r.ratios) == 0 {
		return 0, 0, false
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range r.ratios {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	m := median(r.ratios)
	return lo, hi, m > 0 && (hi-lo)/m > 0.20
}

func printTable(w io.Writer, o options, rs []rowResult) {
	fmt.Fprintf(w, "\n| row | what | median ratio | min–max | absolute (information only) | target | met |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		if r.failed != "" {
			fmt.Fprintf(w, "| %s | %s | – | – | FAILED: %s %s | %s | **no** |\n", r.name, r.what, r.failed, r.absolute, r.target)
			continue
		}
		med, mm := "–", "–"
		if len(r.ratios) > 0 {
			lo, hi, unstable := r.spread()
			med = fmt.Sprintf("%.2f %s", median(r.ratios), r.ratioLabel)
			mm = fmt.Sprintf("%.2f–%.2f", lo, hi)
			if unstable {
				mm += " unstable"
			}
		}
		met := "yes"
		switch {
		case r.noTarget:
			met = "–"
		case !r.met:
			met = "**no**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.name, r.what, med, mm, r.absolute, r.target, met)
	}
	if o.smoke {
		fmt.Fprintln(w, "(smoke run: one short pair per row on tiny data; the ratios mean nothing, only that every row ran)")
	}
}

func absRuns(label string, rs []run) string {
	var rates []float64
	var p50, p99 []float64
	for i := range rs {
		rates = append(rates, rs[i].rate())
		p50 = append(p50, float64(rs[i].pct(0.5)))
		p99 = append(p99, float64(rs[i].pct(0.99)))
	}
	return fmt.Sprintf("%s %.0f/s p50 %s p99 %s", label, median(rates), ms(time.Duration(median(p50))), ms(time.Duration(median(p99))))
}

func ratios(as, bs []run) []float64 {
	out := make([]float64, len(as))
	for i := range as {
		if bs[i].rate() > 0 {
			out[i] = as[i].rate() / bs[i].rate()
		}
	}
	return out
}

func (e *env) target(mysql, sqlite float64) float64 {
	if e.o.driver == "mysql" {
		return mysql
	}
	return sqlite
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// eventHashCols are the extra NOT NULL columns of events the ceilings must
// fill when the schema has them (the audit chain).
func (e *env) eventHashCols() (cols string, vals string, n int) {
	m := e.db.Migrator()
	for _, c := range []string{"prev_hash", "hash"} {
		if m.HasColumn("events", c) {
			cols += ", " + c
			vals += ", ?"
			n++
		}
	}
	return
}

const rawEventSQL = "INSERT INTO events (case_kind, case_id, action, from_status, to_status, actor_id, actor_role, at, payload, step, working_seconds, region_code%s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?%s)"

// ---- C: create a request ------------------------------------------------------

// createLoad files requests through the service and runs the same inserts
// raw, for up to n workers, each an enterprise account of its own.
type createLoad struct {
	e                      *env
	toks                   []string
	ents                   []model.Enterprise
	runID                  string
	created                atomic.Int64
	pairN                  atomic.Int64
	answer                 string // an answer of the size the service stores: one filing's
	reqSQL, idemSQL, evSQL string
	nh                     int
}

const benchContent = "企业反映：园区道路施工影响货车通行，请协调交通部门调整施工时段。"

func (e *env) newCreateLoad(n int) (*createLoad, error) {
	l := &createLoad{e: e, toks: make([]string, n), ents: make([]model.Enterprise, n), runID: randHex(4)}
	for w := 0; w < n; w++ {
		t, err := e.login(e.user("ent", fmt.Sprint(w+1)))
		if err != nil {
			return nil, err
		}
		l.toks[w] = t
		if err := e.db.Where("id = (SELECT enterprise_id FROM accounts WHERE username = ?)", e.user("ent", fmt.Sprint(w+1))).Take(&l.ents[w]).Error; err != nil {
			return nil, err
		}
	}
	hc, hv, nh := e.eventHashCols()
	l.evSQL, l.nh = fmt.Sprintf(rawEventSQL, hc, hv), nh
	l.reqSQL = "INSERT INTO requests (title, content, category, enterprise_id, region_code, filed_by, filer_role, status, due_at, due_working, " +
		"step_started_at, round_started_at, overdue, due_soon, supervised, reopen_count, return_count, late_steps, pending_extension_days, " +
		"response, evaluation_comment, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	l.idemSQL = "INSERT INTO idempotency_keys (account_id, idem_key, body_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)"
	st, probe, err := e.cl.do("POST", e.base+"/api/v1/requests", l.toks[0],
		[]byte(fmt.Sprintf(`{"title":"benchC probe %s","content":"探测","category":"policy"}`, l.runID)), "Idempotency-Key", "probe-"+l.runID)
	if err != nil || st != 201 {
		return nil, fmt.Errorf("probe filing: %d %s %v", st, probe, err)
	}
	l.answer = strings.Repeat("x", len(probe))
	return l, nil
}

// service files new requests on c workers: each pair's keys (and bodies)
// are new, since a key reused from an earlier pair would be a replay,
// answered 201 without a new row.
func (l *createLoad) service(c int) run {
	e := l.e
	pair := l.pairN.Add(1)
	return closedLoop(c, e.o.duration, 1<<30, func(w, i int) (outcome, error) {
		body := fmt.Sprintf(`{"title":"benchC %s-%d-%d-%d","content":%q,"category":"policy"}`, l.runID, pair, w, i, benchContent)
		st, b, err := e.cl.do("POST", e.svcURL(w)+"/api/v1/requests", l.toks[w], []byte(body), "Idempotency-Key", fmt.Sprintf("%s-%d-%d-%d", l.runID, pair, w, i))
		o, err := expect(st, b, err, 201, 0)
		if o == opOK {
			l.created.Add(1)
		}
		return o, err
	})
}

// ceiling runs the service's inserts raw on c workers: request, event,
// and the answer stored under the idempotency key, in one transaction.
func (l *createLoad) ceiling(ctx context.Context, c int) run {
	e := l.e
	pair := l.pairN.Add(1)
	return closedLoop(c, e.o.duration, 1<<30, func(w, i int) (outcome, error) {
		now := time.Now().UTC().Truncate(time.Millisecond)
		due := now.Add(72 * time.Hour)
		ent := l.ents[w]
		unlock := e.rawWriter()
		defer unlock()
		tx, err := e.rawDB(w).BeginTx(ctx, nil)
		if err != nil {
			return opError, err
		}
		r, err := tx.Exec(l.reqSQL, fmt.Sprintf("rawC %s-%d-%d-%d", l.runID, pair, w, i), benchContent, "policy", ent.ID, ent.RegionCode, 1, "enterprise",
			"submitted", due, true, now, now, false, false, false, 0, 0, 0, 0, "", "", 1, now, now)
		if err != nil {
			_ = tx.Rollback()
			return opError, err
		}
		id, err := r.LastInsertId()
		if err != nil {
			_ = tx.Rollback()
			return opError, err
		}
		args := []any{"request", id, "create", "", "submitted", 1, "enterprise", now, "{}", "", 0, ent.RegionCode}
		for k := 0; k < l.nh; k++ {
			args = append(args, randHex(32))
		}
		if _, err := tx.Exec(l.evSQL, args...); err != nil {
			_ = tx.Rollback()
			return opError, err
		}
		if _, err := tx.Exec(l.idemSQL, 1, randHex(32), randHex(32), 201, l.answer, now); err != nil {
			_ = tx.Rollback()
			return opError, err
		}
		if err := tx.Commit(); err != nil {
			return conflictOr(err)
		}
		return opOK, nil
	})
}

// check: events = requests for the ones the service created.
func (l *createLoad) check(name string) {
	e := l.e
	var nReq, nEv, nCreate int64
	like := "benchC " + l.runID + "-%"
	e.db.Raw("SELECT COUNT(*) FROM requests WHERE title LIKE ?", like).Scan(&nReq)
	e.db.Raw("SELECT COUNT(*) FROM events WHERE case_kind = 'request' AND case_id IN (SELECT id FROM requests WHERE title LIKE ?)", like).Scan(&nEv)
	e.db.Raw("SELECT COUNT(*) FROM events WHERE case_kind = 'request' AND action = 'create' AND case_id IN (SELECT id FROM requests WHERE title LIKE ?)", like).Scan(&nCreate)
	e.check(name, nReq == l.created.Load() && nEv == nReq && nCreate == nReq,
		"%d created (201), %d rows, %d events (%d create)", l.created.Load(), nReq, nEv, nCreate)
}

func (e *env) rowC(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "C", what: "create request (HTTP, Idempotency-Key) vs raw tx{INSERT request; INSERT event; INSERT idempotency key}", ratioLabel: "of raw",
		target: fmt.Sprintf("≥ %.2f", e.target(0.60, 0.40))}
	c := e.o.conc
	l, err := e.newCreateLoad(c)
	if err != nil {
		return res, err
	}
	resetOK := resetHWM()
	as, bs := pairsOf(e.o.pairs, e.profiler("C"), func() run { return l.service(c) }, func() run { return l.ceiling(ctx, c) })
	hwm := vmHWM()
	if !resetOK {
		hwm += " (peak of the whole process: clear_refs not writable)"
	}
	fmt.Printf("  peak RSS (VmHWM) under the create load: %s\n", hwm)
	res.ratios = ratios(as, bs)
	med := median(res.ratios)
	res.met = med >= e.target(0.60, 0.40)
	res.absolute = absRuns("service", as) + "; " + absRuns("raw", bs) + "; VmHWM " + hwm
	if msg := ranOK(as, bs); msg != "" {
		return res, fmt.Errorf("%s", msg)
	}
	l.check("C events = requests")
	return res, nil
}

// ---- T: one transition ----------------------------------------------------------

// transitionLoad supervises requests through the service (工商联 of the
// city) and runs the same writes raw, on disjoint halves of the
// assigned and in-progress requests.
type transitionLoad struct {
	e      *env
	tok    string
	svc    []uint64
	rawIDs []uint64
	mu     sync.Mutex
	rawVer []int64
	ns, nr atomic.Int64
	evSQL  string
	nh     int
}

func (e *env) newTransitionLoad() (*transitionLoad, error) {
	var pool []model.Request
	if err := e.db.Select("id", "version").Where("status IN ?", []string{"assigned", "in_progress"}).Order("id").
		Limit(40000).Find(&pool).Error; err != nil {
		return nil, err
	}
	if len(pool) < 4 {
		return nil, fmt.Errorf("only %d requests in assigned/in_progress: seed more", len(pool))
	}
	l := &transitionLoad{e: e}
	for i, r := range pool {
		if i%2 == 0 {
			l.svc = append(l.svc, r.ID)
		} else {
			l.rawIDs = append(l.rawIDs, r.ID)
			l.rawVer = append(l.rawVer, int64(r.Version))
		}
	}
	tok, err := e.login(e.user("acfic", e.root()))
	if err != nil {
		return nil, err
	}
	l.tok = tok
	hc, hv, nh := e.eventHashCols()
	l.evSQL, l.nh = fmt.Sprintf(rawEventSQL, hc, hv), nh
	return l, nil
}

func (l *transitionLoad) service(c int) run {
	e := l.e
	return closedLoop(c, e.o.duration, 1<<30, func(w, i int) (outcome, error) {
		id := l.svc[int(l.ns.Add(1))%len(l.svc)]
		st, b, err := e.cl.do("POST", fmt.Sprintf("%s/api/v1/requests/%d/transitions", e.svcURL(w), id), l.tok,
			[]byte(`{"action":"supervise","note":"请加快办理，按期答复企业"}`))
		return expect(st, b, err, 200, 409)
	})
}

// ceiling runs tx{UPDATE … WHERE id = ? AND version = ?; INSERT event} on
// c workers. withRead first reads the whole row in the transaction and
// decides on the state it read, as a transition must (the state decides
// what the action may do, and the version it read is the one the UPDATE
// expects); blind, it updates with the version the load last saw.
func (l *transitionLoad) ceiling(ctx context.Context, c int, withRead bool) run {
	e := l.e
	return closedLoop(c, e.o.duration, 1<<30, func(w, i int) (outcome, error) {
		k := int(l.nr.Add(1)) % len(l.rawIDs)
		id := l.rawIDs[k]
		l.mu.Lock()
		ver := l.rawVer[k]
		l.mu.Unlock()
		now := time.Now().UTC().Truncate(time.Millisecond)
		unlock := e.rawWriter()
		defer unlock()
		tx, err := e.rawDB(w).BeginTx(ctx, nil)
		if err != nil {
			return opError, err
		}
		if withRead {
			var status string
			var v int64
			if err := readState(tx, id, &status, &v); err != nil {
				_ = tx.Rollback()
				return opError, err
			}
			if status != "assigned" && status != "in_progress" {
				_ = tx.Rollback()
				return opTolerated, nil
			}
			ver = v
		}
		r, err := tx.Exec("UPDATE requests SET supervised = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?", true, ver+1, now, id, ver)
		if err != nil {
			_ = tx.Rollback()
			return opError, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			_ = tx.Rollback()
			var v int64
			_ = e.rawDB(w).QueryRow("SELECT version FROM requests WHERE id = ?", id).Scan(&v)
			l.mu.Lock()
			l.rawVer[k] = v
			l.mu.Unlock()
			return opTolerated, nil
		}
		args := []any{"request", id, "supervise", "in_progress", "in_progress", 1, "acfic", now, `{"note":"请加快办理，按期答复企业"}`, "", 0, "330200"}
		for j := 0; j < l.nh; j++ {
			args = append(args, randHex(32))
		}
		if _, err := tx.Exec(l.evSQL, args...); err != nil {
			_ = tx.Rollback()
			return opError, err
		}
		if err := tx.Commit(); err != nil {
			return conflictOr(err)
		}
		l.mu.Lock()
		l.rawVer[k] = ver + 1
		l.mu.Unlock()
		return opOK, nil
	})
}

// readState reads the whole row of request id (every column, as the
// service does) and returns its status and version.
func readState(tx *sql.Tx, id uint64, status *string, version *int64) error {
	rows, err := tx.Query("SELECT * FROM requests WHERE id = ?", id)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for i, c := range cols {
		switch c {
		case "status":
			vals[i] = status
		case "version":
			vals[i] = version
		default:
			vals[i] = new(sql.RawBytes)
		}
	}
	found := false
	for rows.Next() {
		found = true
		if err := rows.Scan(vals...); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("request %d not found", id)
	}
	return rows.Err()
}

// tTarget: a transition reaches 0.60 of the raw transaction that does the
// same necessary work (reads the row, updates it conditionally, inserts the
// event), on either database.
const tTarget = 0.60

func (e *env) rowT(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "T", what: "transition (supervise by 工商联, HTTP) vs raw tx{SELECT row; UPDATE … WHERE id=? AND version=?; INSERT event}",
		ratioLabel: "of raw", target: fmt.Sprintf("≥ %.2f", tTarget)}
	l, err := e.newTransitionLoad()
	if err != nil {
		return res, err
	}
	c := e.o.conc
	// Pairs of three: the service, the ceiling that reads the row first
	// (the same necessary work: the row's state decides the action), and
	// the blind ceiling beside it.
	var blind []run
	as, bs := pairsOf(e.o.pairs, e.profiler("T"), func() run { return l.service(c) }, func() run {
		r := l.ceiling(ctx, c, true)
		b := l.ceiling(ctx, c, false)
		blind = append(blind, b)
		fmt.Printf("          blind ceiling tx{UPDATE; INSERT} %s\n", describe(b))
		return r
	})
	res.ratios = ratios(as, bs)
	res.met = median(res.ratios) >= tTarget
	blindR := ratios(as, blind)
	res.absolute = absRuns("service", as) + "; " + absRuns("raw with the row read", bs) + "; " + absRuns("raw blind", blind) +
		fmt.Sprintf(" (service %.2f of the blind ceiling)", median(blindR))
	if msg := ranOK(as, bs, blind); msg != "" {
		return res, fmt.Errorf("%s", msg)
	}
	return res, e.raceCheck()
}

// raceCheck: 16 parallel claims of one assigned request → exactly one 200,
// the others 409, and exactly one claim event.
func (e *env) raceCheck() error {
	ent, err := e.login(e.user("ent", "1"))
	if err != nil {
		return err
	}
	acfic, err := e.login(e.user("acfic", e.root()))
	if err != nil {
		return err
	}
	st, b, err := e.cl.do("POST", e.base+"/api/v1/requests", ent, []byte(`{"title":"benchT race","content":"并发签收检查","category":"policy"}`))
	if err != nil || st != 201 {
		return fmt.Errorf("race check: create: %d %s %v", st, b, err)
	}
	var r struct {
		ID         string `json:"id"`
		RegionCode string `json:"region_code"`
	}
	_ = json.Unmarshal(b, &r)
	unit := r.RegionCode
	if reg, ok := e.ref.Regions[unit]; ok && reg.Level == "town" {
		unit = reg.ParentCode
	}
	dept := e.ref.DeptList[0].Code
	st, b, err = e.cl.do("POST", e.base+"/api/v1/requests/"+r.ID+"/transitions", acfic,
		[]byte(fmt.Sprintf(`{"action":"assign","department_code":%q,"region_code":%q}`, dept, unit)))
	if err != nil || st != 200 {
		return fmt.Errorf("race check: assign: %d %s %v", st, b, err)
	}
	dtok, err := e.login(e.user("dept", dept+"-"+unit))
	if err != nil {
		return err
	}
	const n = 16
	codes := make([]int, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			codes[i], _, _ = e.cl.do("POST", e.base+"/api/v1/requests/"+r.ID+"/transitions", dtok, []byte(`{"action":"claim"}`))
		}(i)
	}
	close(gate)
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
			conflict++
		}
	}
	var claims int64
	e.db.Raw("SELECT COUNT(*) FROM events WHERE case_kind = 'request' AND case_id = ? AND action = 'claim'", r.ID).Scan(&claims)
	e.check("T 16 parallel claims", ok == 1 && conflict == n-1 && claims == 1, "%d × 200, %d × 409, %d claim event(s); codes %v", ok, conflict, claims, codes)
	return nil
}

// ---- L: list with filters --------------------------------------------------------

type listCase struct {
	url   string // path and query
	where string // the naive keyset query's condition
	args  []any
	// the (region_code, status) pairs and cursor of the per-pair statement
	regions, statuses []string
	after             uint64
}

// pairUnionSQL is the per-pair keyset statement the service issues for a
// list whose filter pins it to regions × statuses (model/list_pairs.go),
// written here on its own: one branch per pair reading the ids of that
// pair's newest n rows in id order from idx_requests_region_status, the
// newest n of all branches, then their rows by primary key.
func pairUnionSQL(regions, statuses []string, after uint64, n int) (string, []any) {
	cond := ""
	if after > 0 {
		cond = " AND id < ?"
	}
	lim := fmt.Sprintf(" ORDER BY id DESC LIMIT %d", n)
	var b strings.Builder
	var args []any
	b.WriteString("SELECT r.* FROM (")
	i := 0
	for _, r := range regions {
		for _, st := range statuses {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			i++
			fmt.Fprintf(&b, "SELECT id FROM (SELECT id FROM requests WHERE region_code = ? AND status = ?%s%s) AS b%d", cond, lim, i)
			args = append(args, r, st)
			if after > 0 {
				args = append(args, after)
			}
		}
	}
	b.WriteString(lim)
	b.WriteString(") AS u JOIN requests r ON r.id = u.id ORDER BY r.id DESC")
	return b.String(), args
}

func (e *env) rowL(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "L", what: "list with filters, first and deep page (HTTP) vs raw per-pair keyset statement", ratioLabel: "of raw",
		target: "≥ 0.50 and p99 < 50 ms at half the max rate"}
	tok, err := e.login(e.user("acfic", e.root()))
	if err != nil {
		return res, err
	}
	all := e.authz.Descendants(e.root())
	counties := []string{}
	for _, r := range e.ref.RegionList {
		if r.Level == "county" {
			counties = append(counties, r.Code)
		}
	}
	filters := []struct {
		q      string
		status []string
		region string
	}{
		{"status=closed&region_code=" + counties[4%len(counties)], []string{"closed"}, counties[4%len(counties)]},
		{"status=assigned,in_progress&region_code=" + counties[0], []string{"assigned", "in_progress"}, counties[0]},
	}
	depth := 50
	if e.o.smoke {
		depth = 3
	}
	var cases []listCase
	for _, f := range filters {
		regs := e.authz.Descendants(f.region)
		first := "/api/v1/requests?page_size=20&" + f.q
		where := "region_code IN ? AND status IN ? AND region_code IN ?"
		cases = append(cases, listCase{first, where, []any{all, f.status, regs}, regs, f.status, 0})
		// follow the cursor depth pages down
		cursor := ""
		for p := 0; p < depth; p++ {
			u := first
			if cursor != "" {
				u += "&cursor=" + url.QueryEscape(cursor)
			}
			st, b, err := e.cl.do("GET", e.base+u, tok, nil)
			if err != nil || st != 200 {
				return res, fmt.Errorf("list %s: %d %s %v", u, st, b, err)
			}
			var v struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
				Next *string `json:"next_cursor"`
			}
			if err := json.Unmarshal(b, &v); err != nil {
				return res, err
			}
			if v.Next == nil {
				break
			}
			cursor = *v.Next
		}
		if cursor != "" {
			var after uint64
			raw := strings.TrimPrefix(mustB64(cursor), "v1:")
			fmt.Sscan(raw, &after)
			cases = append(cases, listCase{first + "&cursor=" + url.QueryEscape(cursor), where + " AND id < ?", []any{all, f.status, regs, after},
				regs, f.status, after})
		}
	}
	fmt.Printf("  %d list queries (first pages and pages %d deep)\n", len(cases), depth)
	// Check the service and the per-pair statement return the ids of the
	// naive keyset query.
	for _, lc := range cases {
		st, b, err := e.cl.do("GET", e.base+lc.url, tok, nil)
		if err != nil || st != 200 {
			return res, fmt.Errorf("list: %d %v", st, err)
		}
		var v struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		_ = json.Unmarshal(b, &v)
		var ids []uint64
		e.db.Raw("SELECT id FROM requests WHERE "+lc.where+" ORDER BY id DESC LIMIT 20", lc.args...).Scan(&ids)
		same := len(ids) == len(v.Items)
		for i := 0; same && i < len(ids); i++ {
			same = fmt.Sprint(ids[i]) == v.Items[i].ID
		}
		if !same {
			e.check("L raw equivalent", false, "%s: service %d items, raw %d", lc.url, len(v.Items), len(ids))
		}
		var pids []uint64
		q, args := pairUnionSQL(lc.regions, lc.statuses, lc.after, 20)
		e.db.Raw("SELECT id FROM ("+q+") AS p ORDER BY id DESC", args...).Scan(&pids)
		if fmt.Sprint(pids) != fmt.Sprint(ids) {
			e.check("L per-pair statement", false, "%s: per-pair %d ids, naive %d", lc.url, len(pids), len(ids))
		}
	}
	var k atomic.Int64
	get := func(w, i int) (outcome, error) {
		lc := cases[int(k.Add(1))%len(cases)]
		st, b, err := e.cl.do("GET", e.base+lc.url, tok, nil)
		return expect(st, b, err, 200, 0)
	}
	// The ceiling: the per-pair statement through database/sql. The naive
	// keyset query (the ceiling before the service read by pairs), with
	// placeholders expanded once (IN lists), is run once for information.
	type prepared struct {
		sql  string
		args []any
	}
	var raws, naive []prepared
	for _, lc := range cases {
		q, args := pairUnionSQL(lc.regions, lc.statuses, lc.after, 21)
		raws = append(raws, prepared{q, args})
		stmt := e.db.Session(&gormDryRun).Raw("SELECT * FROM requests WHERE "+lc.where+" ORDER BY id DESC LIMIT 21", lc.args...).Statement
		naive = append(naive, prepared{stmt.SQL.String(), stmt.Vars})
	}
	query := func(ps []prepared) op {
		var k atomic.Int64
		return func(w, i int) (outcome, error) {
			p := ps[int(k.Add(1))%len(ps)]
			rows, err := e.raw.QueryContext(ctx, p.sql, p.args...)
			if err != nil {
				return opError, err
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					return opError, err
				}
			}
			return opOK, rows.Err()
		}
	}
	rawOp := query(raws)
	c := e.o.conc
	as, bs := pairsOf(e.o.pairs, e.profiler("L"), func() run { return closedLoop(c, e.o.duration, 1<<30, get) },
		func() run { return closedLoop(c, e.o.duration, 1<<30, rawOp) })
	res.ratios = ratios(as, bs)
	if msg := ranOK(as, bs); msg != "" {
		return res, fmt.Errorf("%s", msg)
	}
	var rates []float64
	for _, a := range as {
		rates = append(rates, a.rate())
	}
	nv := closedLoop(c, e.o.duration, 1<<30, query(naive))
	fmt.Printf("  naive keyset query (for information): %s\n", describe(nv))
	half := median(rates) / 2
	dur := 5 * time.Second
	if e.o.smoke {
		dur = time.Second
	}
	ol := openLoop(half, dur, 1024, get)
	p99 := ol.pct(0.99)
	fmt.Printf("  open loop at %.0f/s for %s: %s\n", half, dur, describe(ol))
	res.met = median(res.ratios) >= 0.5 && p99 < 50*time.Millisecond && ol.errs == 0
	res.absolute = absRuns("service", as) + "; " + absRuns("raw", bs) + fmt.Sprintf("; at %.0f/s (half): p50 %s p99 %s, %d errors",
		half, ms(ol.pct(0.5)), ms(p99), ol.errs) + "; " + absRuns("naive keyset", []run{nv})
	if ol.ops == 0 || ol.errs > 0 {
		return res, fmt.Errorf("open loop: %d ok, %d errors (%s)", ol.ops, ol.errs, ol.firstErr)
	}
	return res, nil
}

// ---- A: /stats for a quarter -------------------------------------------------------

func (e *env) rowA(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "A", what: "GET /stats, a quarter, whole city (sequential ×5, p50) vs raw GROUP BY; one index run per pair",
		ratioLabel: "× raw", target: "≤ 1.3× raw or < 50 ms"}
	tok, err := e.login(e.user("acfic", e.root()))
	if err != nil {
		return res, err
	}
	loc := e.ref.Calendar.Location()
	now := time.Now().In(loc)
	q := (int(now.Month())-1)/3 + 1 - 1
	y := now.Year()
	if q == 0 {
		q, y = 4, y-1
	}
	period := fmt.Sprintf("%d-Q%d", y, q)
	per, err := model.ParsePeriod(period, loc)
	if err != nil {
		return res, err
	}
	u := fmt.Sprintf("%s/api/v1/stats?region_code=%s&period=%s", e.base, e.root(), period)
	regions := e.authz.Descendants(e.root())
	var svcBody []byte
	service := func() time.Duration {
		t := time.Now()
		st, b, err := e.cl.do("GET", u, tok, nil)
		if err != nil || st != 200 {
			panic(fmt.Sprintf("stats: %d %s %v", st, b, err))
		}
		svcBody = b
		return time.Since(t)
	}
	var rawFig map[string][2]float64
	rawQ := func() time.Duration {
		t := time.Now()
		f, err := e.rawStats(ctx, regions, per.From, per.To)
		if err != nil {
			panic(err)
		}
		rawFig = f
		return time.Since(t)
	}
	// One index run for the quarter (POST /index/runs: the tracker figures
	// of its 28 units in one pass, plus the submitted and survey values,
	// the computation and the stored draft) against the same raw GROUP BY:
	// the run needs at least the figures the raw statements compute.
	runBody, _ := json.Marshal(map[string]string{"period": period})
	indexRun := func() time.Duration {
		t := time.Now()
		st, b, err := e.cl.do("POST", e.base+"/api/v1/index/runs", tok, runBody)
		if err != nil || st != 201 {
			panic(fmt.Sprintf("index run: %d %s %v", st, b, err))
		}
		return time.Since(t)
	}
	seq := func(f func() time.Duration) time.Duration {
		var ds []float64
		for i := 0; i < 5; i++ {
			ds = append(ds, float64(f()))
		}
		return time.Duration(median(ds))
	}
	var sp, rp, ip, iratios []float64
	stop := func() {}
	// One untimed call of each first: the first pair would otherwise charge
	// the service alone with reading the period's index pages from disk.
	warm := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("%v", v)
			}
		}()
		service()
		rawQ()
		return nil
	}
	if err := warm(); err != nil {
		return res, err
	}
	err = func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				stop()
				err = fmt.Errorf("%v", v)
			}
		}()
		for i := 0; i < e.o.pairs; i++ {
			stop = e.profiler("A")(i)
			a := seq(service)
			stop()
			stop = func() {}
			b := seq(rawQ)
			c := indexRun()
			sp, rp, ip = append(sp, float64(a)), append(rp, float64(b)), append(ip, float64(c))
			res.ratios = append(res.ratios, float64(a)/float64(b))
			iratios = append(iratios, float64(c)/float64(b))
			fmt.Printf("  pair %d: service p50 %s | raw p50 %s | index run %s\n", i+1, ms(a), ms(b), ms(c))
		}
		return nil
	}()
	if err != nil {
		return res, err
	}
	svcP50 := time.Duration(median(sp))
	res.met = median(res.ratios) <= 1.3 || svcP50 < 50*time.Millisecond
	res.absolute = fmt.Sprintf("period %s; service p50 %s; raw p50 %s; index run p50 %s (%.2f× raw)", period, ms(svcP50),
		ms(time.Duration(median(rp))), ms(time.Duration(median(ip))), median(iratios))
	// the service's figures equal the raw GROUP BY's
	var v struct {
		Indicators []struct {
			Code        string  `json:"code"`
			Numerator   float64 `json:"numerator"`
			Denominator float64 `json:"denominator"`
			Missing     bool    `json:"missing"`
		} `json:"indicators"`
	}
	if err := json.Unmarshal(svcBody, &v); err != nil {
		return res, err
	}
	// Lead indicators are shown to inspectors only: compare those that
	// 工商联's answer leaves out against the city inspector's answer.
	shown := map[string]bool{}
	for _, ind := range v.Indicators {
		shown[ind.Code] = true
	}
	itok, err := e.login(e.user("insp", e.root()))
	if err != nil {
		return res, err
	}
	st, ib, err := e.cl.do("GET", u, itok, nil)
	if err != nil || st != 200 {
		return res, fmt.Errorf("stats as inspector: %d %s %v", st, ib, err)
	}
	iv := v
	iv.Indicators = nil
	if err := json.Unmarshal(ib, &iv); err != nil {
		return res, err
	}
	for _, ind := range iv.Indicators {
		if !shown[ind.Code] {
			v.Indicators = append(v.Indicators, ind)
		}
	}
	var diffs []string
	seen := 0
	for _, ind := range v.Indicators {
		want, ok := rawFig[ind.Code]
		if !ok {
			continue
		}
		seen++
		if ind.Missing && want[1] == 0 {
			continue
		}
		if math.Abs(ind.Numerator-want[0]) > 1e-6*math.Max(1, want[0]) || math.Abs(ind.Denominator-want[1]) > 1e-9 {
			diffs = append(diffs, fmt.Sprintf("%s service %g/%g raw %g/%g", ind.Code, ind.Numerator, ind.Denominator, want[0], want[1]))
		}
	}
	var t01 [2]float64 = rawFig["T01"]
	e.check("A /stats = raw GROUP BY", len(diffs) == 0 && seen == len(rawFig),
		"%d indicators compared (T01 %g/%g)%s", seen, t01[0], t01[1], strings.Join(append([]string{""}, diffs...), "; "))
	return res, nil
}

// rawStats computes T01–T12 numerators and denominators with GROUP BY
// queries written independently of model.TrackerStats: three for the
// requests (T01–T09), three for the leads (T10–T12).
func (e *env) rawStats(ctx context.Context, regions []string, from, to time.Time) (map[string][2]float64, error) {
	in := func(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
	rargs := make([]any, len(regions))
	for i, r := range regions {
		rargs[i] = r
	}
	var closedN, onTime, supervised, reopened float64
	rows, err := e.raw.QueryContext(ctx, "SELECT region_code, COUNT(*), SUM(CASE WHEN late_steps = 0 THEN 1 ELSE 0 END), "+
		"SUM(CASE WHEN supervised THEN 1 ELSE 0 END), SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END) FROM requests "+
		"WHERE status = 'closed' AND closed_at >= ? AND closed_at < ? AND region_code IN ("+in(len(regions))+") GROUP BY region_code",
		append([]any{from, to}, rargs...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r string
		var a, b, c, d float64
		if err := rows.Scan(&r, &a, &b, &c, &d); err != nil {
			rows.Close()
			return nil, err
		}
		closedN, onTime, supervised, reopened = closedN+a, onTime+b, supervised+c, reopened+d
	}
	rows.Close()
	var cohort, cohortClosed float64
	rows, err = e.raw.QueryContext(ctx, "SELECT status, COUNT(*) FROM requests WHERE first_assigned_at >= ? AND first_assigned_at < ? "+
		"AND region_code IN ("+in(len(regions))+") GROUP BY status", append([]any{from, to}, rargs...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var st string
		var n float64
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if st != "withdrawn" && st != "rejected" {
			cohort += n
		}
		if st == "closed" {
			cohortClosed += n
		}
	}
	rows.Close()
	type k struct{ action, from, to string }
	type agg struct{ n, onTime, secs float64 }
	ev := map[k]agg{}
	actions := []any{"assign", "reject", "respond", "evaluate", "return", "expire_evaluation"}
	rows, err = e.raw.QueryContext(ctx, "SELECT action, from_status, to_status, COUNT(*), SUM(CASE WHEN on_time THEN 1 ELSE 0 END), "+
		"SUM(working_seconds) FROM events WHERE case_kind = 'request' AND action IN ("+in(len(actions))+") AND at >= ? AND at < ? "+
		"AND region_code IN ("+in(len(regions))+") GROUP BY action, from_status, to_status",
		append(append(actions, from, to), rargs...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var key k
		var a agg
		var on, secs sql.NullFloat64
		if err := rows.Scan(&key.action, &key.from, &key.to, &a.n, &on, &secs); err != nil {
			rows.Close()
			return nil, err
		}
		a.onTime, a.secs = on.Float64, secs.Float64
		ev[key] = a
	}
	rows.Close()
	sum := func(f func(k) bool) agg {
		var out agg
		for key, a := range ev {
			if f(key) {
				out.n, out.onTime, out.secs = out.n+a.n, out.onTime+a.onTime, out.secs+a.secs
			}
		}
		return out
	}
	triage := sum(func(x k) bool { return (x.action == "assign" || x.action == "reject") && x.from == "submitted" })
	respond := sum(func(x k) bool { return x.action == "respond" })
	evaluated := sum(func(x k) bool { return x.action == "evaluate" })
	satisfied := sum(func(x k) bool { return x.action == "evaluate" && x.to == "closed" })
	returned := sum(func(x k) bool { return x.action == "return" })
	assigned := sum(func(x k) bool { return x.action == "assign" })
	expired := sum(func(x k) bool { return x.action == "expire_evaluation" })
	// Leads: registrations and dismissals (T10) and decisions (T11: decide,
	// or the approval of a proposed disposal) of the
	// range; rectifications due in the range and by now, done (on time or
	// not) or still open (T12).
	asOf := time.Now()
	var reg, regOn, dec, decOn float64
	rows, err = e.raw.QueryContext(ctx, "SELECT action, COUNT(*), SUM(CASE WHEN on_time THEN 1 ELSE 0 END) FROM events "+
		"WHERE case_kind = 'lead' AND action IN ('register', 'dismiss', 'decide', 'approve_disposal') AND at >= ? AND at < ? "+
		"AND region_code IN ("+in(len(regions))+") GROUP BY action", append([]any{from, to}, rargs...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var action string
		var n float64
		var on sql.NullFloat64
		if err := rows.Scan(&action, &n, &on); err != nil {
			rows.Close()
			return nil, err
		}
		if action == "decide" || action == "approve_disposal" {
			dec, decOn = dec+n, decOn+on.Float64
		} else {
			reg, regOn = reg+n, regOn+on.Float64
		}
	}
	rows.Close()
	var done float64
	var doneOn sql.NullFloat64
	if err := e.raw.QueryRowContext(ctx, "SELECT COUNT(*), SUM(CASE WHEN on_time THEN 1 ELSE 0 END) FROM events "+
		"WHERE case_kind = 'lead' AND action = 'complete_rectification' AND step_due_at >= ? AND step_due_at < ? AND step_due_at <= ? "+
		"AND region_code IN ("+in(len(regions))+")", append([]any{from, to, asOf}, rargs...)...).Scan(&done, &doneOn); err != nil {
		return nil, err
	}
	var open float64
	if err := e.raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM leads WHERE status = 'rectifying' "+
		"AND rectify_due_at >= ? AND rectify_due_at < ? AND rectify_due_at <= ? AND region_code IN ("+in(len(regions))+")",
		append([]any{from, to, asOf}, rargs...)...).Scan(&open); err != nil {
		return nil, err
	}
	return map[string][2]float64{
		"T01": {triage.onTime, triage.n},
		"T02": {onTime, closedN},
		"T03": {respond.secs / 3600, respond.n},
		"T04": {supervised, closedN},
		"T05": {cohortClosed, cohort},
		"T06": {satisfied.n, evaluated.n},
		"T07": {reopened, closedN},
		"T08": {returned.n, assigned.n},
		"T09": {expired.n, closedN},
		"T10": {regOn, reg},
		"T11": {decOn, dec},
		"T12": {doneOn.Float64, done + open},
	}, nil
}

// ---- S: one overdue scan -------------------------------------------------------------

// prepareOverdue makes ids open, overdue by an hour and not yet marked.
func (e *env) prepareOverdue(ids []uint64) error {
	past := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	for lo := 0; lo < len(ids); lo += 5000 {
		hi := min(len(ids), lo+5000)
		if err := e.db.Model(&model.Request{}).Where("id IN ?", ids[lo:hi]).
			Updates(map[string]any{"overdue": false, "supervised": false, "due_at": past, "due_soon": false}).Error; err != nil {
			return err
		}
	}
	return nil
}

func (e *env) rowS(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "S", what: "one overdue scan (store.Scan) over open overdue items vs raw SQL writing the same rows in the same batches",
		ratioLabel: "× raw time", target: "≤ 1.5× raw"}
	var ids []uint64
	if err := e.db.Model(&model.Request{}).Where("status IN ?", []string{"submitted", "assigned", "in_progress"}).
		Order("id").Limit(e.o.scanItems).Pluck("id", &ids).Error; err != nil {
		return res, err
	}
	if len(ids) == 0 {
		return res, fmt.Errorf("no open request to scan")
	}
	// A pass first, not measured, marks what the seed left past due (its
	// leads and requests), so that the measured pass and the raw one write
	// the same items: the prepared requests.
	if _, err := e.store.Scan(ctx); err != nil {
		return res, err
	}
	if err := e.prepareOverdue(ids); err != nil {
		return res, err
	}
	var before int64
	e.db.Raw("SELECT COUNT(*) FROM events WHERE action = 'overdue'").Scan(&before)
	stop := e.profiler("S")(0)
	t := time.Now()
	sr, err := e.store.Scan(ctx)
	d := time.Since(t)
	stop()
	if err != nil {
		return res, err
	}
	var after int64
	e.db.Raw("SELECT COUNT(*) FROM events WHERE action = 'overdue'").Scan(&after)
	e.check("S each item marked once", sr.Overdue >= len(ids) && after-before == int64(sr.Overdue),
		"%d prepared, %d marked, %d new overdue events", len(ids), sr.Overdue, after-before)
	// The ceiling: the same items overdue again, claimed and written by
	// raw statements of the scanner's shapes and batch sizes.
	if err := e.prepareOverdue(ids); err != nil {
		return res, err
	}
	t = time.Now()
	marked, err := e.rawScan(ctx)
	dr := time.Since(t)
	if err != nil {
		return res, fmt.Errorf("raw scan: %w", err)
	}
	e.check("S raw ceiling marked the same items", marked >= len(ids), "%d prepared, %d marked", len(ids), marked)
	res.ratios = []float64{d.Seconds() / dr.Seconds()}
	res.met = res.ratios[0] <= 1.5
	res.absolute = fmt.Sprintf("%d items: service %s, raw %s; %d statements (overdue %d, supervised %d, due soon %d, expired %d)",
		len(ids), ms(d), ms(dr), sr.Statements, sr.Overdue, sr.Supervised, sr.DueSoon, sr.Expired)
	fmt.Printf("  %s\n", res.absolute)
	return res, nil
}

// rawScan marks the overdue requests as the scanner does, in raw SQL: per
// batch of 2,000 candidates, one transaction that claims them (conditional
// UPDATE stamping a token), reads the claimed rows back, reads the chain
// tip of those whose row does not keep it, inserts two chained events per
// item (overdue, then 督办) in multi-row INSERTs of the scanner's size, and
// sets the chain heads and the 督办 flag in CASE updates of its size.
func (e *env) rawScan(ctx context.Context) (int, error) {
	const batch = 2000
	sqlite := e.o.driver == "sqlite"
	evRows, headRows := 500, batch
	if sqlite {
		evRows, headRows = 1200/17, 1200/3
	}
	hc, hv, nh := e.eventHashCols()
	cols := "case_kind, case_id, action, from_status, to_status, actor_id, actor_role, at, payload, step, working_seconds, region_code" + hc
	one := "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?" + hv + ")"
	marked := 0
	for {
		now := time.Now().UTC().Truncate(time.Millisecond)
		rows, err := e.raw.QueryContext(ctx, "SELECT id FROM requests WHERE status IN ('submitted', 'assigned', 'in_progress') AND overdue = ? AND due_at < ? LIMIT ?", false, now, batch)
		if err != nil {
			return marked, err
		}
		var ids []any
		for rows.Next() {
			var id uint64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return marked, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) == 0 {
			return marked, nil
		}
		n, err := e.rawScanBatch(ctx, ids, now, cols, one, nh, evRows, headRows)
		if err != nil {
			return marked, err
		}
		marked += n
		if len(ids) < batch {
			return marked, nil
		}
	}
}

func (e *env) rawScanBatch(ctx context.Context, ids []any, now time.Time, cols, one string, nh, evRows, headRows int) (int, error) {
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	token := randHex(16)
	unlock := e.rawWriter()
	defer unlock()
	tx, err := e.raw.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	args := append([]any{true, token}, ids...)
	args = append(args, false, now)
	if _, err := tx.Exec("UPDATE requests SET overdue = ?, late_steps = late_steps + 1, scan_token = ?, version = version + 1 WHERE id IN "+in+
		" AND status IN ('submitted', 'assigned', 'in_progress') AND overdue = ? AND due_at < ?", args...); err != nil {
		return 0, err
	}
	type item struct {
		id             uint64
		status, region string
		head           sql.NullString
	}
	var items []item
	rows, err := tx.Query("SELECT * FROM requests WHERE id IN "+in+" AND scan_token = ? ORDER BY id", append(slices.Clone(ids), token)...)
	if err != nil {
		return 0, err
	}
	colNames, _ := rows.Columns()
	for rows.Next() {
		var it item
		vals := make([]any, len(colNames))
		for i, c := range colNames {
			switch c {
			case "id":
				vals[i] = &it.id
			case "status":
				vals[i] = &it.status
			case "region_code":
				vals[i] = &it.region
			case "chain_head":
				vals[i] = &it.head
			default:
				vals[i] = new(sql.RawBytes)
			}
		}
		if err := rows.Scan(vals...); err != nil {
			rows.Close()
			return 0, err
		}
		items = append(items, it)
	}
	rows.Close()
	// The chain tips the rows do not keep.
	var missing []any
	for _, it := range items {
		if !it.head.Valid {
			missing = append(missing, it.id)
		}
	}
	tips := map[uint64]string{}
	for lo := 0; lo < len(missing); lo += headRows {
		part := missing[lo:min(lo+headRows, len(missing))]
		pin := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ") + ")"
		r, err := tx.Query("SELECT e.case_id, e.hash FROM events e JOIN (SELECT case_id, MAX(id) AS m FROM events WHERE case_kind = 'request' AND case_id IN "+pin+
			" GROUP BY case_id) t ON e.id = t.m", part...)
		if err != nil {
			return 0, err
		}
		for r.Next() {
			var id uint64
			var h sql.NullString
			if err := r.Scan(&id, &h); err != nil {
				r.Close()
				return 0, err
			}
			tips[id] = h.String
		}
		r.Close()
	}
	// Two chained events per item.
	type ev struct {
		args []any
	}
	var evs []ev
	heads := make(map[uint64]string, len(items))
	for _, it := range items {
		prev := it.head.String
		if !it.head.Valid {
			prev = tips[it.id]
		}
		for _, action := range []string{"overdue", "supervise"} {
			payload := `{"auto":true}`
			if action == "overdue" {
				payload = `{"step":"handle"}`
			}
			sum := sha256.Sum256([]byte(fmt.Sprint(prev, "request", it.id, action, it.status, now.UnixMilli(), payload, it.region)))
			h := hex.EncodeToString(sum[:])
			a := []any{"request", it.id, action, it.status, it.status, 0, "system", now, payload, "", 0, it.region}
			if nh == 2 {
				a = append(a, prev, h)
			} else if nh == 1 {
				a = append(a, h)
			}
			evs = append(evs, ev{a})
			prev = h
		}
		heads[it.id] = prev
	}
	for lo := 0; lo < len(evs); lo += evRows {
		part := evs[lo:min(lo+evRows, len(evs))]
		var a []any
		for _, x := range part {
			a = append(a, x.args...)
		}
		if _, err := tx.Exec("INSERT INTO events ("+cols+") VALUES "+strings.TrimSuffix(strings.Repeat(one+", ", len(part)), ", "), a...); err != nil {
			return 0, err
		}
	}
	for lo := 0; lo < len(items); lo += headRows {
		part := items[lo:min(lo+headRows, len(items))]
		var when strings.Builder
		var a, pids []any
		for _, it := range part {
			when.WriteString(" WHEN ? THEN ?")
			a = append(a, it.id, heads[it.id])
			pids = append(pids, it.id)
		}
		a = append(a, true)
		a = append(a, pids...)
		pin := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(pids)), ", ") + ")"
		if _, err := tx.Exec("UPDATE requests SET chain_head = CASE id"+when.String()+" END, supervised = ? WHERE id IN "+pin, a...); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return len(items), nil
}

// ---- H: the middleware chain ---------------------------------------------------------

func (e *env) rowH(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "H", what: "GET /api/v1/me through the chain (auth with credential_cache 1s, rate limit on, metrics) vs bare gin route",
		ratioLabel: "of bare", target: "≥ 0.50"}
	tok, err := e.login(e.user("acfic", e.root()))
	if err != nil {
		return res, err
	}
	c := e.o.conc
	service := func() run {
		return closedLoop(c, e.o.duration, 1<<30, func(w, i int) (outcome, error) {
			st, b, err := e.cl.do("GET", e.baseRL+"/api/v1/me", tok, nil)
			return expect(st, b, err, 200, 0)
		})
	}
	bare := func() run {
		return closedLoop(c, e.o.duration, 1<<30, func(w, i int) (outcome, error) {
			st, b, err := e.cl.do("GET", e.baseBare+"/api/v1/me", tok, nil)
			return expect(st, b, err, 200, 0)
		})
	}
	as, bs := pairsOf(e.o.pairs, e.profiler("H"), service, bare)
	res.ratios = ratios(as, bs)
	res.met = median(res.ratios) >= 0.5
	res.absolute = absRuns("chain", as) + "; " + absRuns("bare", bs)
	if msg := ranOK(as, bs); msg != "" {
		return res, fmt.Errorf("%s", msg)
	}
	return res, nil
}

// ---- Z: one authorization decision -------------------------------------------------------

func (e *env) rowZ(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "Z", what: "one authorization decision (real policy, real region tree), in-process", noTarget: true,
		target: "report (go test -bench . ./policy/ for trees of 10–1000 regions)"}
	town := ""
	for _, r := range e.ref.RegionList {
		if r.Level == "town" {
			town = r.Code
		}
	}
	cases := []struct {
		name string
		sub  policy.Subject
		act  string
		res  policy.Resource
	}{
		{"allow acfic→town request", policy.Subject{Role: "acfic", Region: e.root()}, "supervise", policy.Resource{Kind: "request", Region: town}},
		{"deny inspector create lead", policy.Subject{Role: "inspector", Region: e.root()}, "create", policy.Resource{Kind: "lead", Region: town}},
	}
	n := 200000
	if e.o.smoke {
		n = 20000
	}
	var parts []string
	for _, c := range cases {
		t := time.Now()
		for i := 0; i < n; i++ {
			_ = e.authz.Authorize(c.sub, c.act, c.res)
		}
		per := time.Since(t) / time.Duration(n)
		parts = append(parts, fmt.Sprintf("%s %s", c.name, per))
	}
	res.absolute = strings.Join(parts, "; ")
	fmt.Printf("  %s\n", res.absolute)
	_ = workflow.RoleACFIC
	return res, nil
}

// ---- P: a login storm ---------------------------------------------------------------------

// rowP signs 32 accounts in at once from one address (argon2id at the
// default 19 MiB each) while a bystander reads /me, and reports the peak
// resident memory and the bystander's latency during the storm against
// the same reads before it. One storm per run whatever -pairs: the login
// throttle allows 120 sign-ins a minute per address, and 20 at once (a
// sign-in counts as a failure until its password is proved right).
func (e *env) rowP(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "P", what: "login storm: 32 parallel sign-ins from one address; peak RSS and a bystander's GET /me p99",
		noTarget: true, target: "report (hashing is bounded to the cores; excess waits, then 503)"}
	n := e.o.enterprises
	if n < 32 {
		return res, fmt.Errorf("row P needs 32 enterprise accounts, have %d", n)
	}
	tok, err := e.login(e.user("acfic", e.root()))
	if err != nil {
		return res, err
	}
	me := func() (time.Duration, error) {
		t := time.Now()
		st, b, err := e.cl.do("GET", e.base+"/api/v1/me", tok, nil)
		if _, err := expect(st, b, err, 200, 0); err != nil {
			return 0, err
		}
		return time.Since(t), nil
	}
	// the bystander alone, for as long as the storm will take
	idle := run{}
	for t := time.Now(); time.Since(t) < e.o.duration; {
		d, err := me()
		if err != nil {
			return res, err
		}
		idle.lat = append(idle.lat, d)
	}
	resetHWM()
	before := vmRSS()
	var wg sync.WaitGroup
	statuses := make([]int, 32)
	bad := make([]string, 32)
	start := time.Now()
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"username":%q,"password":%q}`, e.user("ent", fmt.Sprint(n-i)), e.password)
			st, b, err := e.cl.do("POST", e.base+"/api/v1/auth/login", "", []byte(body))
			statuses[i] = st
			if err != nil || (st != 200 && st != 503 && st != 429) {
				bad[i] = fmt.Sprintf("HTTP %d %s %v", st, b, err)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	storm := run{}
	var byErr error
loop:
	for {
		select {
		case <-done:
			break loop
		default:
		}
		d, err := me()
		if err != nil {
			byErr = err
			<-done
			break
		}
		storm.lat = append(storm.lat, d)
	}
	took := time.Since(start)
	peak := vmHWM()
	if byErr != nil {
		return res, byErr
	}
	count := map[int]int{}
	for i, st := range statuses {
		count[st]++
		if bad[i] != "" {
			return res, fmt.Errorf("sign-in %d: %s", i, bad[i])
		}
	}
	slices.Sort(idle.lat)
	slices.Sort(storm.lat)
	res.absolute = fmt.Sprintf("32 sign-ins in %s: %d × 200, %d × 503, %d × 429; RSS %s before, peak %s; bystander /me p50 %s p99 %s during (%d reads), p99 %s alone",
		took.Round(time.Millisecond), count[200], count[503], count[429], before, peak, ms(storm.pct(0.5)), ms(storm.pct(0.99)), len(storm.lat), ms(idle.pct(0.99)))
	fmt.Printf("  %s\n", res.absolute)
	e.check("login storm answers 200, 503 (no hashing slot) or 429 (address budget) only",
		count[200]+count[503]+count[429] == 32 && count[200] > 0, "%v", count)
	return res, nil
}

func vmRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}
