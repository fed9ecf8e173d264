package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"qinqing/model"
	"qinqing/workflow"
)

// The ledgers (台账): GET /api/v1/requests/export.xlsx and
// GET /api/v1/leads/export.xlsx, every case the caller's list would show
// under the same filters, as one Excel workbook with no row limit.
//
// Rows are read from the database in keyset pages (ledgerPage at a time)
// and handed to excelize's stream writer, which keeps at most 16 MiB of
// sheet XML in memory and spills the rest to a temporary file; the workbook
// is then zipped straight into the response. A million requests therefore
// never sit in memory at once (docs/benchmark.md has the time and peak
// memory). Because the zip needs the whole sheet, the first byte leaves
// when the last row is written: the export has its own time budget
// (export_timeout) instead of the request timeout, and at most
// exportSlots exports run at once per instance (a third waits its turn
// until its budget is spent; 503 then).
//
// Cells: every text is a string cell passed through safeText (never a
// formula), times are date cells in Beijing time, a text longer than a
// cell holds (32,767 characters) is cut with a note.

// isLedgerRoute reports whether route has the export time budget.
func isLedgerRoute(route string) bool {
	return route == "/api/v1/requests/export.xlsx" || route == "/api/v1/leads/export.xlsx"
}

// ledgerPage is how many rows one database read brings.
const ledgerPage = 1000

// maxCellText is the most characters an Excel cell holds.
const maxCellText = 32767

// exportSlots is how many ledger exports one instance builds at once.
const exportSlots = 2

// ledgerColumn is one column of a ledger: header and width.
type ledgerColumn struct {
	head  string
	width float64
}

var requestLedgerColumns = []ledgerColumn{
	{"编号", 17}, {"系统ID", 10}, {"标题", 36}, {"诉求内容", 60}, {"类别", 12}, {"企业", 28}, {"区划", 12},
	{"状态", 10}, {"承办单位", 22}, {"当前环节", 8}, {"办理期限", 17}, {"计时方式", 9}, {"是否超期", 8}, {"督办", 6},
	{"退回次数", 8}, {"重办次数", 8}, {"答复内容", 60}, {"满意度评分", 10}, {"评价意见", 36},
	{"提交时间", 17}, {"评价时间", 17}, {"办结时间", 17},
}

var leadLedgerColumns = []ledgerColumn{
	{"编号", 17}, {"系统ID", 10}, {"状态", 10}, {"区划", 12}, {"匿名", 6}, {"当前环节", 8}, {"办理期限", 17},
	{"计时方式", 9}, {"是否超期", 8}, {"处置方式", 16}, {"反馈结果", 36}, {"登记时间", 17}, {"办结时间", 17},
}

// exportRequests is GET /api/v1/requests/export.xlsx.
func (s *Server) exportRequests(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "request", "export"); err != nil {
		return err
	}
	q := s.query(c, requestListParams...)
	noPaging(q)
	f := s.requestFilter(q)
	if err := q.err(); err != nil {
		return err
	}
	ctx := c.Request.Context()
	return s.sendLedger(c, "requests", "诉求台账", requestLedgerColumns, func(emit func([]any) error, when int) error {
		loc := s.cal.Location()
		f.Page = model.Page{Size: ledgerPage}
		for {
			rs, next, err := s.store.ListRequests(ctx, p.scope, f)
			if err != nil {
				return err
			}
			ids := make([]uint64, len(rs))
			for i := range rs {
				ids[i] = rs[i].EnterpriseID
			}
			names, err := s.store.EnterpriseNames(ctx, p.scope, ids...)
			if err != nil {
				return err
			}
			for i := range rs {
				r := &rs[i]
				v := s.requestView(r)
				st, _ := workflow.Request.State(workflow.Status(r.Status))
				step, due, basis := "", any(""), ""
				if v.DueAt != nil {
					step, due, basis = stepLabels[st.Step], dateCell(when, *r.DueAt, loc), dayBasis(r.DueWorking)
				}
				score, comment, evaluated := any(""), "", any("")
				if r.EvaluationScore != nil {
					score, comment = *r.EvaluationScore, r.EvaluationComment
				}
				if r.EvaluatedAt != nil {
					evaluated = dateCell(when, *r.EvaluatedAt, loc)
				}
				closed := any("")
				if r.ClosedAt != nil {
					closed = dateCell(when, *r.ClosedAt, loc)
				}
				if err := emit([]any{v.RefNo, v.ID, fitCell(r.Title), fitCell(r.Content),
					s.ref.Categories[r.Category].Name, fitCell(names[r.EnterpriseID]), s.console.regionName(r.RegionCode),
					v.StatusLabel, s.console.unitName(r.DepartmentCode, r.UnitRegionCode), step, due, basis,
					yesNo(v.Overdue), yesNo(r.Supervised), r.ReturnCount, r.ReopenCount, fitCell(r.Response),
					score, fitCell(comment), dateCell(when, r.CreatedAt, loc), evaluated, closed}); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			f.Page.After = next
		}
	})
}

