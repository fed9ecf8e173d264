package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Repeats (重复诉求) and merge: GET /requests/{id}/similar offers the
// requests that may be the same matter; 工商联 merges a repeat into the
// request of the same enterprise that carries the matter on.

func fileText(t *testing.T, ts *testServer, user, title, content string) string {
	t.Helper()
	return ts.as(t, user, "POST", "/api/v1/requests", map[string]any{"title": title, "content": content, "category": "approval"}).
		want(http.StatusCreated).obj()["id"].(string)
}

func similarIDs(t *testing.T, ts *testServer, user, id string) ([]string, map[string]map[string]any) {
	t.Helper()
	res := ts.as(t, user, "GET", reqPath(id, "/similar"), nil).want(http.StatusOK).obj()
	var ids []string
	byID := map[string]map[string]any{}
	for _, x := range res["items"].([]any) {
		m := x.(map[string]any)
		ids = append(ids, m["id"].(string))
		byID[m["id"].(string)] = m
	}
	return ids, byID
}

func TestRepeatsAndMerge(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		a := fileText(t, ts, "ent_hs", "申请办理食品经营许可证延续", "我公司食品经营许可证将于下月到期，材料已备齐，请协助加快办理延续手续。")
		other := fileText(t, ts, "ent_hs", "申请办理建筑工程施工许可", "新厂房项目需要办理施工许可证，请协调住建部门。")
		yz := fileText(t, ts, "ent_yz", "申请办理食品经营许可证延续", "我公司食品经营许可证将于下月到期，请协助办理延续。")
		b := fileText(t, ts, "ent_hs", "食品经营许可证延续办理", "食品经营许可证下月到期，请尽快办理延续。")

		// The repeat finds the first filing, not the other matter, nor another
		// region's enterprise's; the enterprise sees the same of its own.
		for _, user := range []string{"acfic_hs", "acfic_city", "ent_hs"} {
			ids, byID := similarIDs(t, ts, user, b)
			if !slices.Equal(ids, []string{a}) {
				t.Errorf("%s: similar to b %v, want [a=%s] (other %s, 鄞州 %s)", user, ids, a, other, yz)
				continue
			}
			if m := byID[a]; m["same_enterprise"] != true || m["mergeable"] != true || m["score"].(float64) < 0.3 || m["status_label"] != "待受理" {
				t.Errorf("%s: candidate %v", user, m)
			}
		}
		ts.as(t, "ent_yz", "GET", reqPath(b, "/similar"), nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "admin", "GET", reqPath(b, "/similar"), nil).wantProblem(http.StatusForbidden, "forbidden")

		// Refusals change nothing.
		before := qaSnapshot(t, ts, b)
		for _, c := range []struct {
			user   string
			target string
			status int
			code   string
		}{
			{"acfic_hs", yz, http.StatusBadRequest, ""},       // not visible to 海曙's 工商联
			{"acfic_city", yz, http.StatusBadRequest, ""},     // another enterprise's
			{"acfic_hs", b, http.StatusBadRequest, ""},        // itself
			{"acfic_hs", "999999", http.StatusBadRequest, ""}, // no such request
			{"acfic_hs", "x1", http.StatusBadRequest, ""},     // not an id
			{"dept_hs_scjg", a, http.StatusForbidden, ""},     // a unit never merges
			{"ent_hs", a, http.StatusForbidden, ""},           // nor the enterprise
		} {
			res := ts.act(t, c.user, b, "merge", map[string]any{"target_id": c.target})
			if p := res.wantProblem(c.status, qaCodes[c.status]); c.status == http.StatusBadRequest {
				p.wantField(t, "target_id")
			}
		}
		if after := qaSnapshot(t, ts, b); after != before {
			t.Errorf("refused merges changed b: %+v → %+v", before, after)
		}
		aBefore := ts.as(t, "acfic_city", "GET", reqPath(a), nil).want(http.StatusOK).obj()

		// The merge: b closes as 已合并 into a; a's timeline names b.
		got := ts.act(t, "acfic_hs", b, "merge", map[string]any{"target_id": a, "note": "与先前提交的诉求重复"}).want(http.StatusOK).obj()
		if got["status"] != "merged" || got["status_label"] != "已合并" || got["merged_into"] != a || got["closed_at"] == nil || got["due_at"] != nil {
			t.Fatalf("merged request: %v", got)
		}
		aAfter := ts.as(t, "acfic_city", "GET", reqPath(a), nil).want(http.StatusOK).obj()
		if aAfter["version"].(float64) != aBefore["version"].(float64)+1 || aAfter["status"] != "submitted" {
			t.Errorf("a after the merge: %v", aAfter)
		}
		if p := dispatchOf(t, ts, a, "merged_from")["payload"].(map[string]any); p["source_id"] != b {
			t.Errorf("a's merged_from payload %v", p)
		}
		// The enterprise reads the merge in its request's timeline.
		ev := ts.as(t, "ent_hs", "GET", reqPath(b, "/events"), nil).want(http.StatusOK).obj()["items"].([]any)
		last := ev[len(ev)-1].(map[string]any)
		if last["action"] != "merge" || last["action_label"] != "合并重复诉求" || last["payload"].(map[string]any)["target_id"] != a {
			t.Errorf("b's last event %v", last)
		}
		// A merged request takes nothing more, and nothing merges into it.
		ts.act(t, "acfic_hs", b, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).
			wantProblem(http.StatusConflict, "invalid_transition")
		ts.act(t, "acfic_hs", other, "merge", map[string]any{"target_id": b}).wantProblem(http.StatusBadRequest, "validation_failed").
			wantField(t, "target_id")
		if _, byID := similarIDs(t, ts, "acfic_hs", other); byID[b] != nil && byID[b]["mergeable"] == true {
			t.Errorf("a merged request is offered as mergeable: %v", byID[b])
		}
		if a := ts.verify(t); !a.OK {
			t.Errorf("chains after the merge: %+v", a)
		}
	})
}

