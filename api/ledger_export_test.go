package api_test

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"qinqing/model"
)

// The ledgers (台账): GET /requests/export.xlsx and /leads/export.xlsx hold
// exactly what the caller's list holds, with Chinese headers, dates in
// Beijing time and text that never becomes a formula.

var requestLedgerHeader = []string{"编号", "系统ID", "标题", "诉求内容", "类别", "企业", "区划", "状态", "承办单位", "当前环节",
	"办理期限", "计时方式", "是否超期", "督办", "退回次数", "重办次数", "答复内容", "满意度评分", "评价意见", "提交时间", "评价时间", "办结时间"}

var leadLedgerHeader = []string{"编号", "系统ID", "状态", "区划", "匿名", "当前环节", "办理期限", "计时方式", "是否超期",
	"处置方式", "反馈结果", "登记时间", "办结时间"}

// ledgerRows opens an export answer and returns its one sheet's rows,
// checking the header.
func ledgerRows(t *testing.T, res *response, sheet string, header []string) (*excelize.File, [][]string) {
	t.Helper()
	if ct := res.header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=\"qinqing-") ||
		!strings.Contains(cd, "filename*=UTF-8''") {
		t.Errorf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader(res.body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	if got := f.GetSheetList(); !slices.Equal(got, []string{sheet}) {
		t.Fatalf("sheets %v, want [%s]", got, sheet)
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], header) {
		t.Fatalf("header %v, want %v", rows[:min(1, len(rows))], header)
	}
	if n, _ := strconv.Atoi(res.header.Get("X-Ledger-Rows")); n != len(rows)-1 {
		t.Errorf("X-Ledger-Rows %q, the sheet has %d rows", res.header.Get("X-Ledger-Rows"), len(rows)-1)
	}
	return f, rows
}

// ledgerIDs is the 系统ID column of rows (header excluded).
func ledgerIDs(rows [][]string) []string {
	out := []string{}
	for _, r := range rows[1:] {
		out = append(out, r[1])
	}
	return out
}

// TestAuthzRequestLedger: every account's request ledger holds exactly the
// requests its list shows; admin may not export.
func TestAuthzRequestLedger(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := mxWorld(t, ts)
		for _, u := range mxUsers {
			t.Run(u.name, func(t *testing.T) {
				t.Parallel()
				res := ts.as(t, u.name, "GET", "/api/v1/requests/export.xlsx", nil)
				if u.role == "admin" {
					qaExpect(t, res, http.StatusForbidden, "", "GET /requests/export.xlsx as "+u.name)
					return
				}
				if !qaExpect(t, res, http.StatusOK, "", "GET /requests/export.xlsx as "+u.name) {
					return
				}
				_, rows := ledgerRows(t, res, "诉求台账", requestLedgerHeader)
				if got, want := ledgerIDs(rows), mxVisible(u.name, w); !qaSameSet(got, want) {
					t.Errorf("%s's ledger holds %v, want %v", u.name, got, want)
				}
			})
		}
		// The list's filters apply: 海曙's 工商联 asking for the city sees its own district.
		_, rows := ledgerRows(t, ts.as(t, "acfic_hs", "GET", "/api/v1/requests/export.xlsx?region_code=330200&status=submitted", nil).
			want(http.StatusOK), "诉求台账", requestLedgerHeader)
		if got, want := ledgerIDs(rows), []string{w["rE"], w["rG"]}; !qaSameSet(got, want) {
			t.Errorf("filtered ledger %v, want %v", got, want)
		}
	})
}

// TestAuthzLeadLedger: inspectors export the leads they may see (not those
// they are recused from); every other role is refused.
func TestAuthzLeadLedger(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := lzWorld(t, ts)
		for user, row := range lzReads {
			t.Run(user, func(t *testing.T) {
				t.Parallel()
				res := ts.as(t, user, "GET", "/api/v1/leads/export.xlsx", nil)
				if !strings.HasPrefix(user, "insp") {
					qaExpect(t, res, http.StatusForbidden, "", "GET /leads/export.xlsx as "+user)
					return
				}
				if !qaExpect(t, res, http.StatusOK, "", "GET /leads/export.xlsx as "+user) {
					return
				}
				_, rows := ledgerRows(t, res, "问题线索台账", leadLedgerHeader)
				var want []string
				for i, st := range row {
					if st == http.StatusOK {
						want = append(want, w[lzLeads[i]])
					}
				}
				if got := ledgerIDs(rows); !qaSameSet(got, want) {
					t.Errorf("%s's lead ledger holds %v, want %v", user, got, want)
				}
			})
		}
	})
}

