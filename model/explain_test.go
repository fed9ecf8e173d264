package model

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"qinqing/workflow"
)

// sqlCapture is a gorm logger that keeps every statement run (with its
// values inlined, as gorm's dialect renders them), so that the real query
// code is what gets EXPLAINed.
type sqlCapture struct {
	mu   sync.Mutex
	stmt []string
}

func (c *sqlCapture) LogMode(logger.LogLevel) logger.Interface { return c }
func (c *sqlCapture) Info(context.Context, string, ...any)     {}
func (c *sqlCapture) Warn(context.Context, string, ...any)     {}
func (c *sqlCapture) Error(context.Context, string, ...any)    {}
func (c *sqlCapture) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stmt
	c.stmt = nil
	return s
}
func (c *sqlCapture) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	s, _ := fc()
	c.mu.Lock()
	c.stmt = append(c.stmt, s)
	c.mu.Unlock()
}

// TestQueriesUseIndexes proves on MariaDB/MySQL that no list filter of
// ListRequests (each scope) and no /stats query reads the requests, leads
// or events table in full (EXPLAIN type=ALL), and that when a filter has
// nothing but regions, statuses and a cursor every branch of the per-pair
// list statement (list_pairs.go) reads idx_requests_region_status in id
// order, without sorting its matches (with other conditions the planner may
// rightly prefer another index for a branch). It needs QINQING_TEST_MYSQL_DSN
// (SQLite's planner differs, and CI sets the DSN).
func TestQueriesUseIndexes(t *testing.T) {
	base := os.Getenv("QINQING_TEST_MYSQL_DSN")
	if base == "" {
		t.Skip("QINQING_TEST_MYSQL_DSN is not set: EXPLAIN runs on MariaDB/MySQL only")
	}
	db := openMySQLTest(t, base)
	s, _ := newTestStore(t, db, "", nil)
	ctx := context.Background()
	if _, err := s.Seed(ctx, SeedOptions{Requests: 4000, Leads: 500, Enterprises: 300, PasswordHash: "x", Seed: 7}); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"requests", "events", "leads", "accounts", "enterprises"} {
		if err := db.Exec("ANALYZE TABLE " + tbl).Error; err != nil {
			t.Fatal(err)
		}
	}
	cap := &sqlCapture{}
	cs := NewStore(db.Session(&gorm.Session{Logger: cap}), s.ref, s.opt, s.clock)

	var one Request
	if err := db.Where("status = ? AND department_code IS NOT NULL AND station_id IS NULL", "in_progress").Take(&one).Error; err != nil {
		t.Fatal(err)
	}
	var station Station
	if err := db.Take(&station).Error; err != nil {
		t.Fatal(err)
	}
	city := s.ref.RegionList[0].Code
	all := make([]string, 0, len(s.ref.RegionList))
	for _, r := range s.ref.RegionList {
		all = append(all, r.Code)
	}
	county := []string{*one.UnitRegionCode}
	for _, r := range s.ref.RegionList {
		if r.ParentCode == county[0] {
			county = append(county, r.Code)
		}
	}
	yes, no := true, false
	scopes := map[string]Scope{
		"acfic":      {Role: workflow.RoleACFIC, HomeRegion: city, Regions: all},
		"inspector":  {Role: workflow.RoleInspector, HomeRegion: county[0], Regions: county},
		"enterprise": {Role: workflow.RoleEnterprise, EnterpriseID: one.EnterpriseID},
		"station":    {Role: workflow.RoleStation, StationID: station.ID},
		"department": {Role: workflow.RoleDepartment, DepartmentCode: *one.DepartmentCode, HomeRegion: county[0], Regions: county},
	}
	filters := map[string]RequestFilter{
		"none":            {},
		"status":          {Status: []string{"in_progress"}},
		"status_region":   {Status: []string{"assigned", "in_progress"}, RegionCodes: county},
		"region_code":     {RegionCodes: county},
		"department_code": {DepartmentCode: *one.DepartmentCode},
		"overdue":         {Overdue: &yes},
		"not_overdue":     {Overdue: &no},
		"supervised":      {Supervised: &yes},
		"deep_page":       {Status: []string{"closed"}, Page: Page{After: one.ID}},
	}
	type query struct {
		name, sql string
		pairs     bool // the per-pair statement of ListRequests
		pure      bool // … for a filter of regions, statuses and a cursor only
		scan      bool // a deadline scanner statement: no full index scan either
	}
	var queries []query
	for sn, sc := range scopes {
		for fn, f := range filters {
			if _, _, err := cs.ListRequests(ctx, sc, f); err != nil {
				t.Fatal(sn, fn, err)
			}
			for _, q := range cap.take() {
				pure := f.DepartmentCode == "" && f.Supervised == nil && f.Overdue == nil && f.Q == ""
				pairs := strings.Contains(q, "region_code = ")
				queries = append(queries, query{name: "ListRequests " + sn + "/" + fn, sql: q, pairs: pairs, pure: pairs && pure})
			}
		}
	}
	for _, regions := range [][]string{all, county} {
		per, _ := ParsePeriod("2026-Q3", s.cal.Location())
		if _, err := cs.TrackerStats(ctx, regions, per.From, per.To); err != nil {
			t.Fatal(err)
		}
		for _, q := range cap.take() {
			queries = append(queries, query{name: fmt.Sprintf("TrackerStats %d regions", len(regions)), sql: q})
		}
	}
	// An index run: the scopes of every unit in one pass, grouped by region.
	var unitScopes [][]string
	for _, u := range cs.EvaluatedUnits() {
		unitScopes = append(unitScopes, u.Scope)
	}
	q3, _ := ParsePeriod("2026-Q3", s.cal.Location())
	if _, err := cs.TrackerStatsForScopes(ctx, unitScopes, q3.From, q3.To); err != nil {
		t.Fatal(err)
	}
	for _, q := range cap.take() {
		queries = append(queries, query{name: fmt.Sprintf("TrackerStatsForScopes %d units", len(unitScopes)), sql: q})
	}
	for sn, sc := range scopes {
		if _, _, err := cs.ListDeadlines(ctx, sc, DeadlineFilter{State: "overdue"}); err != nil {
			t.Fatal(err)
		}
		for _, q := range cap.take() {
			queries = append(queries, query{name: "ListDeadlines " + sn, sql: q})
		}
		// The board's counts by state (the console's 期限看板).
		if _, err := cs.CountDeadlinesByState(ctx, sc, DeadlineFilter{}); err != nil {
			t.Fatal(err)
		}
		for _, q := range cap.take() {
			queries = append(queries, query{name: "CountDeadlinesByState " + sn, sql: q})
		}
	}
	// The worklists of 我的待办 (the console's home), as each role asks.
	own := Scope{Role: workflow.RoleDepartment, DepartmentCode: *one.DepartmentCode, HomeRegion: county[0], Regions: county}
	worklists := []struct {
		name  string
		sc    Scope
		f     WaitingFilter
		leads bool
	}{
		{"acfic submitted", scopes["acfic"], WaitingFilter{Statuses: []string{"submitted"}}, false},
		{"acfic extensions", scopes["acfic"], WaitingFilter{Statuses: []string{"in_progress"}, PendingExtension: true}, false},
		{"acfic overdue", scopes["acfic"], WaitingFilter{Statuses: []string{"submitted", "assigned", "in_progress"}, Overdue: true}, false},
		{"inspector overdue", scopes["inspector"], WaitingFilter{Statuses: []string{"assigned", "in_progress"}, Overdue: true}, false},
		{"enterprise", scopes["enterprise"], WaitingFilter{Statuses: []string{"responded", "submitted"}}, false},
		{"station", scopes["station"], WaitingFilter{Statuses: []string{"submitted", "responded"}}, false},
		{"department", own, WaitingFilter{Statuses: []string{"assigned", "in_progress"}, OwnUnit: true}, false},
		{"inspector leads", scopes["inspector"], WaitingFilter{Statuses: []string{"reported", "registered", "verifying"}}, true},
		{"department leads", own, WaitingFilter{Statuses: []string{"rectifying"}, OwnUnit: true}, true},
	}
	for _, w := range worklists {
		var err error
		if w.leads {
			_, _, err = cs.WaitingLeads(ctx, w.sc, w.f)
		} else {
			_, _, err = cs.WaitingRequests(ctx, w.sc, w.f)
		}
		if err != nil {
			t.Fatal(w.name, err)
		}
		for _, q := range cap.take() {
			queries = append(queries, query{name: "Waiting " + w.name, sql: q})
		}
	}
	// A scanner pass (it changes rows, so it comes last): its candidate
	// queries must read a range, not walk a whole index.
	if _, err := cs.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	scans := 0
	for _, q := range cap.take() {
		queries = append(queries, query{name: "Scan", sql: q, scan: true})
		scans++
	}
	if scans == 0 {
		t.Fatal("the scanner issued no statement")
	}
	watched := map[string]bool{"requests": true, "leads": true, "events": true}
	checked, branches := 0, 0
	for _, q := range queries {
		if !strings.HasPrefix(strings.TrimSpace(strings.ToUpper(q.sql)), "SELECT") {
			continue
		}
		rows, err := db.Raw("EXPLAIN " + q.sql).Rows()
		if err != nil {
			t.Fatalf("%s: EXPLAIN %s: %v", q.name, q.sql, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := map[string]string{}
			for i, c := range cols {
				if b, ok := vals[i].([]byte); ok {
					row[c] = string(b)
				} else if vals[i] != nil {
					row[c] = fmt.Sprint(vals[i])
				}
			}
			checked++
			if row["type"] == "ALL" && watched[row["table"]] {
				t.Errorf("%s scans %s in full (type=ALL, key=%q, rows=%s):\n  %s", q.name, row["table"], row["key"], row["rows"], q.sql)
			} else if testing.Verbose() {
				t.Logf("%s: %s type=%s key=%s rows=%s extra=%s", q.name, row["table"], row["type"], row["key"], row["rows"], row["Extra"])
			}
			if q.scan && row["type"] == "index" && watched[row["table"]] {
				t.Errorf("%s walks the whole index %s of %s (rows=%s):\n  %s", q.name, row["key"], row["table"], row["rows"], q.sql)
			}
			if q.scan && !strings.Contains(q.sql, "scan_token") && strings.Contains(row["Extra"], "filesort") {
				// a candidate query that sorts: on a large table the planner
				// then walks the primary key instead
				t.Errorf("%s sorts its candidates (%s):\n  %s", q.name, row["Extra"], q.sql)
			}
			if q.pairs && row["table"] == "r" && (row["type"] != "eq_ref" || row["key"] != "PRIMARY") {
				// the rows of the page, by the ids the branches found
				t.Errorf("%s: the per-pair statement reads its rows by type=%s key=%q, want eq_ref on PRIMARY:\n  %s",
					q.name, row["type"], row["key"], q.sql)
			}
			if q.pure && row["table"] == "requests" {
				// a branch: one pair's range of the index, read in id order
				branches++
				if row["key"] != "idx_requests_region_status" || strings.Contains(row["Extra"], "filesort") {
					t.Errorf("%s: a per-pair branch reads key=%q (type=%s, rows=%s, %s), want idx_requests_region_status without filesort:\n  %s",
						q.name, row["key"], row["type"], row["rows"], row["Extra"], q.sql)
				}
			}
		}
		rows.Close()
	}
	if checked < len(scopes)*len(filters) {
		t.Fatalf("only %d plan rows checked", checked)
	}
	if branches < len(filters) {
		t.Fatalf("only %d per-pair branches checked: ListRequests no longer reads by pairs", branches)
	}
}