// TestMergeCountedOnce: the indicators count a merged repeat once, as the
// request it went into.
func TestMergeCountedOnce(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		a := fileText(t, ts, "ent_hs", "申请办理食品经营许可证延续", "许可证下月到期。")
		b := fileText(t, ts, "ent_hs", "食品经营许可证延续", "许可证下月到期，请办理。")
		for _, id := range []string{a, b} {
			ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		}
		ts.act(t, "acfic_hs", b, "merge", map[string]any{"target_id": a}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", a, "claim", nil).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", a, "respond", map[string]any{"response": "已办结延续。"}).want(http.StatusOK)
		ts.act(t, "ent_hs", a, "evaluate", map[string]any{"score": 5}).want(http.StatusOK)
		got := ts.as(t, "acfic_hs", "GET", "/api/v1/stats?region_code=330203&from=2026-11-01&to=2026-12-31", nil).want(http.StatusOK).obj()
		want := map[string][2]float64{"T02": {1, 1}, "T05": {1, 1}, "T06": {1, 1}}
		for _, x := range got["indicators"].([]any) {
			ind := x.(map[string]any)
			w, ok := want[ind["code"].(string)]
			if !ok {
				continue
			}
			delete(want, ind["code"].(string))
			if ind["numerator"] != w[0] || ind["denominator"] != w[1] {
				t.Errorf("%s (%s): %v/%v, want %v/%v (the merged repeat counted once)", ind["code"], ind["name"],
					ind["numerator"], ind["denominator"], w[0], w[1])
			}
		}
		if len(want) != 0 {
			t.Errorf("indicators missing: %v", want)
		}
	})
}

// TestConsoleRepeats: 工商联's request page lists the possible repeats with
// a button that merges; the enterprise's page shows where its request went.
func TestConsoleRepeats(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		a := fileText(t, ts, "ent_hs", "申请办理食品经营许可证延续", "我公司食品经营许可证将于下月到期，材料已备齐。")
		b := fileText(t, ts, "ent_hs", "食品经营许可证延续办理", "食品经营许可证下月到期，请尽快办理延续。")
		aRef := ts.as(t, "acfic_hs", "GET", reqPath(a), nil).want(http.StatusOK).obj()["ref_no"].(string)

		acfic := ts.consoleAs(t, "acfic_hs")
		acfic.get("/requests/"+b).want(t, http.StatusOK).wantText(t, "疑似重复诉求", aRef, "并入此诉求", "合并重复诉求")
		// The enterprise may not merge: no list, no button.
		ent := ts.consoleAs(t, "ent_hs")
		if body := ent.get("/requests/"+b).want(t, http.StatusOK).body; strings.Contains(body, "疑似重复诉求") || strings.Contains(body, "并入此诉求") {
			t.Error("the enterprise's page offers a merge")
		}
		acfic.post("/requests/"+b, url.Values{"action": {"merge"}, "target_id": {a}, "expected_version": {"1"}}).
			wantRedirect(t, "/requests/"+b+"?done=merge")
		ent.get("/requests/"+b).want(t, http.StatusOK).wantText(t, "已合并", "已合并至", aRef, "合并重复诉求")
		ent.get("/requests/"+a).want(t, http.StatusOK).wantText(t, "并入重复诉求")
	})
}
