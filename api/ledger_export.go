package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// The ledgers (台账): GET /api/v1/requests/export.xlsx and
// GET /api/v1/leads/export.xlsx, every case the caller's list would show
// under the same filters, as one Excel workbook with no row limit.
//
// Rows are read from the database in keyset pages (ledgerPage at a time)
// and written as they come into the compressed response (xlsxStream): a
// million requests never sit in memory, and the download starts with the
// first page. The export has its own time budget (export_timeout) instead
// of the request timeout, and at most exportSlots exports run at once per
// instance (a third waits its turn until its budget is spent; 503 then).
//
// Cells: every text is a string cell passed through safeText (never a
// formula), times are date cells in Beijing time, a text longer than a
// cell holds (32,767 characters) is cut with a note.

// isLedgerRoute reports whether route has the export time budget (the
// API's and the console's).
func isLedgerRoute(route string) bool {
	switch route {
	case "/api/v1/requests/export.xlsx", "/api/v1/leads/export.xlsx", "/requests/export.xlsx", "/leads/export.xlsx":
		return true
	}
	return false
}

// ledgerURL is the console's link to the ledger of a list under values
// (its filters, without the page).
func ledgerURL(path string, values url.Values) string {
	v := cloneValues(values)
	v.Del("cursor")
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// consoleLedger answers the console's ledger links with the API's export:
// the filters a list form sends, empty ones dropped (as the list does).
func (cs *console) consoleLedger(export func(*gin.Context) error, params []string) func(*gin.Context) error {
	return func(c *gin.Context) error {
		values := url.Values{}
		for k, vs := range c.Request.URL.Query() {
			if v := strings.TrimSpace(vs[0]); v != "" && slices.Contains(params, k) {
				values.Set(k, v)
			}
		}
		c.Request.URL.RawQuery = values.Encode()
		return export(c)
	}
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
	return s.sendLedger(c, "requests", "诉求台账", requestLedgerColumns, func(emit func([]any) error) error {
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
					step, due, basis = workflow.StepLabel(st.Step), dateCell(*r.DueAt, loc), dayBasis(r.DueWorking)
				}
				score, comment, evaluated := any(""), "", any("")
				if r.EvaluationScore != nil {
					score, comment = *r.EvaluationScore, r.EvaluationComment
				}
				if r.EvaluatedAt != nil {
					evaluated = dateCell(*r.EvaluatedAt, loc)
				}
				closed := any("")
				if r.ClosedAt != nil {
					closed = dateCell(*r.ClosedAt, loc)
				}
				if err := emit([]any{v.RefNo, v.ID, fitCell(r.Title), fitCell(r.Content),
					s.ref.Categories[r.Category].Name, fitCell(names[r.EnterpriseID]), s.console.regionName(r.RegionCode),
					v.StatusLabel, s.console.unitName(r.DepartmentCode, r.UnitRegionCode), step, due, basis,
					yesNo(v.Overdue), yesNo(r.Supervised), r.ReturnCount, r.ReopenCount, fitCell(r.Response),
					score, fitCell(comment), dateCell(r.CreatedAt, loc), evaluated, closed}); err != nil {
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
	return s.sendLedger(c, "leads", "问题线索台账", leadLedgerColumns, func(emit func([]any) error) error {
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
						step, due, basis = workflow.StepLabel(st.Step), dateCell(*l.DueAt, loc), dayBasis(l.DueWorking)
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
					closed = dateCell(*l.ClosedAt, loc)
				}
				if err := emit([]any{v.RefNo, v.ID, v.StatusLabel, region, anonymous, step, due, basis, overdue,
					disposal, outcome, dateCell(l.CreatedAt, loc), closed}); err != nil {
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

// sendLedger streams a one-sheet workbook whose rows fill emits as
// name-<time>.xlsx. The answer starts with the first row (after the first
// page was read) or at the end when there is none, so a failure before any
// row is answered as a problem; one after the first bytes aborts the
// connection, which the client sees as a failed download (the zip's
// directory, written last, is missing) — never as a shorter ledger. The row
// count is the trailer X-Ledger-Rows.
func (s *Server) sendLedger(c *gin.Context, name, sheet string, cols []ledgerColumn, fill func(emit func([]any) error) error) error {
	ctx := c.Request.Context()
	select {
	case s.exports <- struct{}{}:
		defer func() { <-s.exports }()
	case <-ctx.Done():
		return errExportsBusy
	}
	if s.cfg.ExportTimeout > 0 {
		_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(s.cfg.ExportTimeout + 30*time.Second))
	}
	header, widths := make([]string, len(cols)), make([]float64, len(cols))
	for i, col := range cols {
		header[i], widths[i] = col.head, col.width
	}
	var x *xlsxStream
	start := func() error {
		now := s.now().In(s.cal.Location())
		base := "qinqing-" + name + "-" + now.Format("20060102-1504") + ".xlsx"
		zh := sheet + "-" + now.Format("2006-01-02-1504") + ".xlsx"
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, base, url.PathEscape(zh)))
		c.Header("Content-Type", xlsxType)
		c.Header("Trailer", "X-Ledger-Rows")
		c.Status(http.StatusOK)
		var err error
		x, err = newXLSXStream(c.Writer, sheet, header, widths)
		return err
	}
	err := fill(func(cells []any) error {
		if x == nil {
			if err := start(); err != nil {
				return err
			}
		}
		return x.Row(safeRow(cells))
	})
	if err == nil && x == nil {
		err = start()
	}
	if err != nil {
		if x == nil {
			return err // nothing sent yet: a problem
		}
		s.log.Warn("台账导出中断", "request_id", c.GetString(ctxRequestID), "rows", x.Rows(), "error", err.Error())
		panic(http.ErrAbortHandler)
	}
	if err := x.Close(); err != nil {
		panic(http.ErrAbortHandler)
	}
	c.Writer.Header().Set("X-Ledger-Rows", strconv.Itoa(x.Rows()))
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
func dateCell(t time.Time, loc *time.Location) xlsxDate {
	return xlsxDate(t.In(loc))
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
