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
	db := s.db.WithContext(ctx)
	regions = nonEmpty(regions)
	out := TrackerStats{Regions: regions, From: from, To: to, AsOf: s.Now()}

	// Requests closed in the period: 按期办结, 督办, 重办, 未评价 share one scan.
	var closed struct {
		N, OnTime, Supervised, Reopened int64
	}
	err := db.Model(&Request{}).
		Select("COUNT(*) AS n, "+
			"COALESCE(SUM(CASE WHEN late_steps = 0 THEN 1 ELSE 0 END), 0) AS on_time, "+
			"COALESCE(SUM(CASE WHEN supervised THEN 1 ELSE 0 END), 0) AS supervised, "+
			"COALESCE(SUM(CASE WHEN reopen_count >= 1 THEN 1 ELSE 0 END), 0) AS reopened").
		Where("region_code IN ? AND status = ? AND closed_at >= ? AND closed_at < ?", regions, string(workflow.Closed), from, to).
		Scan(&closed).Error
	if err != nil {
		return out, formatError(err)
	}
	// 办结率 cohort: first assigned in the period.
	var cohort struct{ N, Closed int64 }
	err = db.Model(&Request{}).
		Select("COUNT(*) AS n, COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS closed", string(workflow.Closed)).
		Where("region_code IN ? AND first_assigned_at >= ? AND first_assigned_at < ? AND status NOT IN ?", regions, from, to,
			[]string{string(workflow.Withdrawn), string(workflow.Rejected)}).
		Scan(&cohort).Error
	if err != nil {
		return out, formatError(err)
	}
	ev := func(kind workflow.Kind, where string, args ...any) (eventCount, error) {
		var c eventCount
		q := db.Model(&Event{}).
			Select("COUNT(*) AS n, COALESCE(SUM(CASE WHEN on_time THEN 1 ELSE 0 END), 0) AS on_time, COALESCE(SUM(working_seconds), 0) AS sum").
			Where("case_kind = ? AND region_code IN ? AND at >= ? AND at < ?", string(kind), regions, from, to).Where(where, args...)
		return c, formatError(q.Scan(&c).Error)
	}
	triage, err := ev(workflow.KindRequest, "action IN ? AND from_status = ?", []string{string(workflow.Assign), string(workflow.Reject)}, string(workflow.Submitted))
	if err != nil {
		return out, err
	}
	respond, err := ev(workflow.KindRequest, "action = ?", string(workflow.Respond))
	if err != nil {
		return out, err
	}
	evaluated, err := ev(workflow.KindRequest, "action = ?", string(workflow.Evaluate))
	if err != nil {
		return out, err
	}
	satisfied, err := ev(workflow.KindRequest, "action = ? AND to_status = ?", string(workflow.Evaluate), string(workflow.Closed))
	if err != nil {
		return out, err
	}
	returned, err := ev(workflow.KindRequest, "action = ?", string(workflow.Return))
	if err != nil {
		return out, err
	}
	assigned, err := ev(workflow.KindRequest, "action = ?", string(workflow.Assign))
	if err != nil {
		return out, err
	}
	expired, err := ev(workflow.KindRequest, "action = ?", string(workflow.ExpireEvaluation))
	if err != nil {
		return out, err
	}
	out.Rates = []Rate{
		rate("T01", float64(triage.OnTime), float64(triage.N), 100),
		rate("T02", float64(closed.OnTime), float64(closed.N), 100),
		rate("T03", respond.Sum/3600, float64(respond.N), 1),
		rate("T04", float64(closed.Supervised), float64(closed.N), 100),
		rate("T05", float64(cohort.Closed), float64(cohort.N), 100),
		rate("T06", float64(satisfied.N), float64(evaluated.N), 100),
		rate("T07", float64(closed.Reopened), float64(closed.N), 100),
		rate("T08", float64(returned.N), float64(assigned.N), 100),
		rate("T09", float64(expired.N), float64(closed.N), 100),
	}
	for _, extra := range s.statsSources() {
		rates, err := extra(ctx, db, regions, from, to, out.AsOf)
		if err != nil {
			return out, err
		}
		out.Rates = append(out.Rates, rates...)
	}
	return out, nil
}

// statsSource adds the indicators of another kind of case.
type statsSource func(ctx context.Context, db *gorm.DB, regions []string, from, to, asOf time.Time) ([]Rate, error)

func (s *Store) statsSources() []statsSource { return nil }

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
