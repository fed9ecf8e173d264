package api_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"
)

// The 派单目录 (configs/dispatch.yaml): 工商联 is offered the catalogue's
// unit when it assigns, its choice is recorded against it, and a category
// marked auto is assigned by the system as it is filed.

// dispatchOf returns the payload of request id's newest event of action.
func dispatchOf(t *testing.T, ts *testServer, id, action string) map[string]any {
	t.Helper()
	ev := ts.as(t, "acfic_city", "GET", reqPath(id, "/events?page_size=100"), nil).want(http.StatusOK).obj()
	var found map[string]any
	for _, e := range ev["items"].([]any) {
		m := e.(map[string]any)
		if m["action"] == action {
			found = m
		}
	}
	if found == nil {
		t.Fatalf("request %s has no %s event", id, action)
	}
	return found
}

// assignItem is the assign entry of GET …/transitions as user.
func assignItem(t *testing.T, ts *testServer, user, id string) map[string]any {
	t.Helper()
	res := ts.as(t, user, "GET", reqPath(id, "/transitions"), nil).want(http.StatusOK).obj()
	for _, it := range res["items"].([]any) {
		if m := it.(map[string]any); m["action"] == "assign" {
			return m
		}
	}
	t.Fatalf("%s may not assign request %s: %v", user, id, res)
	return nil
}

func TestDispatchCatalogue(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		file := func(user, ent, category string) map[string]any {
			body := map[string]any{"title": "派单目录测试", "content": "内容", "category": category}
			if ent != "" {
				body["enterprise_id"] = ts.ids[ent]
			}
			return ts.as(t, user, "POST", "/api/v1/requests", body).want(http.StatusCreated).obj()
		}

		// 审批服务 in 集士港镇: the catalogue offers 市场监管 of its county, 海曙区.
		a := file("station_hs", "ent_hs_town", "approval")["id"].(string)
		want := map[string]string{"department_code": "scjg", "region_code": "330203"}
		for _, user := range []string{"acfic_hs", "acfic_city"} {
			item := assignItem(t, ts, user, a)
			got := map[string]string{}
			for k, v := range item["defaults"].(map[string]any) {
				got[k] = v.(string)
			}
			if !maps.Equal(got, want) {
				t.Errorf("%s is offered %v, want %v", user, got, want)
			}
		}
		ts.act(t, "acfic_hs", a, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		if p := dispatchOf(t, ts, a, "assign")["payload"].(map[string]any); p["dispatch"] != "followed" || p["suggested_department_code"] != nil {
			t.Errorf("followed assignment recorded as %v", p)
		}

		// Choosing another unit is allowed and recorded with what was offered.
		b := file("ent_hs", "", "approval")["id"].(string)
		ts.act(t, "acfic_hs", b, "assign", map[string]any{"department_code": "sw", "region_code": "330203"}).want(http.StatusOK)
		p := dispatchOf(t, ts, b, "assign")["payload"].(map[string]any)
		if p["dispatch"] != "overridden" || p["suggested_department_code"] != "scjg" || p["suggested_region_code"] != "330203" {
			t.Errorf("overridden assignment recorded as %v", p)
		}

		// 权益保护: the catalogue's entry for the whole city applies (the one
		// for 前湾新区 does not cover 鄞州).
		c := file("ent_yz", "", "rights")["id"].(string)
		if d := assignItem(t, ts, "acfic_yz", c)["defaults"].(map[string]any); d["department_code"] != "sfj" || d["region_code"] != "330212" {
			t.Errorf("rights in 鄞州: offered %v", d)
		}

		// 人才用工 is marked auto: filed already assigned to 人力社保 of 海曙区,
		// by the system, and that unit can sign for it at once.
		r := file("ent_hs", "", "talent")
		d := r["id"].(string)
		if r["status"] != "assigned" || r["department_code"] != "rsj" || r["unit_region_code"] != "330203" || r["step"] != "claim" {
			t.Fatalf("auto-dispatched request as filed: %v", r)
		}
		ev := dispatchOf(t, ts, d, "assign")
		if ev["actor_role"] != "system" || ev["payload"].(map[string]any)["dispatch"] != "auto" ||
			!strings.Contains(ev["payload"].(map[string]any)["note"].(string), "派单目录") {
			t.Errorf("auto assignment event %v", ev)
		}
		// Nothing is left for 工商联 to triage, and the timeline's chain holds.
		for _, it := range ts.as(t, "acfic_hs", "GET", reqPath(d, "/transitions"), nil).want(http.StatusOK).obj()["items"].([]any) {
			if a := it.(map[string]any)["action"]; a == "assign" || a == "reject" {
				t.Errorf("工商联 may still %v an auto-dispatched request", a)
			}
		}
		if a := ts.verify(t); !a.OK || a.FirstBroken != nil {
			t.Errorf("the chain does not hold after an auto-dispatch: %+v", a)
		}
	})
}
