package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// The console's 红黑榜 (docs/design.md#unit-assessment): the handling units
// of the caller's region ranked for a period (this month by default), with
// the 月报 workbook of a month one click away. The figures are GET
// /api/v1/stats/units'.

type unitCell struct {
	Text, Rank, Title string
	Missing           bool
}

type unitRow struct {
	Unit  string
	Cells []unitCell
}

type unitsData struct {
	Period, Region string
	Heads          []string
	Rows           []unitRow
	Export         string
	Periods        []option
}

func (cs *console) unitsPage(c *gin.Context) error {
	p := principalOf(c)
	values := url.Values{}
	for _, k := range unitStatsParams {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			values.Set(k, v)
		}
	}
	now := cs.s.now().In(cs.s.cal.Location())
	if !values.Has("period") {
		values.Set("period", now.Format("2006-01"))
	}
	v, err := cs.s.unitStatsQuery(c.Request.Context(), p, values, false)
	if err != nil {
		return err
	}
	d := unitsData{Period: v.Period, Region: cs.regionName(v.RegionCode)}
	for i := range 12 {
		m := time.Date(now.Year(), now.Month()-time.Month(i), 1, 0, 0, 0, 0, now.Location()).Format("2006-01")
		d.Periods = append(d.Periods, option{Value: m, Label: m, Selected: m == v.Period})
	}
	if len(v.Period) == len("2006-01") && !strings.Contains(v.Period, "Q") {
		d.Export = "/units/export.xlsx?" + values.Encode()
	}
	for _, m := range v.Indicators {
		d.Heads = append(d.Heads, m.Name+"（"+m.Unit+"）")
	}
	for _, it := range v.Items {
		row := unitRow{Unit: it.RegionName + " " + deptShortName(it.DepartmentName)}
		for _, m := range v.Indicators {
			sc := it.Scores[m.Code]
			cell := unitCell{Title: "n = " + strconv.FormatInt(sc.N, 10)}
			if sc.Value == nil {
				cell.Text, cell.Missing = "—", true
			} else {
				cell.Text = strconv.FormatFloat(roundTo(*sc.Value, 1), 'f', 1, 64)
				if sc.Rank != nil {
					cell.Rank = "第 " + strconv.Itoa(*sc.Rank) + " 名"
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		d.Rows = append(d.Rows, row)
	}
	pg := cs.newPage(c, "红黑榜")
	pg.Data = d
	cs.render(c, http.StatusOK, "units", pg)
	return nil
}

// unitsExport is the console's link to the 月报.
func (cs *console) unitsExport(c *gin.Context) error {
	return cs.s.exportUnitStats(c)
}
