package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"qinqing/index"
)

// Export of a published run: one row per evaluated unit with every node's
// score and rank (and each leaf's raw value) as CSV (UTF-8 with a BOM, so
// that Excel reads the Chinese right) or XLSX (that table, the two-way
// lists and a sheet describing the run).

// exportTable is the wide table of a run: a header and one row per unit,
// by group, then rank (unranked last).
func (s *Server) exportTable(lr *loadedRun) [][]any {
	nodes := flatten(lr.tree)
	header := []any{"组别", "排名", "区划代码", "区划名称", "亲清健康指数", "指标覆盖率"}
	for _, n := range nodes {
		label := n.Code + " " + n.Name
		header = append(header, label+" 得分", label+" 排名")
		if n.IsLeaf() {
			header = append(header, label+" 原始值（"+n.Unit+"）")
		}
	}
	rows := [][]any{header}
	for _, g := range lr.groups() {
		for _, uv := range g.Units {
			u := lr.units[uv.Code]
			row := []any{g.Label, rankCell(u.Rank), u.Code, u.Name, numCell(u.Total, 2), round(u.Coverage, 4)}
			for _, n := range nodes {
				ns := u.Scores[n.Code]
				row = append(row, numCell(ns.Score, 2), rankCell(ns.Rank))
				if n.IsLeaf() {
					if ns.Raw != nil {
						row = append(row, round(*ns.Raw, 4))
					} else if l, ok := reasonLabels[ns.Reason]; ok {
						row = append(row, "缺失："+l)
					} else {
						row = append(row, "")
					}
				}
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// rankCell is a rank, or 数据不足，不予排名 without one.
func rankCell(r *int) any {
	if r == nil {
		return index.NotRanked
	}
	return *r
}

// numCell is x rounded, or an empty cell when it is missing.
func numCell(x *float64, places int) any {
	if x == nil {
		return ""
	}
	return round(*x, places)
}

// cellText formats a cell for CSV.
func cellText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// attachment sets the download headers: an ASCII filename and the Chinese
// one (RFC 6266 / 5987).
func attachment(c *gin.Context, lr *loadedRun, ext string) {
	base := fmt.Sprintf("qinqing-index-%s-v%d.%s", lr.run.Period, lr.run.Version, ext)
	zh := fmt.Sprintf("亲清健康指数-%s-第%d版.%s", lr.run.Period, lr.run.Version, ext)
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, base, url.PathEscape(zh)))
}

// exportCSV answers the published run of a period as CSV.
func (s *Server) exportCSV(c *gin.Context) error {
	lr, err := s.publishedRun(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(&buf)
	w.UseCRLF = true // what Excel writes and expects
	for _, row := range s.exportTable(lr) {
		rec := make([]string, len(row))
		for i, v := range safeRow(row) {
			rec[i] = cellText(v)
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	attachment(c, lr, "csv")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	return nil
}

// xlsxType is the media type of an Excel workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// exportXLSX answers the published run of a period as an Excel workbook.
func (s *Server) exportXLSX(c *gin.Context) error {
	lr, err := s.publishedRun(c)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	const ranking, lists, about = "指数排名", "两张清单", "说明"
	if err := f.SetSheetName("Sheet1", ranking); err != nil {
		return err
	}
	if err := writeSheet(f, ranking, s.exportTable(lr)); err != nil {
		return err
	}
	if _, err := f.NewSheet(lists); err != nil {
		return err
	}
	if err := writeSheet(f, lists, s.listRows(lr)); err != nil {
		return err
	}
	if _, err := f.NewSheet(about); err != nil {
		return err
	}
	if err := writeSheet(f, about, s.aboutRows(lr)); err != nil {
		return err
	}
	if err := f.SetColWidth(about, "A", "A", 16); err != nil {
		return err
	}
	if err := f.SetColWidth(about, "B", "B", 90); err != nil {
		return err
	}
	for _, sheet := range []string{ranking, lists} {
		if err := f.SetColWidth(sheet, "A", "D", 14); err != nil {
			return err
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return err
	}
	attachment(c, lr, "xlsx")
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
	return nil
}

func writeSheet(f *excelize.File, sheet string, rows [][]any) error {
	for i, row := range rows {
		row = safeRow(row)
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	return nil
}

// listRows is the two-way list of every unit, one item per row.
func (s *Server) listRows(lr *loadedRun) [][]any {
	rows := [][]any{{"组别", "区划代码", "区划名称", "清单", "类型", "指标代码", "指标名称", "单位", "原始值", "得分", "排名",
		"参评数", "得分差距", "最优值", "原始值差距", "标杆", "责任部门", "加权失分"}}
	for _, g := range lr.groups() {
		for _, uv := range g.Units {
			rep, err := s.regionReport(lr, uv.Code)
			if err != nil {
				continue
			}
			for _, p := range rep.Promote {
				rows = append(rows, []any{g.Label, uv.Code, uv.Name, "成绩推广清单", "领先", p.Code, p.Name, p.Unit, p.Raw, p.Score,
					p.Rank, p.N, "", "", "", "", "", ""})
			}
			for _, it := range rep.Rectify {
				bench := ""
				for i, b := range it.Benchmarks {
					if i > 0 {
						bench += "、"
					}
					bench += b.Name
				}
				owner := ""
				if it.OwnerName != nil {
					owner = *it.OwnerName
				}
				kind := it.KindLabel
				if it.ReasonLabel != nil {
					kind += "（" + *it.ReasonLabel + "）"
				}
				unit := ""
				if it.Unit != nil {
					unit = *it.Unit
				}
				rows = append(rows, []any{g.Label, uv.Code, uv.Name, "问题整改清单", kind, it.Code, it.Name, unit,
					numCell(it.Raw, 4), numCell(it.Score, 2), intCell(it.Rank), intCell(it.N), numCell(it.ScoreGap, 2),
					numCell(it.BestRaw, 4), numCell(it.RawGap, 4), bench, owner, numCell(it.WeightedShortfall, 2)})
			}
		}
	}
	return rows
}

func intCell(x *int) any {
	if x == nil {
		return ""
	}
	return *x
}

// aboutRows describes the run.
func (s *Server) aboutRows(lr *loadedRun) [][]any {
	r := lr.run
	published := ""
	if r.PublishedAt != nil {
		published = s.ts(*r.PublishedAt)
	}
	provisional := "否"
	if r.Provisional {
		provisional = "是（测算时期间尚未结束，部分口径未完整）"
	}
	return [][]any{
		{"项目", "内容"},
		{"指数", "亲清健康指数"},
		{"期间", r.Period},
		{"版本", r.Version},
		{"发布时间", published},
		{"数据截至", s.ts(r.AsOf)},
		{"是否为中期数", provisional},
		{"指标体系版本", r.TreeVersion},
		{"评分方法", methodLabels[r.Method]},
		{"覆盖率阈值 θ", lr.report.Theta},
		{"缺失数据规则", "缺失指标不计为零：不参与该单位的标准化与上级加权，其余同级指标权重按比例放大；" +
			"同级有数据指标权重之和低于 θ 时上级指标亦缺失，单位不予排名（" + index.NotRanked + "）。"},
		{"排名", "在同组（区（县、市）、市本级及功能区、重点镇（街道））内按保留两位小数的得分竞争排名，得分相同名次相同。"},
		{"两张清单", "成绩推广清单：排名处于同组前四分之一的四级指标；问题整改清单：排名处于同组后四分之一的四级指标（附与最优单位的差距），以及未报送的数据项。"},
	}
}
