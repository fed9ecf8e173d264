package api_test

import (
	"net/http"
	"strings"
	"testing"

	"qinqing/configs"
)

// TestLeadCountsOnlyForInspectors: /stats gives the lead indicators
// (T10–T12, counts of leads) to inspectors only, and only for whole
// months; departments (a lead's subject among them) and 工商联 get the
// request indicators alone, and nobody gets lead counts for a day.
func TestLeadCountsOnlyForInspectors(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ts.fileLead(t, "station_hs", map[string]any{"subject_username": "dept_hs_scjg"})
		codes := func(user, query string) map[string]bool {
			var v struct {
				Indicators []struct {
					Code string `json:"code"`
				} `json:"indicators"`
			}
			ts.as(t, user, "GET", "/api/v1/stats?region_code=330203&"+query, nil).want(http.StatusOK).decode(&v)
			out := map[string]bool{}
			for _, i := range v.Indicators {
				out[i.Code] = true
			}
			return out
		}
		for _, c := range []struct {
			user, query string
			leads       bool
		}{
			{"insp_hs", "period=2026-11", true},
			{"insp_hs", "period=2026-Q4", true},
			{"insp_hs", "from=2026-11-01&to=2026-11-30", true},
			{"insp_hs", "from=2026-11-25&to=2026-11-25", false}, // one day
			{"dept_hs_scjg", "period=2026-11", false},           // the lead's subject
			{"dept_city_scjg", "period=2026-11", false},
			{"acfic_hs", "period=2026-11", false},
			{"acfic_city", "from=2026-11-25&to=2026-11-25", false},
		} {
			got := codes(c.user, c.query)
			if got["T10"] != c.leads || got["T11"] != c.leads || got["T12"] != c.leads {
				t.Errorf("%s %s: lead indicators shown %v, want %v", c.user, c.query, got["T10"], c.leads)
			}
			if !got["T01"] {
				t.Errorf("%s %s: no request indicators", c.user, c.query)
			}
		}
	})
}

// TestMetricsProtected: /metrics (request counts per route, leads overdue)
// answers a scraper on the host, or anyone with QINQING_METRICS_TOKEN;
// not a request forwarded by a proxy, and not without the token when one
// is configured.
func TestMetricsProtected(t *testing.T) {
	t.Parallel()
	const token = "metrics-token-0123456789abcdef-0123"
	t.Run("loopback only", func(t *testing.T) {
		eachDB(t, func(t *testing.T, ts *testServer) {
			ts.do(t, "", "GET", "/metrics", nil).want(http.StatusOK)
			ts.do(t, "", "GET", "/metrics", nil, "X-Forwarded-For", "203.0.113.7").wantProblem(http.StatusForbidden, "forbidden")
		})
	})
	t.Run("token", func(t *testing.T) {
		eachDBWith(t, func(c *configs.Config) { c.MetricsToken = token }, func(t *testing.T, ts *testServer) {
			ts.do(t, "", "GET", "/metrics", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
			ts.do(t, token+"x", "GET", "/metrics", nil).wantProblem(http.StatusUnauthorized, "unauthenticated")
			res := ts.do(t, token, "GET", "/metrics", nil).want(http.StatusOK)
			if !strings.Contains(string(res.body), "qinqing_http_requests_total") {
				t.Error("/metrics with the token has no request counter")
			}
		})
	})
}
