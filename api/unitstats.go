package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"qinqing/model"
)

// The assessment of handling units (红黑榜, docs/design.md#unit-assessment):
// GET /stats/units?period=… for 工商联 and inspectors, and its monthly
// workbook (月报) GET /stats/units/export.xlsx?period=YYYY-MM. The figures
// are model.UnitAssessment's; the units are those of the caller's region
// (or region_code, inside it) and below.

type unitMetricView struct {
	Code           string `json:"code"`
	Name           string `json:"name"`
	Unit           string `json:"unit"`
	HigherIsBetter bool   `json:"higher_is_better"`
}

type unitScoreView struct {
	Value *float64 `json:"value"`
	N     int64    `json:"n"`
	Rank  *int     `json:"rank"`
}

type unitRowView struct {
	DepartmentCode string                   `json:"department_code"`
	DepartmentName string                   `json:"department_name"`
	RegionCode     string                   `json:"region_code"`
	RegionName     string                   `json:"region_name"`
	Scores         map[string]unitScoreView `json:"scores"`
}

type unitStatsView struct {
	Period     string           `json:"period"`
	RegionCode string           `json:"region_code"`
	From       string           `json:"from"`
	To         string           `json:"to"`
	AsOf       string           `json:"as_of"`
	Indicators []unitMetricView `json:"indicators"`
	Items      []unitRowView    `json:"items"`
}

// unitStatsParams are the query parameters of GET /stats/units.
var unitStatsParams = []string{"period", "region_code"}