// TestLedgerCells: what the cells say, and what a bad filter gets.
func TestLedgerCells(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		beijing := time.FixedZone("CST", 8*3600)
		title := `=HYPERLINK("http://evil.example/","点此查看")`
		r := ts.as(t, "ent_hs", "POST", "/api/v1/requests", map[string]any{"title": title,
			"content": "+cmd|' /C calc'!A0", "category": "approval"}).want(http.StatusCreated).obj()
		id := r["id"].(string)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		plain := ts.fileRequest(t, "ent_hs", "")

		res := ts.as(t, "acfic_hs", "GET", "/api/v1/requests/export.xlsx", nil).want(http.StatusOK)
		f, rows := ledgerRows(t, res, "诉求台账", requestLedgerHeader)
		if len(rows) != 3 || rows[1][1] != plain["id"] || rows[2][1] != id {
			t.Fatalf("rows %v: want the two requests, newest first", rows)
		}
		got := ts.as(t, "acfic_hs", "GET", reqPath(id), nil).want(http.StatusOK).obj()
		row := rows[2]
		want := map[int]string{0: got["ref_no"].(string), 2: "'" + title, 3: "'+cmd|' /C calc'!A0", 4: "审批服务",
			5: "宁波海曙甬兴机械有限公司", 6: "海曙区", 7: "已交办", 8: "海曙区 市场监管局", 9: "签收", 11: "工作日", 12: "否", 13: "否"}
		for col, v := range want {
			if row[col] != v {
				t.Errorf("%s: %q, want %q (row %v)", requestLedgerHeader[col], row[col], v, row)
			}
		}
		for _, ref := range []string{"C3", "D3"} {
			if fo, _ := f.GetCellFormula("诉求台账", ref); fo != "" {
				t.Errorf("%s is a formula: %s", ref, fo)
			}
			if ty, _ := f.GetCellType("诉求台账", ref); ty != excelize.CellTypeInlineString {
				t.Errorf("%s has cell type %v, want an inline string", ref, ty)
			}
		}
		// Times are date cells showing Beijing time.
		for col, field := range map[int]string{10: "due_at", 19: "created_at"} {
			at, _ := time.Parse(time.RFC3339, got[field].(string))
			if w := at.In(beijing).Format("2006-01-02 15:04"); row[col] != w {
				t.Errorf("%s %q, want %q (Beijing time of %s)", requestLedgerHeader[col], row[col], w, got[field])
			}
			cell, _ := excelize.CoordinatesToCellName(col+1, 3)
			raw, _ := f.GetCellValue("诉求台账", cell, excelize.Options{RawCellValue: true})
			if _, err := strconv.ParseFloat(raw, 64); err != nil {
				t.Errorf("%s holds %q, not a date serial", cell, raw)
			}
		}

		// Bad filters and paging parameters: a problem, no workbook.
		ts.as(t, "acfic_hs", "GET", "/api/v1/requests/export.xlsx?status=nope", nil).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "status")
		ts.as(t, "acfic_hs", "GET", "/api/v1/requests/export.xlsx?page_size=10", nil).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "page_size")
		// A filter on a field the role may not see is refused as on the list.
		ts.as(t, "insp_hs", "GET", "/api/v1/leads/export.xlsx?status=reported", nil).want(http.StatusOK)
		ts.as(t, "insp_hs", "GET", "/api/v1/leads/export.xlsx?status=closing", nil).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "status")
	})
}

