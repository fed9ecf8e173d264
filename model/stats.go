package model

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// Period is a half-open time range [From, To) named like 2026-11, 2026-Q3 or
// 2026, in Asia/Shanghai.
type Period struct {
	Name     string
	From, To time.Time
}

var periodPattern = regexp.MustCompile(`^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$`)

// ParsePeriod reads a period name in loc.
func ParsePeriod(name string, loc *time.Location) (Period, error) {
	m := periodPattern.FindStringSubmatch(name)
	if m == nil {
		return Period{}, fmt.Errorf("period %q: want YYYY, YYYY-MM or YYYY-Qn", name)
	}
	y, _ := strconv.Atoi(m[1])
	from := time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	to := from.AddDate(1, 0, 0)
	switch {
	case m[2] != "":
		mo, _ := strconv.Atoi(m[2])
		from = time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, loc)
		to = from.AddDate(0, 1, 0)
	case m[3] != "":
		q, _ := strconv.Atoi(m[3])
		from = time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, loc)
		to = from.AddDate(0, 3, 0)
	}
	return Period{Name: name, From: from.UTC(), To: to.UTC()}, nil
}

// Rate is one tracker indicator with the counts behind it. Value is in
// percent for rates (hours for T03); Missing when the denominator is 0.
type Rate struct {
	Code        string
	Numerator   float64
	Denominator float64
	Value       float64
	Missing     bool
	// Count: the indicator is a count (Value = Numerator), which is never
	// missing and has no cases to be too few of.
	Count bool
}

// TrackerStats are the tracker indicators of a region subtree over a range.
type TrackerStats struct {
	Regions []string
	From    time.Time
	To      time.Time
	AsOf    time.Time
	Rates   []Rate
}

// eventCount is one aggregate row over events.
type eventCount struct {
	N      int64
	OnTime int64
	Sum    float64
}

// TrackerStats computes the tracker indicators (docs/index-method.md#tracker-indicators) for the regions
// over [from, to) with aggregate queries on the database, never by loading
// cases: two statements over requests, one over the events of requests,
// and those of the other kinds of case (statsSources).
func (s *Store) TrackerStats(ctx context.Context, regions []string, from, to time.Time) (TrackerStats, error) {
	out, err := s.TrackerStatsForScopes(ctx, [][]string{nonEmpty(regions)}, from, to)
	if err != nil {
		return TrackerStats{Regions: nonEmpty(regions), From: from, To: to}, err
	}
	return out[0], nil
}

// TrackerStatsForScopes computes the tracker indicators of several region
// sets (scopes, which may overlap) at once, as TrackerStats would for each:
// every indicator is a ratio of counts, and counts add up over regions, so
// each statement runs once over all the regions, grouped by region, and each
// scope sums the rows of its regions. An index run (28 units) thus scans the
// requests, leads and events of the period once, not once per unit. A
// single scope needs no grouping by region: the database sums.
func (s *Store) TrackerStatsForScopes(ctx context.Context, scopes [][]string, from, to time.Time) ([]TrackerStats, error) {
	db := s.db.WithContext(ctx)
	asOf := s.Now()
	var all []string
	seen := map[string]bool{}
	for _, sc := range scopes {
		for _, r := range sc {
			if !seen[r] {
				seen[r] = true
				all = append(all, r)
			}
		}
	}
	g := regionGroup(len(scopes) > 1)
	counts, err := requestCountsByRegion(db, nonEmpty(all), g, from, to)
	if err != nil {
		return nil, err
	}
	var extras []func(scope []string) []Rate
	for _, src := range s.statsSources() {
		f, err := src(ctx, db, nonEmpty(all), g, from, to, asOf)
		if err != nil {
			return nil, err
		}
		extras = append(extras, f)
	}
	out := make([]TrackerStats, len(scopes))
	for i, sc := range scopes {
		var c requestCounts
		for _, k := range g.keys(sc) {
			c.add(counts[k])
		}
		out[i] = TrackerStats{Regions: sc, From: from, To: to, AsOf: asOf, Rates: c.rates()}
		for _, f := range extras {
			out[i].Rates = append(out[i].Rates, f(sc)...)
		}
	}
	return out, nil
}

// regionGroup is how the stats statements group their rows: by region_code
// (true) when several scopes take their figures from one pass, each summing
// the rows of its regions; not at all (false) for a single scope, whose one
// row the database sums. A row not grouped by region has region key "".
type regionGroup bool

// cols is the grouping list: region_code, when grouping by region, then cols.
func (g regionGroup) cols(cols string) string {
	if !g {
		return cols
	}
	if cols == "" {
		return "region_code"
	}
	return "region_code, " + cols
}

// sel is the select list: the grouping columns, then the aggregates.
func (g regionGroup) sel(cols, aggregates string) string {
	if c := g.cols(cols); c != "" {
		return c + ", " + aggregates
	}
	return aggregates
}

