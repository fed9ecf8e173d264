package model

import (
	"cmp"
	"context"
	"slices"
	"time"

	"qinqing/workflow"
)

// The assessment of handling units (红黑榜, docs/design.md#unit-assessment):
// for each unit (a department in a region) the request indicators that are
// its own doing over a period, with the count behind each and its rank
// among the units compared. Computed with aggregate statements, grouped by
// unit:
//
//   - 按期办结率 and 重办率: the requests closed in the period that the unit
//     holds (requests.department_code, unit_region_code): closed with no
//     step late, and closed after a reopening (重办), over closed;
//   - 满意率: evaluations in the period of requests the unit holds, closed
//     (score ≥ 3) over evaluated;
//   - 退单率 and 平均答复用时: what the unit's officials did in the period
//     (their accounts' department and region): returns over the assignments
//     they took up (签收, or 退回 before signing for), and the mean working
//     time from the start of the round to the answer, in working days.

// UnitMetric names one indicator of the assessment.
type UnitMetric struct {
	Code, Name, Unit string
	HigherIsBetter   bool
}

// UnitMetrics lists the indicators of the assessment, in order.
func UnitMetrics() []UnitMetric {
	return []UnitMetric{
		{"on_time_rate", "按期办结率", "%", true},
		{"satisfaction_rate", "满意率", "%", true},
		{"return_rate", "退单率", "%", false},
		{"redo_rate", "重办率", "%", false},
		{"avg_response_days", "平均答复用时", "工作日", false},
	}
}

// UnitKey is a handling unit.
type UnitKey struct {
	DepartmentCode string
	RegionCode     string
}

// UnitScore is one indicator of one unit: the value (nil when N is 0),
// the count it is over, and its rank among the units with a value (1 is
// best; equal values share a rank).
type UnitScore struct {
	Value *float64
	N     int64
	Rank  int
}

// UnitRow is one unit's assessment, its scores in the order of UnitMetrics.
type UnitRow struct {
	Unit   UnitKey
	Scores []UnitScore
}

// unitCounts are the counts behind a unit's scores.
type unitCounts struct {
	closed, onTime, reopened int64
	evaluated, satisfied     int64
	taken, returned          int64
	responded                int64
	respondSeconds           float64
}

