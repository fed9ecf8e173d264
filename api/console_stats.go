package api

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
)

// Statistics (统计): GET /api/v1/stats as a page. The table has the
// indicators of the chosen region and of each region directly below it
// over a period (the current quarter unless chosen); one chart compares
// those regions on one indicator, the other follows that indicator month
// by month in the chosen region over the 12 months that end with the
// period (or with this month). Every figure comes from trackerStats, the
// API's use case, so the page shows the indicators the API shows this
// account, and no others. Cost: one grouped stats pass for the table, one
// stats call per month of the trend.

// statsTrendMonths is how many months the trend shows (one stats call each).
const statsTrendMonths = 12

// statsColumn is an indicator of the table.
type statsColumn struct{ Code, Name, Unit string }

// statsCell is a value of the table: Text ("92.5", "—" when missing) and
// Note, the counts behind it.
type statsCell struct {
	Text, Note string
	Missing    bool
}

type statsRow struct {
	Region string
	Cells  []statsCell
	Total  bool
}

// optGroup is a group of options in a select.
type optGroup struct {
	Label   string
	Options []option
}

type statsData struct {
	Regions, Indicators []option
	Periods             []optGroup
	RegionName, Period  string
	AsOf                string
	Columns             []statsColumn
	Rows                []statsRow
	Indicator           statsColumn
	Bars, Trend         template.HTML
	TrendRows           []statsTrendRow
	TrendFrom, TrendTo  string
}

type statsTrendRow struct {
	Month string
	Cell  statsCell
}

