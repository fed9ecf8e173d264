package api_test

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Handler tests of the statistics page (/stats): it answers every role as
// GET /api/v1/stats does, and shows the API's values and indicators.

// TestConsoleStatsByRole: the page answers each role and each query as the
// API does (200, 400, 403), and the menu offers it to the roles the policy
// grants it.
func TestConsoleStatsByRole(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ts.fileRequest(t, "ent_hs", "")
		for _, u := range consoleUsers {
			cc := ts.consoleAs(t, u)
			sameAsAPI(t, ts, cc, u, []string{
				"/stats?period=2026-Q4",
				"/stats?period=2026-11&region_code=330203",
				"/stats?period=2026-11&region_code=330212",
				"/stats?period=2026-13",
				"/stats?period=2026&region_code=999999",
			})
			// The page chooses a period itself (the current quarter); the
			// API asks for one.
			want := http.StatusOK
			if ts.as(t, u, "GET", "/api/v1/stats?period=2026-Q4", nil).status == http.StatusForbidden {
				want = http.StatusForbidden
			}
			if p := cc.get("/stats").want(t, want); want == http.StatusOK {
				p.wantText(t, "2026年第4季度", `<svg `)
			}
			if strings.Contains(menuOf(cc.get("/").body), `href="/stats"`) != (want == http.StatusOK) {
				t.Errorf("%s: the menu offers statistics: %v, the API allows them: %v", u, want != http.StatusOK, want == http.StatusOK)
			}
		}
	})
}

// chartSVGs are the inline charts of a page, each checked to be
// well-formed XML.
func chartSVGs(t *testing.T, body string) []string {
	t.Helper()
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(body, -1)
	for _, s := range svgs {
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("a chart is not well-formed XML: %v\n%s", err, s)
			}
		}
	}
	return svgs
}

