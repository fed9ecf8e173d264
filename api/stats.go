package api

import (
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
}

type statsView struct {
	RegionCode string     `json:"region_code"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	AsOf       string     `json:"as_of"`
	Indicators []rateView `json:"indicators"`
}

// getStats answers the tracker indicators of a region (and everything below
// it) over a period (period=2026-Q3) or a date range (from, to: inclusive
// dates in Beijing time).
func (s *Server) getStats(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "stats", "read"); err != nil {
		return err
	}
	q := s.query(c, "region_code", "period", "from", "to")
	region := q.values.Get("region_code")
	if region == "" {
		region = p.account.RegionCode
	}
	if _, ok := s.ref.Regions[region]; !ok {
		q.errs.Add("region_code", "未知的行政区划代码")
	}
	loc := s.cal.Location()
	var from, to time.Time
	if name := q.values.Get("period"); name != "" {
		if q.values.Get("from") != "" || q.values.Get("to") != "" {
			q.errs.Add("period", "period 与 from/to 不能同时使用")
		}
		per, err := model.ParsePeriod(name, loc)
		if err != nil {
			q.errs.Add("period", "期间格式应为 2026、2026-Q3 或 2026-11")
		}
		from, to = per.From, per.To
	} else {
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
		to = to.AddDate(0, 0, 1)
	}
	if err := q.err(); err != nil {
		return err
	}
	if err := s.allow(p, "stats", "read", region); err != nil {
		return err
	}
	st, err := s.store.TrackerStats(c.Request.Context(), s.authz.Descendants(region), from, to)
	if err != nil {
		return err
	}
	byCode := map[string]model.Rate{}
	for _, r := range st.Rates {
		byCode[r.Code] = r
	}
	out := statsView{RegionCode: region, From: s.ts(from), To: s.ts(to), AsOf: s.ts(st.AsOf)}
	for _, ti := range model.TrackerIndicators() {
		r, ok := byCode[ti.Code]
		if !ok {
			continue
		}
		v := rateView{Code: ti.Code, Name: ti.Name, Unit: ti.Unit, Numerator: r.Numerator, Denominator: r.Denominator, Missing: r.Missing}
		if r.Missing {
			reason := "no_cases"
			v.Reason = &reason
		} else {
			val := r.Value
			v.Value = &val
		}
		out.Indicators = append(out.Indicators, v)
	}
	c.JSON(http.StatusOK, out)
	return nil
}
