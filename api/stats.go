package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
)

type rateView struct {
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Unit        string   `json:"unit"`
	Value       *float64 `json:"value"`
	Numerator   float64  `json:"numerator"`
	Denominator float64  `json:"denominator"`
	Missing     bool     `json:"missing"`
	Reason      *string  `json:"reason"`
	// Kind: rate (numerator ÷ denominator), or count (T14, T15: the
	// value is the numerator, the denominator 1, never missing).
	Kind string `json:"kind"`
}

type statsView struct {
	RegionCode string     `json:"region_code"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	AsOf       string     `json:"as_of"`
	Indicators []rateView `json:"indicators"`
}

// statsParams are the query parameters of GET /stats.
var statsParams = []string{"region_code", "period", "from", "to"}

// statsRange reads the period (period=2026-Q3) or the date range (from,
// to: inclusive dates in Beijing time) of q as [from, to); its errors go
// to q.
func (s *Server) statsRange(q *query) (from, to time.Time) {
	loc := s.cal.Location()
	if name := q.values.Get("period"); name != "" {
		if q.values.Get("from") != "" || q.values.Get("to") != "" {
			q.errs.Add("period", "period 与 from/to 不能同时使用")
		}
		per, err := model.ParsePeriod(name, loc)
		if err != nil {
			q.errs.Add("period", "期间格式应为 2026、2026-Q3 或 2026-11")
		}
		return per.From, per.To
	}
	var err1, err2 error
	from, err1 = time.ParseInLocation(time.DateOnly, q.values.Get("from"), loc)
	to, err2 = time.ParseInLocation(time.DateOnly, q.values.Get("to"), loc)
	if err1 != nil {
		q.errs.Add("from", "须为日期 YYYY-MM-DD（或改用 period）")
	}
	if err2 != nil {
		q.errs.Add("to", "须为日期 YYYY-MM-DD（或改用 period）")
	}
	if err1 == nil && err2 == nil && to.Before(from) {
		q.errs.Add("to", "结束日期不能早于开始日期")
	}
	return from, to.AddDate(0, 0, 1)
}

// allowStats: p may read the statistics of every region of regions.
func (s *Server) allowStats(p *principal, regions []string) error {
	for _, region := range regions {
		if err := s.allow(p, "stats", "read", region); err != nil {
			return err
		}
	}
	return nil
}

// trackerStats is the statistics use case, gin-free (the API and the
// console call it): the tracker indicators of each region (with
// everything below it) over [from, to), as p may see them. Several
// regions are computed in one pass over the data.
func (s *Server) trackerStats(ctx context.Context, p *principal, regions []string, from, to time.Time) ([]statsView, error) {
	if err := s.allowStats(p, regions); err != nil {
		return nil, err
	}
	scopes := make([][]string, len(regions))
	for i, region := range regions {
		scopes[i] = s.authz.Descendants(region)
	}
	sts, err := s.store.TrackerStatsForScopes(ctx, scopes, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]statsView, len(sts))
	for i, st := range sts {
		out[i] = s.statsView(regions[i], from, to, st, s.leadStatsAllowed(p, regions[i], from, to))
	}
	return out, nil
}

// leadStatsAllowed: the lead indicators (T10–T12, counts of leads) go to
// inspectors only, and only for whole months (a month, a quarter, a year,
// or from/to on month boundaries). Daily counts per region would let a
// department, 工商联 or the subject of a lead date a report, and tie it to
// whoever was about that day.
func (s *Server) leadStatsAllowed(p *principal, region string, from, to time.Time) bool {
	if !s.authz.Allowed(p.subject(), "read", policyResource("stats.leads", region)) {
		return false
	}
	loc := s.cal.Location()
	month := func(t time.Time) bool {
		l := t.In(loc)
		return l.Day() == 1 && l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 && l.Nanosecond() == 0
	}
	return month(from) && month(to) && to.After(from)
}

// leadIndicators are the tracker indicators computed from leads.
// T14 (容错免责认定数) counts applications about leads too.
var leadIndicators = map[string]bool{"T10": true, "T11": true, "T12": true, "T14": true}

// statsView is the answer for one region.
func (s *Server) statsView(region string, from, to time.Time, st model.TrackerStats, leads bool) statsView {
	byCode := map[string]model.Rate{}
	for _, r := range st.Rates {
		byCode[r.Code] = r
	}
	out := statsView{RegionCode: region, From: s.ts(from), To: s.ts(to), AsOf: s.ts(st.AsOf)}
	for _, ti := range model.TrackerIndicators() {
		r, ok := byCode[ti.Code]
		if !ok || (leadIndicators[ti.Code] && !leads) {
			continue
		}
		v := rateView{Code: ti.Code, Name: ti.Name, Unit: ti.Unit, Numerator: r.Numerator, Denominator: r.Denominator, Missing: r.Missing,
			Kind: "rate"}
		if r.Count {
			v.Kind = "count"
		}
		if r.Missing {
			reason := "no_cases"
			v.Reason = &reason
		} else {
			val := r.Value
			v.Value = &val
		}
		out.Indicators = append(out.Indicators, v)
	}
	return out
}

// getStats answers the tracker indicators of a region (and everything below
// it) over a period (period=2026-Q3) or a date range (from, to: inclusive
// dates in Beijing time).
func (s *Server) getStats(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "stats", "read"); err != nil {
		return err
	}
	q := s.query(c, statsParams...)
	region := q.values.Get("region_code")
	if region == "" {
		region = p.account.RegionCode
	}
	if _, ok := s.ref.Regions[region]; !ok {
		q.errs.Add("region_code", "未知的行政区划代码")
	}
	from, to := s.statsRange(q)
	if err := q.err(); err != nil {
		return err
	}
	views, err := s.trackerStats(c.Request.Context(), p, []string{region}, from, to)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, views[0])
	return nil
}
