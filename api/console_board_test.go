package api_test

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// Handler tests of the deadline board (/deadlines, its XLSX export) and the
// statistics page (/stats): each answers every role as the API answers it
// (GET /api/v1/deadlines, /deadlines/export.xlsx, /stats), shows what the
// API lists in the API's order, and shows no confidential lead field.

// boardItem is an item of GET /api/v1/deadlines.
type boardItem struct {
	Kind, ID, RefNo, DueAt string
	Title                  *string
	Overdue                bool
}

// apiBoard is every item of the API's board for user under query.
func apiBoard(t *testing.T, ts *testServer, user, query string) []boardItem {
	t.Helper()
	var out []boardItem
	cursor := ""
	for {
		var v struct {
			Items []struct {
				Kind    string  `json:"kind"`
				ID      string  `json:"id"`
				RefNo   string  `json:"ref_no"`
				DueAt   string  `json:"due_at"`
				Title   *string `json:"title"`
				Overdue bool    `json:"overdue"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		ts.as(t, user, "GET", "/api/v1/deadlines?page_size=100"+query+cursor, nil).want(http.StatusOK).decode(&v)
		for _, it := range v.Items {
			out = append(out, boardItem{Kind: it.Kind, ID: it.ID, RefNo: it.RefNo, DueAt: it.DueAt, Title: it.Title, Overdue: it.Overdue})
		}
		if v.NextCursor == nil {
			return out
		}
		cursor = "&cursor=" + *v.NextCursor
	}
}

// boardLinks are the case pages the board links, in order (each once).
func boardLinks(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<td data-label="编号"><a href="(/(?:requests|leads)/\d+)">`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func itemPath(it boardItem) string {
	if it.Kind == "lead" {
		return "/leads/" + it.ID
	}
	return "/requests/" + it.ID
}

// tally is the count the board shows for a state (全部, 已超期, 即将到期, 未到期).
func tally(t *testing.T, body, label string) int {
	t.Helper()
	m := regexp.MustCompile(`<span class="n">(\d+)</span><span class="l">(?:<i class="dot" aria-hidden="true"></i>)?` + label + `</span>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the board shows no count for %s", label)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestConsoleBoardByRole: the board and its export answer each role and
// each query as the API does (200, 400, 403), and the menu and 我的待办
// offer the board to the roles the policy grants it.
func TestConsoleBoardByRole(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ts.fileRequest(t, "ent_hs", "")
		for _, u := range consoleUsers {
			cc := ts.consoleAs(t, u)
			sameAsAPI(t, ts, cc, u, []string{
				"/deadlines",
				"/deadlines?state=overdue&kind=request&region_code=330203&department_code=scjg",
				"/deadlines?state=late",
				"/deadlines?cursor=nope",
				"/deadlines/export.xlsx",
				"/deadlines/export.xlsx?kind=lead&state=due_soon",
				"/deadlines/export.xlsx?department_code=nope",
			})
			home := cc.get("/").want(t, http.StatusOK).body
			boardOK := ts.as(t, u, "GET", "/api/v1/deadlines", nil).status == http.StatusOK
			if strings.Contains(menuOf(home), `href="/deadlines"`) != boardOK || strings.Contains(home, `href="/deadlines?state=overdue"`) != boardOK {
				t.Errorf("%s: the menu or 我的待办 offers the board: %v, the API allows it: %v", u, !boardOK, boardOK)
			}
		}
	})
}

// consoleUsers are the fixture accounts of every role and level.
var consoleUsers = []string{"ent_hs", "ent_hs_town", "ent_yz", "station_hs", "station_yz", "acfic_city", "acfic_hs", "acfic_yz",
	"dept_hs_scjg", "dept_hs_sw", "dept_yz_scjg", "dept_city_scjg", "insp_city", "insp_hs", "insp_yz", "admin", "admin_hs"}

// sameAsAPI checks that each console page answers user with the status
// the API gives the same query (the page's path under /api/v1): 403 and
// 400 as the console's error pages, 400 naming the field.
func sameAsAPI(t *testing.T, ts *testServer, cc *consoleClient, user string, pages []string) {
	t.Helper()
	for _, page := range pages {
		want := ts.as(t, user, "GET", "/api/v1"+page, nil).status
		got := cc.get(page)
		if got.status != want {
			t.Errorf("%s: GET %s %d, the API answers %d; %.300s", user, page, got.status, want, got.body)
		}
		switch got.status {
		case http.StatusOK:
			if strings.HasSuffix(strings.SplitN(page, "?", 2)[0], ".xlsx") {
				if ct := got.header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
					t.Errorf("%s: GET %s answers %s", user, page, ct)
				}
			}
		case http.StatusForbidden:
			got.wantText(t, "无权访问", "当前角色无权执行此操作")
		case http.StatusBadRequest: // the field named
			got.wantText(t, "<b>")
		}
	}
}

// menuOf is the menu of a page.
func menuOf(body string) string {
	menu := body[strings.Index(body, `class="menu"`):]
	return menu[:strings.Index(menu, "</nav>")]
}

// TestConsoleDeadlineBoard: each role's board lists what the API lists, in
// its order, with the counts by state, deadlines worded with their basis
// and mark, links to the cases, its paging and filters — and a lead only by
// reference and deadline.
func TestConsoleDeadlineBoard(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		var hs []string
		for range 3 {
			hs = append(hs, ts.fileRequest(t, "ent_hs", "")["id"].(string))
		}
		yz := ts.fileRequest(t, "ent_yz", "")["id"].(string)
		lead := ts.fileLead(t, "station_hs", nil)
		leadID := lead["id"].(string)
		ts.leadAct(t, "insp_hs", leadID, "register", nil).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", leadID, "investigate", map[string]any{"notes": "调取窗口受理记录"}).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", leadID, "decide", ldRectify("talk_reminder", 10)).want(http.StatusOK)
		// A week later the accept deadlines (1 working day) have passed.
		ts.clock.Advance(7 * 24 * time.Hour)
		ts.act(t, "acfic_hs", hs[0], "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		fresh := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		confidential := []string{ldBody(nil)["content"].(string), ldBody(nil)["subject_name"].(string),
			ldBody(nil)["evidence"].(string), "调取窗口受理记录", "经核实，窗口存在推诿拖延的苗头性问题", "海曙亲清家园"}

		for _, u := range []string{"acfic_city", "acfic_hs", "acfic_yz", "insp_city", "insp_hs", "dept_hs_scjg", "dept_hs_sw", "dept_city_scjg"} {
			api := apiBoard(t, ts, u, "")
			p := ts.consoleAs(t, u).get("/deadlines").want(t, http.StatusOK)
			var want []string
			for _, it := range api {
				want = append(want, itemPath(it))
			}
			if got := boardLinks(p.body); !slices.Equal(got, want) {
				t.Errorf("%s: the board lists %v, the API %v", u, got, want)
			}
			overdue := apiBoard(t, ts, u, "&state=overdue")
			soon := apiBoard(t, ts, u, "&state=due_soon")
			if n := tally(t, p.body, "全部"); n != len(api) {
				t.Errorf("%s: 全部 %d, the API lists %d", u, n, len(api))
			}
			if n := tally(t, p.body, "已超期"); n != len(overdue) {
				t.Errorf("%s: 已超期 %d, the API lists %d", u, n, len(overdue))
			}
			if n := tally(t, p.body, "即将到期"); n != len(soon) {
				t.Errorf("%s: 即将到期 %d, the API lists %d", u, n, len(soon))
			}
			if n := tally(t, p.body, "未到期"); n != len(api)-len(overdue)-len(soon) {
				t.Errorf("%s: 未到期 %d, want %d", u, n, len(api)-len(overdue)-len(soon))
			}
			p.wantNoText(t, confidential...)
		}

		// 工商联 of 海曙: its requests, the longest overdue first, red, in
		// working days; not 鄞州's; no kind filter (it sees no leads).
		p := ts.consoleAs(t, "acfic_hs").get("/deadlines").want(t, http.StatusOK).
			wantText(t, "due-red", "已超期", "工作日", "/requests/"+fresh+`"`, "海曙区 市场监管局", "导出 Excel").
			wantNoText(t, "/requests/"+yz+`"`, `name="kind"`, "/leads/")
		if links := boardLinks(p.body); len(links) != 4 || links[len(links)-1] != "/requests/"+fresh {
			t.Errorf("acfic_hs: %v, want four requests, the new one (least urgent) last", links)
		}
		if tally(t, p.body, "已超期") != 2 {
			t.Errorf("acfic_hs: %d overdue, want 2 (the unassigned ones filed a week ago)", tally(t, p.body, "已超期"))
		}
		over := ts.consoleAs(t, "acfic_hs").get("/deadlines?state=overdue&kind=&region_code=").want(t, http.StatusOK)
		if links := boardLinks(over.body); !slices.Equal(links, []string{"/requests/" + hs[1], "/requests/" + hs[2]}) {
			t.Errorf("acfic_hs overdue: %v", links)
		}
		if !strings.Contains(over.body, `href="/deadlines/export.xlsx?state=overdue"`) {
			t.Error("the export link does not carry the board's filters")
		}
		ts.consoleAs(t, "acfic_city").get("/deadlines?region_code=330212").want(t, http.StatusOK).
			wantText(t, "/requests/"+yz+`"`).wantNoText(t, "/requests/"+fresh+`"`)
		ts.consoleAs(t, "acfic_city").get("/deadlines?department_code=scjg").want(t, http.StatusOK).
			wantText(t, "/requests/"+hs[0]+`"`).wantNoText(t, "/requests/"+fresh+`"`)

		// The inspector: requests and the lead, which links to its page and
		// shows no title; a kind filter.
		insp := ts.consoleAs(t, "insp_hs")
		insp.get("/deadlines").want(t, http.StatusOK).wantText(t, `name="kind"`, `href="/leads/`+leadID+`"`, lead["ref_no"].(string),
			"问题线索（内容保密）", "整改", "工作日")
		leads := insp.get("/deadlines?kind=lead").want(t, http.StatusOK)
		if links := boardLinks(leads.body); !slices.Equal(links, []string{"/leads/" + leadID}) {
			t.Errorf("insp_hs kind=lead: %v", links)
		}
		// The unit: its rectification task and its request, nothing of the
		// lead but its reference; another unit sees neither.
		ts.consoleAs(t, "dept_hs_scjg").get("/deadlines").want(t, http.StatusOK).
			wantText(t, `href="/leads/`+leadID+`"`, "/requests/"+hs[0]+`"`).wantNoText(t, `name="department_code"`)
		ts.consoleAs(t, "dept_hs_sw").get("/deadlines").want(t, http.StatusOK).
			wantText(t, "没有进行中的办理期限").wantNoText(t, "/leads/", "/requests/")

		// A refused filter is named in the form.
		ts.consoleAs(t, "acfic_hs").get("/deadlines?state=late").want(t, http.StatusBadRequest).wantText(t, "<b>期限状态</b>")

		// Paging: 20 a page, the API's cursor.
		for range 20 {
			ts.fileRequest(t, "ent_hs", "")
		}
		cc := ts.consoleAs(t, "acfic_hs")
		first := cc.get("/deadlines").want(t, http.StatusOK)
		api := apiBoard(t, ts, "acfic_hs", "")
		if got := boardLinks(first.body); len(got) != 20 || got[0] != itemPath(api[0]) {
			t.Fatalf("the first page lists %d, starting %v", len(got), got)
		}
		next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(first.body)
		if next == nil {
			t.Fatal("no next page")
		}
		second := cc.get(strings.ReplaceAll(next[1], "&amp;", "&")).want(t, http.StatusOK).wantText(t, "第一页")
		var rest []string
		for _, it := range api[20:] {
			rest = append(rest, itemPath(it))
		}
		if got := boardLinks(second.body); !slices.Equal(got, rest) {
			t.Errorf("the second page lists %v, the API %v", got, rest)
		}
	})
}

// TestConsoleDeadlineExport: the workbook holds the board under the page's
// filters — headers, one row per item in the API's order, deadlines as
// date cells in Beijing time, text typed by people as text (a title that
// starts with = is no formula) — and no confidential lead field. The API's
// route answers the same rows.
func TestConsoleDeadlineExport(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	titles := []string{`=HYPERLINK("http://evil.example/","点击查看")`, "+1+2", "-3+4", "@SUM(A1:A2)", "=1+2"}
	for _, title := range titles {
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", map[string]any{"title": title, "content": "内容", "category": "approval"}).
			want(http.StatusCreated)
	}
	lead := ts.fileLead(t, "station_hs", nil)
	ts.leadAct(t, "insp_hs", lead["id"].(string), "register", nil).want(http.StatusOK)
	ts.clock.Advance(7 * 24 * time.Hour)
	fresh := ts.fileRequest(t, "ent_hs", "")

	open := func(body []byte) *excelize.File {
		t.Helper()
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("the export is no workbook: %v", err)
		}
		t.Cleanup(func() { f.Close() })
		if got := f.GetSheetList(); !slices.Equal(got, []string{"期限看板", "说明"}) {
			t.Fatalf("sheets %v", got)
		}
		return f
	}
	header := []string{"编号", "类别", "标题", "状态", "环节", "区划", "承办单位", "办理期限", "计时方式", "剩余时间", "期限状态", "督办"}
	beijing := time.FixedZone("CST", 8*3600)

	res := ts.consoleAs(t, "acfic_hs").get("/deadlines/export.xlsx?state=overdue&kind=&region_code=330203").want(t, http.StatusOK)
	if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="qinqing-deadlines-`) ||
		!strings.Contains(cd, "filename*=UTF-8''") {
		t.Errorf("Content-Disposition %q", cd)
	}
	f := open([]byte(res.body))
	rows, err := f.GetRows("期限看板")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], header) {
		t.Errorf("header %v, want %v", rows[0], header)
	}
	api := apiBoard(t, ts, "acfic_hs", "&state=overdue&region_code=330203")
	if len(rows)-1 != len(api) || len(api) != len(titles) {
		t.Fatalf("%d rows, the API lists %d overdue (want %d)", len(rows)-1, len(api), len(titles))
	}
	for i, it := range api {
		r := rows[i+1]
		cell := func(col int) string { return r[col] }
		if cell(0) != it.RefNo || cell(2) != "'"+*it.Title { // every title here starts a formula: quoted
			t.Errorf("row %d: %v, the API's item %s %q", i+2, r, it.RefNo, *it.Title)
		}
		due, _ := time.Parse(time.RFC3339, it.DueAt)
		if want := due.In(beijing).Format("2006-01-02 15:04"); cell(7) != want {
			t.Errorf("row %d: 办理期限 %q, want %q (Beijing time)", i+2, cell(7), want)
		}
		if cell(1) != "诉求" || cell(3) != "待受理" || cell(4) != "受理" || cell(5) != "海曙区" || cell(8) != "工作日" ||
			!strings.HasPrefix(cell(9), "已超期 ") || cell(10) != "已超期" {
			t.Errorf("row %d: %v", i+2, r)
		}
		// Text stays text: an inline string, no formula.
		ref := "C" + strconv.Itoa(i+2)
		if fo, _ := f.GetCellFormula("期限看板", ref); fo != "" {
			t.Errorf("%s %q is a formula: %s", ref, cell(2), fo)
		}
		if ty, _ := f.GetCellType("期限看板", ref); ty != excelize.CellTypeInlineString {
			t.Errorf("%s %q has cell type %v, want an inline string", ref, cell(2), ty)
		}
		// The deadline is a date (a number with a date format), not text.
		hRef := "H" + strconv.Itoa(i+2)
		raw, _ := f.GetCellValue("期限看板", hRef, excelize.Options{RawCellValue: true})
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			t.Errorf("%s holds %q, not a date serial", hRef, raw)
		}
	}
	for _, title := range titles {
		if !slices.ContainsFunc(rows, func(r []string) bool { return len(r) > 2 && r[2] == "'"+title }) {
			t.Errorf("the title %q is not in the workbook quoted (CSV injection rule)", title)
		}
	}
	if slices.ContainsFunc(rows, func(r []string) bool { return r[0] == fresh["ref_no"] }) {
		t.Error("the overdue export holds a request that is not overdue")
	}
	about, _ := f.GetRows("说明")
	aboutText := ""
	for _, r := range about {
		aboutText += strings.Join(r, "=") + "\n"
	}
	for _, want := range []string{"期限状态=已超期", "区划=海曙区", "类别=全部", "其中已超期=5", "本表行数=5", "导出账号=acfic_hs"} {
		if !strings.Contains(aboutText, want) {
			t.Errorf("说明 lacks %q:\n%s", want, aboutText)
		}
	}

	// The API's route: the same rows; paging parameters are refused.
	apiRes := ts.as(t, "acfic_hs", "GET", "/api/v1/deadlines/export.xlsx?state=overdue&region_code=330203", nil).want(http.StatusOK)
	apiRows, _ := open(apiRes.body).GetRows("期限看板")
	if len(apiRows) != len(rows) || !slices.Equal(apiRows[1], rows[1]) {
		t.Errorf("the API's export differs from the console's: %v / %v", apiRows, rows)
	}
	ts.as(t, "acfic_hs", "GET", "/api/v1/deadlines/export.xlsx?cursor=abc", nil).wantProblem(http.StatusBadRequest, "validation_failed").
		wantField(t, "cursor")
	ts.as(t, "ent_hs", "GET", "/api/v1/deadlines/export.xlsx", nil).wantProblem(http.StatusForbidden, "forbidden")

	// The inspector's export has the lead, by reference and deadline only.
	f = open([]byte(ts.consoleAs(t, "insp_hs").get("/deadlines/export.xlsx").want(t, http.StatusOK).body))
	rows, _ = f.GetRows("期限看板")
	leadRow := slices.IndexFunc(rows, func(r []string) bool { return r[0] == lead["ref_no"] })
	if leadRow < 0 {
		t.Fatalf("the inspector's export lacks the lead %s", lead["ref_no"])
	}
	// Its decision is due a calendar month after the report.
	if r := rows[leadRow]; r[1] != "问题线索" || r[2] != "" || r[4] != "决策" || r[8] != "自然日" {
		t.Errorf("lead row %v", r)
	}
	for _, sheet := range f.GetSheetList() {
		rs, _ := f.GetRows(sheet)
		for _, r := range rs {
			for _, c := range r {
				for _, secret := range []string{ldBody(nil)["content"].(string), ldBody(nil)["subject_name"].(string),
					ldBody(nil)["evidence"].(string), "海曙亲清家园"} {
					if strings.Contains(c, secret) {
						t.Errorf("the export's %s shows %q", sheet, secret)
					}
				}
			}
		}
	}
}
