package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"qinqing/configs"
)

// TestAnonymousReportUnlinkable: an enterprise files a request and, in the
// same second, reports a lead anonymously; a station reports named leads
// just before and after. From what an inspector of the district can read
// (the request's and the leads' details and timelines, the lead list), the
// anonymous report cannot be placed next to the enterprise's request: its
// time is the day only, event ids are opaque (not one sequence), and its
// lead id is not between the named leads filed around it. Webhooks get no
// delivery for the anonymous report (their order would date it).
func TestAnonymousReportUnlinkable(t *testing.T) {
	t.Parallel()
	hook := func(c *configs.Config) {
		c.Webhooks = []configs.Webhook{{URL: "http://127.0.0.1:9/hook", Secret: "s3cret-webhook-key"}}
	}
	eachDBWith(t, hook, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		before := ts.fileLead(t, "station_hs", nil)["id"].(string)
		ts.clock.Advance(time.Minute)
		req := ts.fileRequest(t, "ent_hs", "")
		anon := ts.fileLead(t, "ent_hs", map[string]any{"anonymous": true})["id"].(string)
		ts.clock.Advance(time.Minute)
		after := ts.fileLead(t, "station_hs", nil)["id"].(string)

		// times: the request's second is exact, the anonymous report's is the day
		reqAt := ts.as(t, "insp_hs", "GET", "/api/v1/requests/"+req["id"].(string), nil).want(http.StatusOK).obj()["created_at"].(string)
		lead := ts.as(t, "insp_hs", "GET", leadPath(anon), nil).want(http.StatusOK).obj()
		if lead["created_at"] == reqAt || lead["created_at"] != "2026-11-25T00:00:00+08:00" {
			t.Errorf("anonymous lead created_at %v, request created_at %s; want the day only (2026-11-25T00:00:00+08:00)", lead["created_at"], reqAt)
		}
		events := func(path string) []map[string]any {
			var v struct {
				Items []map[string]any `json:"items"`
			}
			ts.as(t, "insp_hs", "GET", path, nil).want(http.StatusOK).decode(&v)
			return v.Items
		}
		levs := events(leadPath(anon, "/events"))
		if len(levs) != 1 || levs[0]["at"] != "2026-11-25T00:00:00+08:00" {
			t.Errorf("anonymous report event %v; want one event at the day only", levs)
		}
		// event ids: not one sequence over requests and leads
		for _, re := range events("/api/v1/requests/" + req["id"].(string) + "/events") {
			for _, le := range levs {
				r, err1 := strconv.ParseUint(re["id"].(string), 10, 64)
				l, err2 := strconv.ParseUint(le["id"].(string), 10, 64)
				if err1 == nil && err2 == nil && (l == r+1 || l == r-1) {
					t.Errorf("request event %d and anonymous report event %d are neighbours in one sequence", r, l)
				}
			}
		}
		// lead ids: the anonymous lead is not placed between the named ones
		b, _ := strconv.ParseUint(before, 10, 64)
		a, _ := strconv.ParseUint(anon, 10, 64)
		f, _ := strconv.ParseUint(after, 10, 64)
		if b < a && a < f {
			t.Errorf("anonymous lead id %d lies between the named leads filed before (%d) and after (%d)", a, b, f)
		}
		var list struct {
			Items []map[string]any `json:"items"`
		}
		ts.as(t, "insp_hs", "GET", "/api/v1/leads", nil).want(http.StatusOK).decode(&list)
		pos := map[string]int{}
		for i, it := range list.Items {
			pos[it["id"].(string)] = i
		}
		if pa, pb, pf := pos[anon], pos[before], pos[after]; (pf < pa && pa < pb) || (pb < pa && pa < pf) {
			t.Errorf("the lead list places the anonymous lead between the named leads filed around it: %v", pos)
		}
		var reports int64
		ts.db.Table("webhook_deliveries").Where("event_type = ?", "lead.report").Count(&reports)
		if reports != 2 {
			t.Errorf("%d webhook deliveries of lead reports; want 2 (the named ones only)", reports)
		}
	})
}
