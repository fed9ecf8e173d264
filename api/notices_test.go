package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"qinqing/model"
)

// Notices (站内通知) through the API: an account reads its own, newest
// first with the unread count, marks one or all read; another account's
// notice is not found; a notice with a dedup key is stored once.

func (ts *testServer) ntSend(t *testing.T, user, title, key string) {
	t.Helper()
	id, err := strconv.ParseUint(ts.ids["user_"+user], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	n := model.NewNotice{Kind: model.NoticeSubmissionDueSoon, Title: title, Body: "请按时报送。",
		ObjectKind: model.ObjectIndexPeriod, ObjectID: "2026-11", DedupKey: key}
	if _, err := ts.store.SendNotice(context.Background(), n, id); err != nil {
		t.Fatal(err)
	}
}

func TestNotices(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		empty := ts.as(t, "dept_hs_scjg", "GET", "/api/v1/me/notices", nil).want(http.StatusOK).obj()
		if len(empty["items"].([]any)) != 0 || empty["unread_count"].(float64) != 0 {
			t.Fatalf("a new account's notices: %v", empty)
		}
		for i, title := range []string{"第一条", "第二条", "第三条"} {
			ts.ntSend(t, "dept_hs_scjg", title, "")
			ts.clock.Advance(time.Second)
			_ = i
		}
		ts.ntSend(t, "dept_hs_scjg", "只发一次", "once-1")
		ts.ntSend(t, "dept_hs_scjg", "只发一次", "once-1")
		ts.ntSend(t, "dept_hs_sw", "别人的", "once-1")

		list := ts.as(t, "dept_hs_scjg", "GET", "/api/v1/me/notices?page_size=2", nil).want(http.StatusOK).obj()
		items := list["items"].([]any)
		if list["unread_count"].(float64) != 4 || len(items) != 2 || items[0].(map[string]any)["title"] != "只发一次" ||
			items[1].(map[string]any)["title"] != "第三条" {
			t.Fatalf("first page: %v", list)
		}
		first := items[0].(map[string]any)
		if first["read"] != false || first["read_at"] != nil || first["link"] != "/api/v1/index/periods/2026-11/submissions" ||
			first["kind_label"] != "指标报送即将截止" {
			t.Errorf("notice view: %v", first)
		}
		next := ts.as(t, "dept_hs_scjg", "GET", "/api/v1/me/notices?page_size=2&cursor="+list["next_cursor"].(string), nil).
			want(http.StatusOK).obj()
		if got := next["items"].([]any); len(got) != 2 || got[1].(map[string]any)["title"] != "第一条" || next["next_cursor"] != nil {
			t.Errorf("second page: %v", next)
		}

		// Marking read: once, keeping the first time.
		id := first["id"].(string)
		read := ts.as(t, "dept_hs_scjg", "POST", "/api/v1/me/notices/"+id+"/read", nil).want(http.StatusOK).obj()
		if read["read"] != true || read["read_at"] == nil {
			t.Fatalf("marked: %v", read)
		}
		ts.clock.Advance(time.Minute)
		again := ts.as(t, "dept_hs_scjg", "POST", "/api/v1/me/notices/"+id+"/read", nil).want(http.StatusOK).obj()
		if again["read_at"] != read["read_at"] {
			t.Errorf("read twice: read_at %v, then %v", read["read_at"], again["read_at"])
		}
		unread := ts.as(t, "dept_hs_scjg", "GET", "/api/v1/me/notices?unread=true", nil).want(http.StatusOK).obj()
		if len(unread["items"].([]any)) != 3 || unread["unread_count"].(float64) != 3 {
			t.Errorf("unread after one read: %v", unread)
		}

		// Another account's notice, a malformed id, a bad filter: refused, nothing changes.
		other := ts.as(t, "dept_hs_sw", "GET", "/api/v1/me/notices", nil).want(http.StatusOK).obj()
		otherID := other["items"].([]any)[0].(map[string]any)["id"].(string)
		ts.as(t, "dept_hs_scjg", "POST", "/api/v1/me/notices/"+otherID+"/read", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "dept_hs_scjg", "POST", "/api/v1/me/notices/x/read", nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "dept_hs_scjg", "GET", "/api/v1/me/notices?unread=maybe", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		ts.as(t, "dept_hs_scjg", "GET", "/api/v1/me/notices?kind=x", nil).wantProblem(http.StatusBadRequest, "validation_failed")
		if o := ts.as(t, "dept_hs_sw", "GET", "/api/v1/me/notices", nil).want(http.StatusOK).obj(); o["unread_count"].(float64) != 1 {
			t.Errorf("the other account's notice changed: %v", o)
		}

		// Mark all.
		all := ts.as(t, "dept_hs_scjg", "POST", "/api/v1/me/notices/read-all", nil).want(http.StatusOK).obj()
		if all["marked"].(float64) != 3 {
			t.Errorf("read-all: %v", all)
		}
		if l := ts.as(t, "dept_hs_scjg", "GET", "/api/v1/me/notices", nil).want(http.StatusOK).obj(); l["unread_count"].(float64) != 0 ||
			len(l["items"].([]any)) != 4 {
			t.Errorf("after read-all: %v", l)
		}
	})
}