// TestConsoleStats: the table and the charts show the values of GET
// /api/v1/stats for each region and month, the indicators the API shows
// the account and no others, and a region without cases as missing, not 0.
func TestConsoleStats(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		assign := map[string]any{"department_code": "scjg", "region_code": "330203"}
		ok := func(user, id, action string, f map[string]any) { ts.act(t, user, id, action, f).want(http.StatusOK) }
		for i := range 3 {
			id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
			ok("acfic_hs", id, "assign", assign)
			ok("dept_hs_scjg", id, "claim", nil)
			ts.clock.Advance(time.Duration(i+1) * time.Hour)
			ok("dept_hs_scjg", id, "respond", map[string]any{"response": "已办理"})
			ok("ent_hs", id, "evaluate", map[string]any{"score": 5 - 2*i})
		}
		late := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.clock.Advance(5 * 24 * time.Hour)
		ok("acfic_hs", late, "reject", map[string]any{"reason": "不属于受理范围"})

		apiStats := func(user, query string) map[string]*float64 {
			t.Helper()
			var v struct {
				Indicators []struct {
					Code  string   `json:"code"`
					Value *float64 `json:"value"`
				} `json:"indicators"`
			}
			ts.as(t, user, "GET", "/api/v1/stats?"+query, nil).want(http.StatusOK).decode(&v)
			out := map[string]*float64{}
			for _, ind := range v.Indicators {
				out[ind.Code] = ind.Value
			}
			return out
		}

		// Each role sees the indicators the API gives it, no others.
		for _, u := range []string{"acfic_city", "insp_city", "dept_city_scjg", "acfic_hs"} {
			p := ts.consoleAs(t, u).get("/stats?period=2026-11").want(t, http.StatusOK)
			var shown []string
			for _, m := range regexp.MustCompile(`<div class="sub">(T\d\d) · `).FindAllStringSubmatch(p.body, -1) {
				shown = append(shown, m[1])
			}
			var want []string
			for code := range apiStats(u, "period=2026-11") {
				want = append(want, code)
			}
			slices.Sort(want)
			if !slices.Equal(shown, want) {
				t.Errorf("%s: the table shows %v, the API %v", u, shown, want)
			}
		}

		cc := ts.consoleAs(t, "acfic_city")
		p := cc.get("/stats?period=2026-11&indicator=T06").want(t, http.StatusOK).wantText(t, "宁波市（合计）", "海曙区", "鄞州区", "满意率")
		svgs := chartSVGs(t, p.body)
		if len(svgs) != 2 {
			t.Fatalf("%d charts, want 2 (regions, months)", len(svgs))
		}
		for _, s := range svgs {
			if !strings.Contains(s, `role="img"`) || !strings.Contains(s, "<title id=") || !strings.Contains(s, "<desc id=") {
				t.Errorf("a chart without its role, title or description: %.200s", s)
			}
		}
		// The regions: 海曙's bar has the API's value; 鄞州 (no cases) is
		// missing, not 0.
		hs := apiStats("acfic_city", "period=2026-11&region_code=330203")["T06"]
		if hs == nil {
			t.Fatal("the API has no 满意率 for 海曙")
		}
		bar := regexp.MustCompile(`<g class="row"><title>海曙区：[^<]*</title>.*?data-value="([^"]+)"`).FindStringSubmatch(svgs[0])
		if bar == nil {
			t.Fatalf("no bar for 海曙区: %s", svgs[0])
		}
		if v, _ := strconv.ParseFloat(bar[1], 64); v != *hs {
			t.Errorf("海曙区's bar %v, the API's 满意率 %v", v, *hs)
		}
		yz := regexp.MustCompile(`<g class="row"><title>鄞州区：[^<]*</title>(.*?)</g>`).FindStringSubmatch(svgs[0])
		if yz == nil || !strings.Contains(yz[1], "无数据") || strings.Contains(yz[1], `class="bar`) {
			t.Errorf("鄞州区 (no cases) is not drawn as missing: %v", yz)
		}
		if apiStats("acfic_city", "period=2026-11&region_code=330212")["T06"] != nil {
			t.Error("the API has a 满意率 for 鄞州, which has no cases")
		}
		// The table: 海曙's value, 鄞州's dash.
		row := regexp.MustCompile(`(?s)<th scope="row">鄞州区</th>(.*?)</tr>`).FindStringSubmatch(p.body)
		// every rate is missing; the count of meetings (T15, the last column) is 0
		if row == nil || strings.Count(row[1], `class="num missing"`) != strings.Count(row[1], "<td")-1 ||
			!strings.Contains(row[1], `<td class="num" title="共 0 次">0</td>`) {
			t.Errorf("鄞州区's row is not all missing but its count of meetings: %v", row)
		}

		// The months of 海曙: twelve, ending with the period's; November's
		// bar is the API's value for November, October has no cases.
		p = cc.get("/stats?period=2026-11&region_code=330203&indicator=T06").want(t, http.StatusOK)
		trend := chartSVGs(t, p.body)[1]
		if n := strings.Count(trend, `<g class="col">`); n != 12 {
			t.Errorf("the trend has %d months, want 12", n)
		}
		nov := regexp.MustCompile(`<title>2026年11月：[^<]*</title>.*?data-value="([^"]+)"`).FindStringSubmatch(trend)
		if nov == nil {
			t.Fatalf("no bar for 2026年11月: %s", trend)
		}
		if v, _ := strconv.ParseFloat(nov[1], 64); v != *hs {
			t.Errorf("November's bar %v, the API's %v", v, *hs)
		}
		if oct := regexp.MustCompile(`<title>2026年10月：无数据`).FindString(trend); oct == "" {
			t.Error("October (no cases) is not drawn as missing")
		}
		if !strings.Contains(trend, "<title>2025年12月：") {
			t.Error("the trend does not start 12 months before the period's end")
		}

		// A refused query is named in the form.
		cc.get("/stats?period=2026-13").want(t, http.StatusBadRequest).wantText(t, "<b>期间</b>")
		cc.get("/stats?indicator=T99").want(t, http.StatusBadRequest).wantText(t, "<b>指标</b>")
		cc.get("/stats?from=2026-01-01").want(t, http.StatusBadRequest)
	})
}