// exportLeads is GET /api/v1/leads/export.xlsx: inspectors only, with the
// fields of the lead list (no content, reporter or investigation text: a
// lead's detail is read one at a time, each reading recorded).
func (s *Server) exportLeads(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "lead", "export"); err != nil {
		return err
	}
	q := s.query(c, leadListParams...)
	noPaging(q)
	f, err := s.leadFilter(p, q)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	return s.sendLedger(c, "leads", "问题线索台账", leadLedgerColumns, func(emit func([]any) error, when int) error {
		loc := s.cal.Location()
		f.Page = model.Page{Size: ledgerPage}
		for {
			ls, next, err := s.store.ListLeads(ctx, p.scope, f)
			if err != nil {
				return err
			}
			for i := range ls {
				l := &ls[i]
				v := s.leadView(p, l, leadSummary)
				st, _ := workflow.Lead.State(workflow.Status(l.Status))
				region, anonymous, step, due, basis, overdue, disposal, outcome := "", "", "", any(""), "", "", "", ""
				if v.RegionCode != nil {
					region = s.console.regionName(*v.RegionCode)
				}
				if v.Anonymous != nil {
					anonymous = yesNo(*v.Anonymous)
				}
				if v.leadDeadlineView != nil {
					overdue = yesNo(v.Overdue)
					if v.DueAt != nil {
						step, due, basis = stepLabels[st.Step], dateCell(when, *l.DueAt, loc), dayBasis(l.DueWorking)
					}
				}
				if v.leadDisposalView != nil && v.DisposalLabel != nil {
					disposal = *v.DisposalLabel
				}
				if v.Outcome != nil {
					outcome = fitCell(*v.Outcome)
				}
				closed := any("")
				if l.ClosedAt != nil {
					closed = dateCell(when, *l.ClosedAt, loc)
				}
				if err := emit([]any{v.RefNo, v.ID, v.StatusLabel, region, anonymous, step, due, basis, overdue,
					disposal, outcome, dateCell(when, l.CreatedAt, loc), closed}); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			f.Page.After = next
		}
	})
}

// sendLedger builds a one-sheet workbook whose rows fill emits (given the
// date style) and sends it as name-<time>.xlsx. An error before the first
// byte is answered as a problem; the workbook is complete before any byte
// leaves, so a failure while reading never yields half a ledger.
func (s *Server) sendLedger(c *gin.Context, name, sheet string, cols []ledgerColumn, fill func(emit func([]any) error, when int) error) error {
	ctx := c.Request.Context()
	select {
	case s.exports <- struct{}{}:
		defer func() { <-s.exports }()
	case <-ctx.Done():
		return errExportsBusy
	}
	if s.cfg.ExportTimeout > 0 {
		// The response is written after the whole workbook is built.
		_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(s.cfg.ExportTimeout + 30*time.Second))
	}
	wb := excelize.NewFile()
	defer wb.Close()
	if err := wb.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := wb.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	head, err := wb.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEF2F7"}}})
	if err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd hh:mm"
	when, err := wb.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	header := make([]any, len(cols))
	for i, col := range cols {
		header[i] = col.head
		if err := sw.SetColWidth(i+1, i+1, col.width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{StyleID: head}); err != nil {
		return err
	}
	row := 1
	err = fill(func(cells []any) error {
		row++
		if row > excelize.TotalRows {
			return errLedgerTooLong
		}
		return sw.SetRow("A"+strconv.Itoa(row), safeRow(cells))
	}, when)
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	now := s.now().In(s.cal.Location())
	base := "qinqing-" + name + "-" + now.Format("20060102-1504") + ".xlsx"
	zh := sheet + "-" + now.Format("2006-01-02-1504") + ".xlsx"
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, base, url.PathEscape(zh)))
	c.Header("Content-Type", xlsxType)
	c.Header("X-Ledger-Rows", strconv.Itoa(row-1))
	c.Status(http.StatusOK)
	// A failure from here on is the client's connection.
	_ = wb.Write(c.Writer)
	return nil
}

// noPaging refuses the list's paging parameters: a ledger holds every row.
func noPaging(q *query) {
	for _, k := range []string{"page_size", "cursor"} {
		if q.values.Has(k) {
			q.errs.Add(k, "导出不分页，不接受此参数")
		}
	}
}

// dateCell is t as a date cell in loc.
func dateCell(style int, t time.Time, loc *time.Location) excelize.Cell {
	return excelize.Cell{StyleID: style, Value: t.In(loc)}
}

// fitCell is s cut to what a cell holds.
func fitCell(s string) string {
	if len(s) <= maxCellText {
		return s
	}
	r := []rune(s)
	if len(r) <= maxCellText {
		return s
	}
	const note = "……（超出单元格长度，余下内容请在系统中查看）"
	return string(r[:maxCellText-len([]rune(note))]) + note
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}