// group adds the GROUP BY of cols (and of the region) to q, if any.
func (g regionGroup) group(q *gorm.DB, cols string) *gorm.DB {
	if c := g.cols(cols); c != "" {
		return q.Group(c)
	}
	return q
}

// keys are the region keys whose rows make up scope, each once.
func (g regionGroup) keys(scope []string) []string {
	if !g {
		return []string{""}
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range scope {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func (c *eventCount) add(o eventCount) {
	c.N += o.N
	c.OnTime += o.OnTime
	c.Sum += o.Sum
}

// requestCounts are the counts behind the request indicators T01–T09, of
// one region or summed over several.
type requestCounts struct {
	// Requests closed in the period: 按期办结, 督办, 重办, 未评价 share one scan.
	Closed, ClosedOnTime, ClosedSupervised, ClosedReopened int64
	// 办结率 cohort: first assigned in the period, and of those closed.
	Cohort, CohortClosed int64
	// Events in the period.
	Triage, Respond, Evaluated, Satisfied, Returned, Assigned, Expired eventCount
}

func (c *requestCounts) add(o *requestCounts) {
	if o == nil {
		return
	}
	c.Closed += o.Closed
	c.ClosedOnTime += o.ClosedOnTime
	c.ClosedSupervised += o.ClosedSupervised
	c.ClosedReopened += o.ClosedReopened
	c.Cohort += o.Cohort
	c.CohortClosed += o.CohortClosed
	c.Triage.add(o.Triage)
	c.Respond.add(o.Respond)
	c.Evaluated.add(o.Evaluated)
	c.Satisfied.add(o.Satisfied)
	c.Returned.add(o.Returned)
	c.Assigned.add(o.Assigned)
	c.Expired.add(o.Expired)
}

// rates turns the counts into T01–T09.
func (c requestCounts) rates() []Rate {
	return []Rate{
		rate("T01", float64(c.Triage.OnTime), float64(c.Triage.N), 100),
		rate("T02", float64(c.ClosedOnTime), float64(c.Closed), 100),
		rate("T03", c.Respond.Sum/3600, float64(c.Respond.N), 1),
		rate("T04", float64(c.ClosedSupervised), float64(c.Closed), 100),
		rate("T05", float64(c.CohortClosed), float64(c.Cohort), 100),
		rate("T06", float64(c.Satisfied.N), float64(c.Evaluated.N), 100),
		rate("T07", float64(c.ClosedReopened), float64(c.Closed), 100),
		rate("T08", float64(c.Returned.N), float64(c.Assigned.N), 100),
		rate("T09", float64(c.Expired.N), float64(c.Closed), 100),
	}
}

// statsActions are the request events the indicators count.
var statsActions = []string{string(workflow.Assign), string(workflow.Reject), string(workflow.Respond),
	string(workflow.Evaluate), string(workflow.Return), string(workflow.ExpireEvaluation)}

// requestCountsByRegion runs the three request statements over regions,
// grouped as g says: the closed requests, the 办结率 cohort, and the events
// of the period grouped by action, from_status and to_status (one range
// scan of the covering index idx_events_stats per action), which are then
// counted into the event groups here.
// counter is where the events of action a are counted, nil when they
// are not counted by action.
func (c *requestCounts) counter(a workflow.Action) *eventCount {
	return map[workflow.Action]*eventCount{workflow.Assign: &c.Assigned, workflow.Respond: &c.Respond,
		workflow.Evaluate: &c.Evaluated, workflow.Return: &c.Returned, workflow.ExpireEvaluation: &c.Expired}[a]
}

func requestCountsByRegion(db *gorm.DB, regions []string, g regionGroup, from, to time.Time) (map[string]*requestCounts, error) {
	out := map[string]*requestCounts{}
	at := func(region string) *requestCounts {
		if out[region] == nil {
			out[region] = &requestCounts{}
		}
		return out[region]
	}
	var closed []struct {
		RegionCode                      string
		N, OnTime, Supervised, Reopened int64
	}
	q := db.Model(&Request{}).
		Select(g.sel("", "COUNT(*) AS n, "+
			"COALESCE(SUM(CASE WHEN late_steps = 0 THEN 1 ELSE 0 END), 0) AS on_time, "+
			"COALESCE(SUM(CASE WHEN supervised THEN 1 ELSE 0 END), 0) AS supervised, "+
			"COALESCE(SUM(CASE WHEN reopen_count >= 1 THEN 1 ELSE 0 END), 0) AS reopened")).
		Where("region_code IN ? AND status = ? AND closed_at >= ? AND closed_at < ?", regions, string(workflow.Closed), from, to)
	if err := g.group(q, "").Scan(&closed).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range closed {
		c := at(r.RegionCode)
		c.Closed, c.ClosedOnTime, c.ClosedSupervised, c.ClosedReopened = r.N, r.OnTime, r.Supervised, r.Reopened
	}
	var cohort []struct {
		RegionCode string
		N, Closed  int64
	}
	// Grouped by region, SQLite (even with statistics) preferred the
	// (region_code, status) index for its order and looked every row up:
	// 650 ms of a 1 s index run on 300,000 requests. The cohort is a range
	// of first_assigned_at; MariaDB picks that index itself.
	q = db.Table(indexedBy(db, "requests", "idx_requests_assigned_region")).
		Select(g.sel("", "COUNT(*) AS n, COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS closed"), string(workflow.Closed)).
		Where("region_code IN ? AND first_assigned_at >= ? AND first_assigned_at < ? AND status NOT IN ?", regions, from, to,
			// a request merged into another is counted once, as that other
			[]string{string(workflow.Withdrawn), string(workflow.Rejected), string(workflow.Merged)})
	if err := g.group(q, "").Scan(&cohort).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range cohort {
		c := at(r.RegionCode)
		c.Cohort, c.CohortClosed = r.N, r.Closed
	}
	var events []struct {
		RegionCode, Action, FromStatus, ToStatus string
		N, OnTime                                int64
		Sum                                      float64
	}
	q = db.Model(&Event{}).
		Select(g.sel("action, from_status, to_status",
			"COUNT(*) AS n, COALESCE(SUM(CASE WHEN on_time THEN 1 ELSE 0 END), 0) AS on_time, COALESCE(SUM(working_seconds), 0) AS sum")).
		Where("case_kind = ? AND action IN ? AND at >= ? AND at < ? AND region_code IN ?", string(workflow.KindRequest), statsActions, from, to, regions)
	if err := g.group(q, "action, from_status, to_status").Scan(&events).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range events {
		c, n := at(r.RegionCode), eventCount{N: r.N, OnTime: r.OnTime, Sum: r.Sum}
		a := workflow.Action(r.Action)
		if into := c.counter(a); into != nil {
			into.add(n)
		}
		if a == workflow.Evaluate && r.ToStatus == string(workflow.Closed) {
			c.Satisfied.add(n)
		}
		if (a == workflow.Assign || a == workflow.Reject) && r.FromStatus == string(workflow.Submitted) {
			c.Triage.add(n)
		}
	}
	return out, nil
}

// statsSource computes the indicators of another kind of case: it runs its
// statements once over all the regions, grouped as g says, and returns the
// rates of a scope (a subset of the regions, or all of them when g does not
// group by region).
type statsSource func(ctx context.Context, db *gorm.DB, regions []string, g regionGroup, from, to, asOf time.Time) (func(scope []string) []Rate, error)

func (s *Store) statsSources() []statsSource {
	return []statsSource{s.leadStats, s.rectificationStats, s.exemptionStats, s.meetingStats}
}

// count is a count indicator of n.
func count(code string, n float64) Rate {
	return Rate{Code: code, Numerator: n, Denominator: 1, Value: n, Count: true}
}

func rate(code string, num, den, scale float64) Rate {
	if den == 0 {
		return Rate{Code: code, Missing: true}
	}
	return Rate{Code: code, Numerator: num, Denominator: den, Value: num / den * scale}
}

// TrackerIndicator describes a tracker-computed indicator (docs/index-method.md#tracker-indicators).
type TrackerIndicator struct {
	Code, Name, Unit string
	HigherIsBetter   bool
}

// TrackerIndicators lists T01–T15 in order.
func TrackerIndicators() []TrackerIndicator {
	return []TrackerIndicator{
		{"T01", "受理及时率", "%", true},
		{"T02", "按期办结率", "%", true},
		{"T03", "平均答复时长", "工作小时", false},
		{"T04", "督办率", "%", false},
		{"T05", "办结率", "%", true},
		{"T06", "满意率", "%", true},
		{"T07", "重办率", "%", false},
		{"T08", "退单率", "%", false},
		{"T09", "未评价率", "%", false},
		{"T10", "线索按期登记率", "%", true},
		{"T11", "线索按期处置率", "%", true},
		{"T12", "整改完成率", "%", true},
		{"T13", "整改清单按期销号率", "%", true},
		{"T14", "容错免责认定数", "件", true},
		{"T15", "政企协商会召开数", "次", true},
	}
}

// indexedBy names table for a FROM clause that must read index on SQLite
// (INDEXED BY: the statement fails rather than reading another way); MySQL
// and MariaDB get the table alone.
func indexedBy(db *gorm.DB, table, index string) string {
	if IsMySQL(db) {
		return table
	}
	return table + " INDEXED BY " + index
}

// notIndexed names table for a FROM clause that must not search an index
// on SQLite (NOT INDEXED: it reads the table, in primary-key order when the
// statement orders by it); MySQL and MariaDB get the table alone.
func notIndexed(db *gorm.DB, table string) string {
	if IsMySQL(db) {
		return table
	}
	return table + " NOT INDEXED"
}
