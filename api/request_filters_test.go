package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestRequestListFilters: the category and filing-date filters of GET
// /requests keep exactly the requests that match, for a regional reader
// and for the enterprise itself; dates are Beijing days, both ends
// included.
func TestRequestListFilters(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		file := func(category string) string {
			body := map[string]any{"title": "类别" + category, "content": "内容", "category": category}
			return ts.as(t, "ent_hs", "POST", "/api/v1/requests", body).want(http.StatusCreated).obj()["id"].(string)
		}
		// The harness clock starts on Wednesday 2026-11-25 10:00 Beijing time.
		a := file("approval") // 11-25
		b := file("policy")   // 11-25
		ts.clock.Advance(24 * time.Hour)
		c := file("approval") // 11-26
		ts.clock.Advance(24 * time.Hour)
		d := file("policy") // 11-27
		cases := []struct {
			query string
			want  []string
		}{
			{"category=approval", []string{c, a}},
			{"category=policy", []string{d, b}},
			{"from=2026-11-26", []string{d, c}},
			{"to=2026-11-25", []string{b, a}},
			{"from=2026-11-26&to=2026-11-26", []string{c}},
			{"from=2026-11-25&to=2026-11-27&category=policy", []string{d, b}},
			{"from=2026-11-28", nil},
			{"category=land", nil},
		}
		for _, user := range []string{"acfic_city", "acfic_hs", "insp_hs", "ent_hs"} {
			for _, c := range cases {
				got := qaIDs(t, ts.as(t, user, "GET", "/api/v1/requests?"+c.query, nil).want(http.StatusOK))
				if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
					t.Errorf("GET /requests?%s as %s: %v, want %v", c.query, user, got, c.want)
				}
			}
		}
		// A filter narrows what the caller may see, never widens it.
		if got := qaIDs(t, ts.as(t, "ent_yz", "GET", "/api/v1/requests?category=approval", nil).want(http.StatusOK)); len(got) != 0 {
			t.Errorf("another enterprise lists %v", got)
		}
	})
}
