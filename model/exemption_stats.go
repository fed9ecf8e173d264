package model

import (
	"context"
	"time"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// exemptionStats is the indicator of the 容错免责 procedure (T14,
// docs/index-method.md#tracker-indicators): the applications filed (报备) in
// the period whose collective determination exempted or mitigated, by the
// region of the unit or enterprise concerned. It is a count, not a rate:
// no application is a value of 0, never missing.
func (s *Store) exemptionStats(ctx context.Context, db *gorm.DB, regions []string, g regionGroup, from, to, asOf time.Time) (func(scope []string) []Rate, error) {
	q := db.Model(&Exemption{}).Select(g.sel("", "COUNT(*) AS n")).
		Where("region_code IN ? AND status = ? AND filed_at >= ? AND filed_at < ? AND outcome IN ?", regions,
			string(workflow.ExemptFiled), from, to, []string{workflow.ExemptOutcomeExempt, workflow.ExemptOutcomeMitigated})
	return countByRegion(q, g, "T14")
}

// countByRegion runs the count q (grouped as g says) and returns the count
// indicator code of a scope: the sum of its regions' counts.
func countByRegion(q *gorm.DB, g regionGroup, code string) (func(scope []string) []Rate, error) {
	var rows []struct {
		RegionCode string
		N          int64
	}
	if err := g.group(q, "").Scan(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	by := map[string]int64{}
	for _, r := range rows {
		by[r.RegionCode] += r.N
	}
	return func(scope []string) []Rate {
		var n int64
		for _, k := range g.keys(scope) {
			n += by[k]
		}
		return []Rate{count(code, float64(n))}
	}, nil
}
