package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"qinqing/model"
	"qinqing/workflow"
)

// The deadline board as an Excel workbook (GET /api/v1/deadlines/export.xlsx,
// and the console's /deadlines/export.xlsx): the board's filters without
// paging, the most urgent first, at most deadlineExportLimit rows. The
// sheet 期限看板 has one row per open step, in the words of the console;
// the sheet 说明 says when it was made, under which filters, the counts by
// state, and whether rows were left out.
//
// Every text cell is written as a string value (an inline string), never
// as a formula: a title that starts with "=" stays that text. Times are
// date cells in Beijing time.

// deadlineExportLimit is the most rows an export holds.
const deadlineExportLimit = 20000

// exportDeadlines is GET /api/v1/deadlines/export.xlsx.
func (s *Server) exportDeadlines(c *gin.Context) error {
	return s.sendDeadlineXLSX(c, principalOf(c), c.Request.URL.Query())
}

// sendDeadlineXLSX answers the workbook of the board of p under the
// filters in values, or the error that refuses it (nothing is written
// then).
func (s *Server) sendDeadlineXLSX(c *gin.Context, p *principal, values url.Values) error {
	if err := s.mayEver(p, "deadline", "list"); err != nil {
		return err
	}
	q := s.queryOf(values, deadlineParams...)
	f := s.deadlineFilter(q, false)
	if err := q.err(); err != nil {
		return err
	}
	wb, err := s.deadlineWorkbook(c.Request.Context(), p, f)
	if err != nil {
		return err
	}
	defer wb.Close()
	now := s.now().In(s.cal.Location())
	base := "qinqing-deadlines-" + now.Format("20060102-1504") + ".xlsx"
	zh := "期限看板-" + now.Format("2006-01-02-1504") + ".xlsx"
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, base, url.PathEscape(zh)))
	c.Header("Content-Type", xlsxType)
	c.Status(http.StatusOK)
	// The workbook is complete in memory by now; a failure here is the
	// client's connection.
	_ = wb.Write(c.Writer)
	return nil
}

// deadlineWorkbook builds the export of the board of p under f.
func (s *Server) deadlineWorkbook(ctx context.Context, p *principal, f model.DeadlineFilter) (*excelize.File, error) {
	counts, err := s.deadlineCounts(ctx, p, f)
	if err != nil {
		return nil, err
	}
	wb := excelize.NewFile()
	ok := false
	defer func() {
		if !ok {
			wb.Close()
		}
	}()
	const board, about = "期限看板", "说明"
	if err := wb.SetSheetName("Sheet1", board); err != nil {
		return nil, err
	}
	sw, err := wb.NewStreamWriter(board)
	if err != nil {
		return nil, err
	}
	head, err := wb.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEF2F7"}}})
	if err != nil {
		return nil, err
	}
	dateFmt := "yyyy-mm-dd hh:mm"
	when, err := wb.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return nil, err
	}
	for i, w := range []float64{17, 10, 36, 10, 8, 12, 22, 17, 9, 24, 10, 6} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	header := []any{"编号", "类别", "标题", "状态", "环节", "区划", "承办单位", "办理期限", "计时方式", "剩余时间", "期限状态", "督办"}
	if err := sw.SetRow("A1", safeRow(header), excelize.RowOpts{StyleID: head}); err != nil {
		return nil, err
	}
	loc := s.cal.Location()
	// One statement per kind for the whole export: read page by page,
	// each page sorted the remaining open steps again (pages of 1,000: five
	// times the CPU of one read, for 20,000 rows).
	f.Size, f.After = deadlineExportLimit, nil
	items, next, err := s.deadlines(ctx, p, f)
	if err != nil {
		return nil, err
	}
	truncated := next != nil
	for i, it := range items {
		r := s.console.boardRow(it)
		basis, text, mark := "", "", ""
		if r.Deadline != nil {
			basis, text, mark = r.Deadline.Basis, r.Deadline.Text, r.Deadline.MarkLabel
		}
		supervised := ""
		if r.Supervised {
			supervised = "是"
		}
		// Every text a person typed or a name is a string cell.
		cells := []any{r.Ref, r.Kind, r.Title, r.Status, r.Step, r.Region, r.Unit,
			excelize.Cell{StyleID: when, Value: it.DueAt.In(loc)}, basis, text, mark, supervised}
		if err := sw.SetRow("A"+strconv.Itoa(i+2), safeRow(cells)); err != nil {
			return nil, err
		}
	}
	written := len(items)
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	if _, err := wb.NewSheet(about); err != nil {
		return nil, err
	}
	rows := [][]any{
		{"期限看板导出", ""},
		{"导出时间", s.console.datetime(s.now()) + "（北京时间）"},
		{"导出账号", p.account.Username + "（" + roleLabels[p.account.Role] + "，" + s.console.regionName(p.account.RegionCode) + "）"},
		{"期限状态", map[string]string{"all": "全部", "overdue": "已超期", "due_soon": "即将到期"}[f.State]},
		{"类别", map[workflow.Kind]string{"": "全部", workflow.KindRequest: "诉求", workflow.KindLead: "问题线索"}[f.Kind]},
		{"区划", s.filterRegionLabel(f)},
		{"部门", cmp.Or(deptLabelOrEmpty(s.ref, f.DepartmentCode), "全部")},
		{"合计", strconv.FormatInt(counts.Total(), 10)},
		{"其中已超期", strconv.FormatInt(counts.Overdue, 10)},
		{"其中即将到期", strconv.FormatInt(counts.DueSoon, 10)},
		{"其中未到期", strconv.FormatInt(counts.Others, 10)},
		{"本表行数", strconv.Itoa(written)},
	}
	if truncated {
		rows = append(rows, []any{"提示", "超过 " + strconv.Itoa(deadlineExportLimit) + " 条，仅导出最紧急的 " +
			strconv.Itoa(deadlineExportLimit) + " 条；请缩小筛选范围后分别导出。"})
	}
	rows = append(rows, []any{"排序", "按办理期限由早到晚（超期最久的在前）。"},
		[]any{"说明", "问题线索只列编号、状态与期限，不含线索内容及举报人等保密信息。"})
	if err := writeSheet(wb, about, rows); err != nil {
		return nil, err
	}
	if err := wb.SetColWidth(about, "A", "A", 14); err != nil {
		return nil, err
	}
	if err := wb.SetColWidth(about, "B", "B", 70); err != nil {
		return nil, err
	}
	// The first sheet is the active one already. SetActiveSheet would read
	// the streamed sheet back into memory (3 s of 5 for 20,000 rows).
	ok = true
	return wb, nil
}

// filterRegionLabel names the region filter of f: the region chosen, the
// one of its codes whose parent is not among them.
func (s *Server) filterRegionLabel(f model.DeadlineFilter) string {
	for _, code := range f.RegionCodes {
		if !slices.Contains(f.RegionCodes, s.ref.Parents[code]) {
			return s.console.regionName(code)
		}
	}
	return "全部"
}

func deptLabelOrEmpty(ref *model.Reference, code string) string {
	if code == "" {
		return ""
	}
	return deptLabel(ref, code)
}