// UnitAssessment computes the assessment of every unit whose region is in
// regions over [from, to): the units with anything to count, ordered by
// department and region, ranked among themselves.
func (s *Store) UnitAssessment(ctx context.Context, regions []string, from, to time.Time) ([]UnitRow, error) {
	db := s.db.WithContext(ctx)
	regions = nonEmpty(regions)
	counts := map[UnitKey]*unitCounts{}
	at := func(d, r string) *unitCounts {
		k := UnitKey{d, r}
		if counts[k] == nil {
			counts[k] = &unitCounts{}
		}
		return counts[k]
	}
	var closed []struct {
		DepartmentCode, UnitRegionCode string
		N, OnTime, Reopened            int64
	}
	if err := db.Model(&Request{}).
		Select("department_code, unit_region_code, COUNT(*) AS n, "+
			"COALESCE(SUM(CASE WHEN late_steps = 0 THEN 1 ELSE 0 END), 0) AS on_time, "+
			"COALESCE(SUM(CASE WHEN reopen_count >= 1 THEN 1 ELSE 0 END), 0) AS reopened").
		Where("unit_region_code IN ? AND department_code IS NOT NULL AND status = ? AND closed_at >= ? AND closed_at < ?",
			regions, string(workflow.Closed), from, to).
		Group("department_code, unit_region_code").Scan(&closed).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range closed {
		c := at(r.DepartmentCode, r.UnitRegionCode)
		c.closed, c.onTime, c.reopened = r.N, r.OnTime, r.Reopened
	}
	var evaluated []struct {
		DepartmentCode, UnitRegionCode string
		N, Satisfied                   int64
	}
	if err := db.Table("events").Joins("JOIN requests ON requests.id = events.case_id").
		Select("requests.department_code, requests.unit_region_code, COUNT(*) AS n, "+
			"COALESCE(SUM(CASE WHEN events.to_status = ? THEN 1 ELSE 0 END), 0) AS satisfied", string(workflow.Closed)).
		Where("events.case_kind = ? AND events.action = ? AND events.at >= ? AND events.at < ? "+
			"AND requests.unit_region_code IN ? AND requests.department_code IS NOT NULL",
			string(workflow.KindRequest), string(workflow.Evaluate), from, to, regions).
		Group("requests.department_code, requests.unit_region_code").Scan(&evaluated).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range evaluated {
		c := at(r.DepartmentCode, r.UnitRegionCode)
		c.evaluated, c.satisfied = r.N, r.Satisfied
	}
	var acted []struct {
		DepartmentCode, RegionCode, Action, FromStatus string
		N                                              int64
		Sum                                            float64
	}
	if err := db.Table("events").Joins("JOIN accounts ON accounts.id = events.actor_id").
		Select("accounts.department_code, accounts.region_code, events.action, events.from_status, COUNT(*) AS n, "+
			"COALESCE(SUM(events.working_seconds), 0) AS sum").
		Where("events.case_kind = ? AND events.actor_role = ? AND events.action IN ? AND events.at >= ? AND events.at < ? "+
			"AND accounts.region_code IN ? AND accounts.department_code IS NOT NULL",
			string(workflow.KindRequest), string(workflow.RoleDepartment),
			[]string{string(workflow.Claim), string(workflow.Return), string(workflow.Respond)}, from, to, regions).
		Group("accounts.department_code, accounts.region_code, events.action, events.from_status").Scan(&acted).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range acted {
		c := at(r.DepartmentCode, r.RegionCode)
		switch workflow.Action(r.Action) {
		case workflow.Claim:
			c.taken += r.N
		case workflow.Return:
			c.returned += r.N
			if r.FromStatus == string(workflow.Assigned) {
				c.taken += r.N
			}
		case workflow.Respond:
			c.responded += r.N
			c.respondSeconds += r.Sum
		}
	}
	rows := make([]UnitRow, 0, len(counts))
	for k, c := range counts {
		rows = append(rows, UnitRow{Unit: k, Scores: []UnitScore{
			score(float64(c.onTime), c.closed, 100),
			score(float64(c.satisfied), c.evaluated, 100),
			score(float64(c.returned), c.taken, 100),
			score(float64(c.reopened), c.closed, 100),
			score(c.respondSeconds/float64(24*time.Hour/time.Second), c.responded, 1),
		}})
	}
	slices.SortFunc(rows, func(a, b UnitRow) int {
		return cmp.Or(cmp.Compare(a.Unit.DepartmentCode, b.Unit.DepartmentCode), cmp.Compare(a.Unit.RegionCode, b.Unit.RegionCode))
	})
	for i, m := range UnitMetrics() {
		rankUnits(rows, i, m.HigherIsBetter)
	}
	return rows, nil
}

func score(num float64, n int64, scale float64) UnitScore {
	if n == 0 {
		return UnitScore{}
	}
	v := num / float64(n) * scale
	return UnitScore{Value: &v, N: n}
}

// rankUnits ranks the scores of indicator i among the rows that have one:
// 1 for the best, equal values sharing a rank and the next rank skipping
// (1, 1, 3).
func rankUnits(rows []UnitRow, i int, higherIsBetter bool) {
	better := func(a, b float64) bool {
		if higherIsBetter {
			return a > b
		}
		return a < b
	}
	for r := range rows {
		v := rows[r].Scores[i].Value
		if v == nil {
			continue
		}
		rank := 1
		for o := range rows {
			if w := rows[o].Scores[i].Value; w != nil && better(*w, *v) {
				rank++
			}
		}
		rows[r].Scores[i].Rank = rank
	}
}
