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

// TrackerStats computes the tracker indicators (INDEX.md §3) for the regions
// over [from, to) with aggregate queries on the database, never by loading
// cases: one statement over requests and one per group of events.
func (s *Store) TrackerStats(ctx context.Context, regions []string, from, to time.Time) (TrackerStats, error) {
	out, err := s.TrackerStatsForScopes(ctx, [][]string{nonEmpty(regions)}, from, to)
	if err != nil {
		return TrackerStats{Regions: nonEmpty(regions), From: from, To: to}, err
	}
	return out[0], nil
}

// TrackerStatsForScopes computes the tracker indicators of several region
// sets (scopes, which may overlap) at once, as TrackerStats would for each:
// every request indicator is a ratio of counts, and counts add up over
// regions, so each statement runs once over all the regions, grouped by
// region, and each scope sums the rows of its regions. An index run (28
// units) thus scans the requests and events of the period once, not once per
// unit. The indicators of the other kinds of case (statsSources) are
// computed per scope.
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
	counts, err := requestCountsByRegion(db, nonEmpty(all), from, to)
	if err != nil {
		return nil, err
	}
	out := make([]TrackerStats, len(scopes))
	for i, sc := range scopes {
		var c requestCounts
		inScope := map[string]bool{}
		for _, r := range sc {
			if !inScope[r] {
				inScope[r] = true
				c.add(counts[r])
			}
		}
		out[i] = TrackerStats{Regions: sc, From: from, To: to, AsOf: asOf, Rates: c.rates()}
		for _, extra := range s.statsSources() {
			rates, err := extra(ctx, db, nonEmpty(sc), from, to, asOf)
			if err != nil {
				return nil, err
			}
			out[i].Rates = append(out[i].Rates, rates...)
		}
	}
	return out, nil
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
	for _, p := range []struct{ dst, src *eventCount }{
		{&c.Triage, &o.Triage}, {&c.Respond, &o.Respond}, {&c.Evaluated, &o.Evaluated}, {&c.Satisfied, &o.Satisfied},
		{&c.Returned, &o.Returned}, {&c.Assigned, &o.Assigned}, {&c.Expired, &o.Expired},
	} {
		p.dst.N += p.src.N
		p.dst.OnTime += p.src.OnTime
		p.dst.Sum += p.src.Sum
	}
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

// requestCountsByRegion runs the request statements over regions, grouped
// by region.
func requestCountsByRegion(db *gorm.DB, regions []string, from, to time.Time) (map[string]*requestCounts, error) {
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
	err := db.Model(&Request{}).
		Select("region_code, COUNT(*) AS n, "+
			"COALESCE(SUM(CASE WHEN late_steps = 0 THEN 1 ELSE 0 END), 0) AS on_time, "+
			"COALESCE(SUM(CASE WHEN supervised THEN 1 ELSE 0 END), 0) AS supervised, "+
			"COALESCE(SUM(CASE WHEN reopen_count >= 1 THEN 1 ELSE 0 END), 0) AS reopened").
		Where("region_code IN ? AND status = ? AND closed_at >= ? AND closed_at < ?", regions, string(workflow.Closed), from, to).
		Group("region_code").Scan(&closed).Error
	if err != nil {
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
	err = db.Model(&Request{}).
		Select("region_code, COUNT(*) AS n, COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS closed", string(workflow.Closed)).
		Where("region_code IN ? AND first_assigned_at >= ? AND first_assigned_at < ? AND status NOT IN ?", regions, from, to,
			[]string{string(workflow.Withdrawn), string(workflow.Rejected)}).
		Group("region_code").Scan(&cohort).Error
	if err != nil {
		return nil, formatError(err)
	}
	for _, r := range cohort {
		c := at(r.RegionCode)
		c.Cohort, c.CohortClosed = r.N, r.Closed
	}
	ev := func(field func(*requestCounts) *eventCount, where string, args ...any) error {
		var rows []struct {
			RegionCode string
			N, OnTime  int64
			Sum        float64
		}
		q := db.Model(&Event{}).
			Select("region_code, COUNT(*) AS n, COALESCE(SUM(CASE WHEN on_time THEN 1 ELSE 0 END), 0) AS on_time, COALESCE(SUM(working_seconds), 0) AS sum").
			Where("case_kind = ? AND region_code IN ? AND at >= ? AND at < ?", string(workflow.KindRequest), regions, from, to).Where(where, args...).
			Group("region_code")
		if err := q.Scan(&rows).Error; err != nil {
			return formatError(err)
		}
		for _, r := range rows {
			*field(at(r.RegionCode)) = eventCount{N: r.N, OnTime: r.OnTime, Sum: r.Sum}
		}
		return nil
	}
	for _, q := range []struct {
		field func(*requestCounts) *eventCount
		where string
		args  []any
	}{
		{func(c *requestCounts) *eventCount { return &c.Triage }, "action IN ? AND from_status = ?",
			[]any{[]string{string(workflow.Assign), string(workflow.Reject)}, string(workflow.Submitted)}},
		{func(c *requestCounts) *eventCount { return &c.Respond }, "action = ?", []any{string(workflow.Respond)}},
		{func(c *requestCounts) *eventCount { return &c.Evaluated }, "action = ?", []any{string(workflow.Evaluate)}},
		{func(c *requestCounts) *eventCount { return &c.Satisfied }, "action = ? AND to_status = ?",
			[]any{string(workflow.Evaluate), string(workflow.Closed)}},
		{func(c *requestCounts) *eventCount { return &c.Returned }, "action = ?", []any{string(workflow.Return)}},
		{func(c *requestCounts) *eventCount { return &c.Assigned }, "action = ?", []any{string(workflow.Assign)}},
		{func(c *requestCounts) *eventCount { return &c.Expired }, "action = ?", []any{string(workflow.ExpireEvaluation)}},
	} {
		if err := ev(q.field, q.where, q.args...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// statsSource adds the indicators of another kind of case.
type statsSource func(ctx context.Context, db *gorm.DB, regions []string, from, to, asOf time.Time) ([]Rate, error)

func (s *Store) statsSources() []statsSource { return []statsSource{s.leadStats} }

func rate(code string, num, den, scale float64) Rate {
	if den == 0 {
		return Rate{Code: code, Missing: true}
	}
	return Rate{Code: code, Numerator: num, Denominator: den, Value: num / den * scale}
}

// TrackerIndicator describes a tracker-computed indicator (INDEX.md §3).
type TrackerIndicator struct {
	Code, Name, Unit string
	HigherIsBetter   bool
}

// TrackerIndicators lists T01–T12 in order.
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
	}
}