// unitStatsQuery reads the period and region of the request, checks that p
// may assess the units there, and computes the assessment. monthly: the
// period must be a month (the 月报).
func (s *Server) unitStatsQuery(ctx context.Context, p *principal, values url.Values, monthly bool) (unitStatsView, error) {
	if err := s.mayEver(p, "stats.units", "read"); err != nil {
		return unitStatsView{}, err
	}
	q := s.queryOf(values, unitStatsParams...)
	region := q.values.Get("region_code")
	if region == "" {
		region = p.account.RegionCode
	}
	if _, ok := s.ref.Regions[region]; !ok {
		q.errs.Add("region_code", "未知的行政区划代码")
	}
	name := q.values.Get("period")
	per, err := model.ParsePeriod(name, s.cal.Location())
	switch {
	case name == "":
		q.errs.Add("period", "为必填字段，例如 2026-11")
	case err != nil:
		q.errs.Add("period", "期间格式应为 2026、2026-Q3 或 2026-11")
	case monthly && (len(name) != len("2026-11") || name[5] == 'Q'):
		q.errs.Add("period", "月报须按月导出，例如 2026-11")
	}
	if err := q.err(); err != nil {
		return unitStatsView{}, err
	}
	if err := s.allow(p, "stats.units", "read", region); err != nil {
		return unitStatsView{}, err
	}
	rows, err := s.store.UnitAssessment(ctx, s.authz.Descendants(region), per.From, per.To)
	if err != nil {
		return unitStatsView{}, err
	}
	out := unitStatsView{Period: per.Name, RegionCode: region, From: s.ts(per.From), To: s.ts(per.To), AsOf: s.ts(s.now()),
		Indicators: []unitMetricView{}, Items: make([]unitRowView, 0, len(rows))}
	metrics := model.UnitMetrics()
	for _, m := range metrics {
		out.Indicators = append(out.Indicators, unitMetricView{Code: m.Code, Name: m.Name, Unit: m.Unit, HigherIsBetter: m.HigherIsBetter})
	}
	for _, r := range rows {
		v := unitRowView{DepartmentCode: r.Unit.DepartmentCode, DepartmentName: s.ref.Departments[r.Unit.DepartmentCode].Name,
			RegionCode: r.Unit.RegionCode, RegionName: s.ref.Regions[r.Unit.RegionCode].Name, Scores: map[string]unitScoreView{}}
		for i, m := range metrics {
			sc := r.Scores[i]
			sv := unitScoreView{Value: sc.Value, N: sc.N}
			if sc.Value != nil {
				rank := sc.Rank
				sv.Rank = &rank
			}
			v.Scores[m.Code] = sv
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// getUnitStats is GET /api/v1/stats/units.
func (s *Server) getUnitStats(c *gin.Context) error {
	v, err := s.unitStatsQuery(c.Request.Context(), principalOf(c), c.Request.URL.Query(), false)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// exportUnitStats is GET /api/v1/stats/units/export.xlsx: the 月报.
func (s *Server) exportUnitStats(c *gin.Context) error {
	v, err := s.unitStatsQuery(c.Request.Context(), principalOf(c), c.Request.URL.Query(), true)
	if err != nil {
		return err
	}
	wb, err := s.unitWorkbook(v)
	if err != nil {
		return err
	}
	defer wb.Close()
	base := "qinqing-units-" + v.Period + "-" + v.RegionCode + ".xlsx"
	zh := "办理单位红黑榜月报-" + v.Period + "-" + s.ref.Regions[v.RegionCode].Name + ".xlsx"
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, base, url.PathEscape(zh)))
	c.Header("Content-Type", xlsxType)
	c.Status(http.StatusOK)
	_ = wb.Write(c.Writer)
	return nil
}

// unitWorkbook is the 月报: the sheet 红黑榜 has one row per unit with each
// indicator's value, n and rank; the sheet 说明 the period, the region,
// when it was made and how each indicator is counted.
func (s *Server) unitWorkbook(v unitStatsView) (*excelize.File, error) {
	wb := excelize.NewFile()
	ok := false
	defer func() {
		if !ok {
			wb.Close()
		}
	}()
	const board, about = "红黑榜", "说明"
	if err := wb.SetSheetName("Sheet1", board); err != nil {
		return nil, err
	}
	head, err := wb.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEF2F7"}}})
	if err != nil {
		return nil, err
	}
	header := []any{"部门", "区划"}
	for _, m := range v.Indicators {
		header = append(header, m.Name+"（"+m.Unit+"）", m.Name+" 件数", m.Name+" 排名")
	}
	if err := wb.SetSheetRow(board, "A1", &header); err != nil {
		return nil, err
	}
	if err := wb.SetRowStyle(board, 1, 1, head); err != nil {
		return nil, err
	}
	for i, r := range v.Items {
		row := []any{r.DepartmentName, r.RegionName}
		for _, m := range v.Indicators {
			sc := r.Scores[m.Code]
			var val, rank any = "—", "—"
			if sc.Value != nil {
				val = roundTo(*sc.Value, 2)
			}
			if sc.Rank != nil {
				rank = *sc.Rank
			}
			row = append(row, val, sc.N, rank)
		}
		row = safeRow(row)
		if err := wb.SetSheetRow(board, "A"+strconv.Itoa(i+2), &row); err != nil {
			return nil, err
		}
	}
	if _, err := wb.NewSheet(about); err != nil {
		return nil, err
	}
	notes := [][]any{
		{"期间", v.Period},
		{"区划", s.ref.Regions[v.RegionCode].Name + "（含下级）"},
		{"生成时间", s.now().In(s.cal.Location()).Format(time.DateTime)},
		{"单位数", len(v.Items)},
		{"按期办结率", "本期办结的诉求中，各环节均未超期的比例（办结件数为件数）"},
		{"满意率", "本期评价中，评分 3 分及以上（办结）的比例"},
		{"退单率", "本期本单位人员退回的件数，占签收与签收前退回件数之和的比例"},
		{"重办率", "本期办结的诉求中，曾因不满意而重办的比例"},
		{"平均答复用时", "本期答复的诉求，自本轮交办（或重办）至答复的平均工作日"},
		{"排名", "各指标在本表单位中的名次，1 为最好；数值相同名次相同；无件数不排名"},
	}
	for i, n := range notes {
		row := safeRow(n)
		if err := wb.SetSheetRow(about, "A"+strconv.Itoa(i+1), &row); err != nil {
			return nil, err
		}
	}
	ok = true
	return wb, nil
}

// roundTo rounds x to d decimals.
func roundTo(x float64, d int) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', d, 64), 64)
	return v
}