// statsPage is the statistics page.
func (cs *console) statsPage(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "stats", "read"); err != nil {
		return err
	}
	loc := cs.s.cal.Location()
	now := cs.s.now().In(loc)
	values := url.Values{}
	for k, vs := range c.Request.URL.Query() {
		if v := strings.TrimSpace(vs[0]); v != "" {
			values.Set(k, v)
		}
	}
	indicator := values.Get("indicator")
	values.Del("indicator")
	if !values.Has("period") {
		values.Set("period", strconv.Itoa(now.Year())+"-Q"+strconv.Itoa((int(now.Month())-1)/3+1))
	}
	q := cs.s.queryOf(values, "region_code", "period")
	region := values.Get("region_code")
	if region == "" {
		region = p.account.RegionCode
	}
	if _, ok := cs.s.ref.Regions[region]; !ok {
		q.errs.Add("region_code", "未知的行政区划代码")
	}
	from, to := cs.s.statsRange(q)
	if indicator != "" && !slices.ContainsFunc(model.TrackerIndicators(), func(t model.TrackerIndicator) bool { return t.Code == indicator }) {
		q.errs.Add("indicator", "未知的指标")
	}
	pg := cs.newPage(c, "统计")
	pg.Form = values
	d := statsData{Regions: cs.regionOptions(cs.s.authz.Descendants(p.account.RegionCode), region, ""),
		Periods: cs.periodOptions(now, values.Get("period")), RegionName: cs.regionName(region),
		Period: periodLabel(values.Get("period"))}
	if err := q.err(); err != nil {
		pg.Problem = cs.problem(err, statsLabels)
		pg.Data = d
		cs.render(c, toProblem(err).Status, "stats", pg)
		return nil
	}
	ctx := c.Request.Context()
	// The region and each region directly below it, in one pass.
	regions := []string{region}
	for _, r := range cs.s.ref.RegionList {
		if cs.s.ref.Parents[r.Code] == region {
			regions = append(regions, r.Code)
		}
	}
	views, asOf, err := cs.cachedStats(ctx, p, regions, from, to)
	if err != nil {
		return err
	}
	d.AsOf = cs.datetime(asOf)
	for _, ind := range views[0].Indicators {
		col := statsColumn{Code: ind.Code, Name: ind.Name, Unit: ind.Unit}
		d.Columns = append(d.Columns, col)
		d.Indicators = append(d.Indicators, option{Value: ind.Code, Label: ind.Code + " " + ind.Name, Selected: ind.Code == indicator})
		if ind.Code == indicator || d.Indicator.Code == "" {
			d.Indicator = col
		}
	}
	// The regions below first, then the region itself as their total.
	for i := range views {
		v := views[(i+1)%len(views)]
		row := statsRow{Region: cs.regionName(v.RegionCode), Total: v.RegionCode == region}
		if row.Total && len(views) > 1 {
			row.Region += "（合计）"
		}
		for _, ind := range v.Indicators {
			row.Cells = append(row.Cells, statsCellOf(ind))
		}
		d.Rows = append(d.Rows, row)
	}
	if d.Indicator.Code == "" {
		pg.Data = d
		cs.render(c, http.StatusOK, "stats", pg)
		return nil
	}

	// The bar chart: the chosen indicator for each region below, then for
	// the region itself (their total).
	chart := barChart{ID: "chart-regions", Unit: d.Indicator.Unit, Horizontal: true,
		Title: d.RegionName + " " + d.Period + " " + d.Indicator.Name + "（按区划）"}
	for i := range views {
		v := views[(i+1)%len(views)]
		b := chartBarOf(cs.regionName(v.RegionCode), v, d.Indicator.Code)
		if i == len(views)-1 && len(views) > 1 {
			b.Label, b.Total = b.Label+"（合计）", true
		}
		chart.Bars = append(chart.Bars, b)
	}
	chart.Desc = chartDesc(chart)
	d.Bars = chart.SVG()

	// The trend: the chosen indicator in the region, month by month, for
	// the 12 months that end with the period's last month (or with this
	// month, when the period reaches beyond it).
	last := to.Add(-time.Nanosecond).In(loc)
	end := time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, loc)
	if thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc); end.After(thisMonth) {
		end = thisMonth
	}
	trend := barChart{ID: "chart-trend", Unit: d.Indicator.Unit,
		Title: d.RegionName + " " + d.Indicator.Name + "（近" + strconv.Itoa(statsTrendMonths) + "个月）"}
	months, err := cs.monthlyStats(ctx, p, region, end)
	if err != nil {
		return err
	}
	for i, mv := range months {
		m := end.AddDate(0, i+1-statsTrendMonths, 0)
		b := chartBarOf(strconv.Itoa(int(m.Month()))+"月", mv, d.Indicator.Code)
		b.Full = m.Format("2006年1月")
		trend.Bars = append(trend.Bars, b)
		d.TrendRows = append(d.TrendRows, statsTrendRow{Month: b.Full, Cell: statsCellOfBar(b)})
	}
	d.TrendFrom = end.AddDate(0, 1-statsTrendMonths, 0).Format("2006年1月")
	d.TrendTo = end.Format("2006年1月")
	trend.Title += "，" + d.TrendFrom + "至" + d.TrendTo
	trend.Desc = chartDesc(trend)
	d.Trend = trend.SVG()
	pg.Data = d
	cs.render(c, http.StatusOK, "stats", pg)
	return nil
}

// monthlyStats are the indicators of region for each of the
// statsTrendMonths months that end with the month starting at end (in
// Beijing time): one trackerStats call per month, one after the other
// (run side by side on SQLite they only took longer).
func (cs *console) monthlyStats(ctx context.Context, p *principal, region string, end time.Time) ([]statsView, error) {
	out := make([]statsView, 0, statsTrendMonths)
	for i := range statsTrendMonths {
		m := end.AddDate(0, i+1-statsTrendMonths, 0)
		v, _, err := cs.cachedStats(ctx, p, []string{region}, m.UTC(), m.AddDate(0, 1, 0).UTC())
		if err != nil {
			return nil, err
		}
		out = append(out, v[0])
	}
	return out, nil
}