// TestSQLiteStatsPlansAfterAnalyze: on SQLite, once Analyze has run (the
// scanner does at start and hourly), the /stats statements read their
// covering indexes: the 办结率 cohort by first_assigned_at, the event counts
// by (action, at, …). Without statistics SQLite chose (region_code, status)
// and (case_kind, case_id), which on 1 M requests took seconds.
func TestSQLiteStatsPlansAfterAnalyze(t *testing.T) {
	dbs := testDBs(t)
	db := dbs["sqlite"]
	s, _ := newTestStore(t, db, "", nil)
	ctx := context.Background()
	if _, err := s.Seed(ctx, SeedOptions{Requests: 6000, Leads: 300, Enterprises: 200, PasswordHash: "x", Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	cap := &sqlCapture{}
	cs := NewStore(db.Session(&gorm.Session{Logger: cap}), s.ref, s.opt, s.clock)
	all := make([]string, 0, len(s.ref.RegionList))
	for _, r := range s.ref.RegionList {
		all = append(all, r.Code)
	}
	per, _ := ParsePeriod("2026-Q3", s.cal.Location())
	if _, err := cs.TrackerStats(ctx, all, per.From, per.To); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"first_assigned_at >=": "idx_requests_assigned_region", "FROM `events`": "idx_events_stats"}
	seen := map[string]bool{}
	for _, q := range cap.take() {
		for marker, index := range want {
			// the log quotes the statement's strings as the dialect does
			request := strings.Contains(q, `case_kind = "request"`) || strings.Contains(q, `case_kind = 'request'`)
			if !strings.Contains(q, marker) || !request && marker == "FROM `events`" {
				continue
			}
			seen[marker] = true
			var plan []struct {
				ID, Parent, Notused int
				Detail              string
			}
			if err := db.Raw("EXPLAIN QUERY PLAN " + q).Scan(&plan).Error; err != nil {
				t.Fatal(err)
			}
			var details []string
			for _, p := range plan {
				details = append(details, p.Detail)
			}
			if !strings.Contains(strings.Join(details, "; "), index) {
				t.Errorf("plan %q, want %s:\n  %s", strings.Join(details, "; "), index, q)
			}
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("statements seen %v, want %d kinds", seen, len(want))
	}
}