// TestLeadLedgerKeepsConfidences: a lead's row holds the list's fields and
// none of its content, subject, evidence or reporter, and exporting is not
// a reading of any lead.
func TestLeadLedgerKeepsConfidences(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		w := lzWorld(t, ts)
		readsBefore := ts.as(t, "insp_city", "GET", "/api/v1/leads/"+w["L1"]+"/reads", nil).want(http.StatusOK).body
		res := ts.as(t, "insp_city", "GET", "/api/v1/leads/export.xlsx", nil).want(http.StatusOK)
		_, rows := ledgerRows(t, res, "问题线索台账", leadLedgerHeader)
		l1 := ts.as(t, "insp_city", "GET", "/api/v1/leads/"+w["L1"], nil).want(http.StatusOK).obj()
		i := slices.IndexFunc(rows, func(r []string) bool { return r[1] == w["L1"] })
		if i < 0 {
			t.Fatalf("L1 missing from %v", rows)
		}
		row := rows[i]
		if row[0] != l1["ref_no"] || row[2] != "整改中" || row[3] != "海曙区" || row[4] != "否" || row[5] != "整改" ||
			row[7] != "工作日" || row[9] == "" {
			t.Errorf("L1's row %v", row)
		}
		secrets := []string{l1["content"].(string), l1["subject_name"].(string), "海曙亲清家园", "station_hs"}
		if ev, _ := l1["evidence"].(string); ev != "" {
			secrets = append(secrets, ev)
		}
		for _, r := range rows {
			for _, c := range r {
				for _, s := range secrets {
					if s != "" && strings.Contains(c, s) {
						t.Errorf("the lead ledger shows %q", s)
					}
				}
			}
		}
		// The export read no lead: L1's reads are what they were before
		// (the detail read above is the only new one).
		after := ts.as(t, "insp_city", "GET", "/api/v1/leads/"+w["L1"]+"/reads", nil).want(http.StatusOK)
		var before, now struct {
			Items []any `json:"items"`
		}
		(&response{t: t, body: readsBefore}).decode(&before)
		after.decode(&now)
		if len(now.Items) != len(before.Items)+1 {
			t.Errorf("L1 has %d reads after the export and one detail read, %d before", len(now.Items), len(before.Items))
		}
	})
}

// TestLedgerPages: a ledger longer than one database page holds every
// request once, newest first.
func TestLedgerPages(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ent, _ := strconv.ParseUint(ts.ids["ent_yz"], 10, 64)
		user, _ := strconv.ParseUint(ts.ids["user_ent_yz"], 10, 64)
		now := ts.clock.Now().UTC()
		const n = 2345
		rows := make([]model.Request, n)
		for i := range rows {
			rows[i] = model.Request{Title: "批量诉求 " + strconv.Itoa(i), Content: "内容", Category: "approval", EnterpriseID: ent,
				RegionCode: "330212", FiledBy: user, FilerRole: "enterprise", Status: "submitted",
				StepStartedAt: now, RoundStartedAt: now, CreatedAt: now, UpdatedAt: now, Version: 1}
		}
		if err := ts.db.CreateInBatches(rows, 500).Error; err != nil {
			t.Fatal(err)
		}
		res := ts.as(t, "acfic_yz", "GET", "/api/v1/requests/export.xlsx", nil).want(http.StatusOK)
		_, got := ledgerRows(t, res, "诉求台账", requestLedgerHeader)
		ids := ledgerIDs(got)
		if len(ids) != n {
			t.Fatalf("%d rows, want %d", len(ids), n)
		}
		prev := uint64(1 << 63)
		for _, s := range ids {
			id, _ := strconv.ParseUint(s, 10, 64)
			if id >= prev {
				t.Fatalf("ids not strictly newest first: %d after %d", id, prev)
			}
			prev = id
		}
	})
}

// TestConsoleLedgers: the list pages link their ledger under their filters,
// and the link answers the workbook the API gives.
func TestConsoleLedgers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		lzWorld(t, ts)
		acfic := ts.consoleAs(t, "acfic_hs")
		page := acfic.get("/requests?status=submitted&category=&q=").want(t, http.StatusOK)
		if !strings.Contains(page.body, `href="/requests/export.xlsx?status=submitted"`) {
			t.Fatalf("the request list does not link its ledger under its filter")
		}
		res := acfic.get("/requests/export.xlsx?status=submitted&category=").want(t, http.StatusOK)
		f, err := excelize.OpenReader(strings.NewReader(res.body))
		if err != nil {
			t.Fatalf("not a workbook: %v", err)
		}
		defer f.Close()
		rows, _ := f.GetRows("诉求台账")
		api := qaIDs(t, ts.as(t, "acfic_hs", "GET", "/api/v1/requests?status=submitted&page_size=100", nil).want(http.StatusOK))
		if len(rows)-1 != len(api) {
			t.Errorf("the console's ledger has %d rows, the API lists %d", len(rows)-1, len(api))
		}
		// Leads: inspectors see the link and get the ledger; a unit neither.
		insp := ts.consoleAs(t, "insp_hs")
		insp.get("/leads").want(t, http.StatusOK).wantText(t, `href="/leads/export.xlsx"`)
		insp.get("/leads/export.xlsx").want(t, http.StatusOK)
		dept := ts.consoleAs(t, "dept_hs_scjg")
		if strings.Contains(dept.get("/leads").want(t, http.StatusOK).body, "导出台账") {
			t.Error("a unit's lead page offers the lead ledger")
		}
		dept.get("/leads/export.xlsx").want(t, http.StatusForbidden)
	})
}