// cachedStats is trackerStats through the figure cache, and when the
// figures were computed. On a million requests one period's statements take
// 0.5–3 s, and the page shows thirteen periods (the chosen one and the
// trend's twelve months). What a principal may see (the stats policy, the
// lead indicators) is decided per page view; the cache keeps the views of
// one set of regions, period and lead permission.
func (cs *console) cachedStats(ctx context.Context, p *principal, regions []string, from, to time.Time) ([]statsView, time.Time, error) {
	if err := cs.s.allowStats(p, regions); err != nil {
		return nil, time.Time{}, err
	}
	leads := make([]bool, len(regions))
	for i, region := range regions {
		leads[i] = cs.s.leadStatsAllowed(p, region, from, to)
	}
	key := fmt.Sprintf("stats|%q|%d|%d|%v", regions, from.UnixMilli(), to.UnixMilli(), leads)
	v, at, err := cs.figures.getPeriod(ctx, key, func(ctx context.Context) (any, error) {
		return cs.s.trackerStats(ctx, p, regions, from, to)
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	return v.([]statsView), at, nil
}

// statsLabels name the page's fields in its refusals.
var statsLabels = map[string]string{"region_code": "区划", "period": "期间", "indicator": "指标"}

// rateNote is the counts behind a value: 37 / 40.
func rateNote(v rateView) string {
	if v.Missing {
		return "期间内无相应事项"
	}
	if v.Kind == "count" {
		return "共 " + chartNumber(v.Numerator) + " " + v.Unit
	}
	return chartNumber(v.Numerator) + " / " + chartNumber(v.Denominator)
}

func statsCellOf(v rateView) statsCell {
	if v.Value == nil {
		return statsCell{Text: "—", Note: rateNote(v), Missing: true}
	}
	if v.Kind == "count" {
		return statsCell{Text: chartNumber(*v.Value), Note: rateNote(v)}
	}
	return statsCell{Text: strconv.FormatFloat(*v.Value, 'f', 1, 64), Note: rateNote(v)}
}

func statsCellOfBar(b chartBar) statsCell {
	if b.Value == nil {
		return statsCell{Text: "—", Note: b.Note, Missing: true}
	}
	return statsCell{Text: strconv.FormatFloat(*b.Value, 'f', 1, 64), Note: b.Note}
}

// chartBarOf is the bar of indicator code in v (missing when v lacks it).
func chartBarOf(label string, v statsView, code string) chartBar {
	for _, ind := range v.Indicators {
		if ind.Code == code {
			return chartBar{Label: label, Value: ind.Value, Note: rateNote(ind)}
		}
	}
	return chartBar{Label: label}
}

// chartDesc says what a chart shows in words, for those who cannot see it.
func chartDesc(c barChart) string {
	var parts []string
	for _, b := range c.Bars {
		parts = append(parts, c.tooltip(b))
	}
	return strings.Join(parts, "；")
}

// periodOptions offers this year and the last, their quarters so far and
// the last 12 months; a period named in the query that is not among them
// is added.
func (cs *console) periodOptions(now time.Time, current string) []optGroup {
	y := now.Year()
	years := optGroup{Label: "年度"}
	quarters := optGroup{Label: "季度"}
	months := optGroup{Label: "月份"}
	found := false
	add := func(g *optGroup, name string) {
		sel := name == current
		found = found || sel
		g.Options = append(g.Options, option{Value: name, Label: periodLabel(name), Selected: sel})
	}
	for _, yy := range []int{y, y - 1} {
		add(&years, strconv.Itoa(yy))
	}
	for q := (int(now.Month())-1)/3 + 1; q >= 1; q-- {
		add(&quarters, strconv.Itoa(y)+"-Q"+strconv.Itoa(q))
	}
	for q := 4; q >= 1; q-- {
		add(&quarters, strconv.Itoa(y-1)+"-Q"+strconv.Itoa(q))
	}
	first := time.Date(y, now.Month(), 1, 0, 0, 0, 0, now.Location())
	for i := range 12 {
		add(&months, first.AddDate(0, -i, 0).Format("2006-01"))
	}
	out := []optGroup{years, quarters, months}
	if !found && current != "" {
		out = append(out, optGroup{Label: "其他", Options: []option{{Value: current, Label: periodLabel(current), Selected: true}}})
	}
	return out
}

// periodLabel names a period: 2026年, 2026年第3季度, 2026年11月.
func periodLabel(name string) string {
	switch {
	case len(name) == 4:
		return name + "年"
	case len(name) == 7 && name[5] == 'Q':
		return name[:4] + "年第" + name[6:] + "季度"
	case len(name) == 7:
		m, err := strconv.Atoi(name[5:])
		if err == nil {
			return name[:4] + "年" + strconv.Itoa(m) + "月"
		}
	}
	return name
}
