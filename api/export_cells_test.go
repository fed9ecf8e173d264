package api_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// formulaTitles are request titles a spreadsheet would evaluate as
// formulas if written as they are.
var formulaTitles = []string{`=HYPERLINK("http://evil.example/","点击")`, "+1+1", "-2+3", "@SUM(A1:A9)"}

// TestDeadlineExportsNeutraliseFormulas: the deadline board's workbook,
// from the API and from the console, writes a title that starts with =, +,
// - or @ with a single quote in front (OWASP CSV injection).
func TestDeadlineExportsNeutraliseFormulas(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		for _, title := range formulaTitles {
			ts.as(t, "ent_hs", "POST", "/api/v1/requests", map[string]any{"title": title,
				"content": "许可证将于下月到期，材料已备齐。", "category": "approval"}).want(http.StatusCreated)
		}
		titles := func(what string, body []byte) []string {
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: the workbook does not open: %v", what, err)
			}
			defer f.Close()
			rows, err := f.GetRows("期限看板")
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rows[1:] {
				out = append(out, r[2])
			}
			return out
		}
		api := ts.as(t, "acfic_hs", "GET", "/api/v1/deadlines/export.xlsx", nil).want(http.StatusOK)
		con := ts.consoleAs(t, "acfic_hs").get("/deadlines/export.xlsx")
		if con.status != http.StatusOK {
			t.Fatalf("console export: %d", con.status)
		}
		for what, body := range map[string][]byte{"API": api.body, "console": []byte(con.body)} {
			got := titles(what, body)
			for _, title := range formulaTitles {
				if !slices.Contains(got, "'"+title) {
					t.Errorf("%s export: titles %q; want %q written as '%s", what, got, title, title)
				}
			}
		}
	})
}

// TestIndexExportsNeutraliseFormulas: the published index's CSV and XLSX
// write text cells through the same rule; an indicator named "=…" (the
// tree is 工商联's upload) appears quoted in the workbook's 两张清单, and no
// text cell of either export starts with a formula character.
func TestIndexExportsNeutraliseFormulas(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		const period = "2026-Q4"
		ixPublished(t, ts, period, "=民营经济增加值增速")
		csvRes := ts.do(t, "", "GET", "/api/v1/index/"+period+"/export.csv", nil).want(http.StatusOK)
		for _, line := range strings.Split(string(csvRes.body), "\r\n") {
			for _, cell := range strings.Split(line, ",") {
				cell = strings.TrimPrefix(cell, `"`)
				if cell != "" && strings.ContainsRune("=+@\t\r", rune(cell[0])) {
					t.Errorf("export.csv cell %q starts a formula", cell)
				}
			}
		}
		xlsx := ts.do(t, "", "GET", "/api/v1/index/"+period+"/export.xlsx", nil).want(http.StatusOK)
		f, err := excelize.OpenReader(bytes.NewReader(xlsx.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, _ := f.GetRows("两张清单")
		found := false
		for _, r := range rows {
			for _, c := range r {
				if c == "=民营经济增加值增速" {
					t.Errorf("两张清单 has the indicator name unquoted: %q", c)
				}
				found = found || c == "'=民营经济增加值增速"
			}
		}
		if !found {
			t.Errorf("两张清单 lacks the quoted indicator name; rows %q", rows)
		}
	})
}

// ixPublished publishes an index of period on the small tree whose leaf
// 1.1.1 is named name: 海曙 below 鄞州 on it, so that it is in 海曙's 问题整改清单.
func ixPublished(t *testing.T, ts *testServer, period, name string) {
	t.Helper()
	ts.seed(t)
	ts.as(t, "admin", "POST", "/api/v1/users", map[string]any{"username": "dept_city_tjj", "password": testPassword,
		"role": "department", "region_code": "330200", "department_code": "tjj"}).want(http.StatusCreated)
	tree := ixSmallTree("test-formula-1")
	tree["indicators"].([]any)[0].(map[string]any)["children"].([]map[string]any)[0]["children"].([]map[string]any)[0]["name"] = name
	ts.as(t, "acfic_city", "PUT", "/api/v1/indicators", tree).want(http.StatusOK)
	ts.as(t, "dept_city_tjj", "POST", "/api/v1/indicator-values", []map[string]any{
		{"indicator_code": "1.1.1", "region_code": "330203", "period": period, "value": 6},
		{"indicator_code": "1.1.1", "region_code": "330212", "period": period, "value": 8},
	}).want(http.StatusCreated)
	ts.ixConfirm(t, period)
	runs := "/api/v1/index/runs"
	id := ts.as(t, "acfic_city", "POST", runs, map[string]string{"period": period}).want(http.StatusCreated).obj()["id"].(string)
	ts.as(t, "acfic_city", "POST", runs+"/"+id+"/publish", nil).want(http.StatusOK)
}
