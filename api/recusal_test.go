package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestRecusalHoldsAfterFiling: the subject of a lead never sees it nor acts
// on it, checked at every read and action against the account as it is
// now: an account created after filing with the named username, an
// account renamed to it, a subject an inspector names after filing
// (set_subject, an event); and an inspector who declares a conflict (回避,
// recuse) no longer sees the lead.
func TestRecusalHoldsAfterFiling(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		listed := func(user, id string) bool {
			var v struct {
				Items []map[string]any `json:"items"`
			}
			ts.as(t, user, "GET", "/api/v1/leads?page_size=100", nil).want(http.StatusOK).decode(&v)
			return slices.ContainsFunc(v.Items, func(m map[string]any) bool { return m["id"] == id })
		}
		hidden := func(user, id, why string) {
			t.Helper()
			if st := ts.as(t, user, "GET", leadPath(id), nil).status; st != http.StatusNotFound {
				t.Errorf("%s: %s reads the lead: %d, want 404", why, user, st)
			}
			if listed(user, id) {
				t.Errorf("%s: %s lists the lead", why, user)
			}
			if st := ts.leadAct(t, user, id, "investigate", map[string]any{"notes": "查看"}).status; st != http.StatusNotFound {
				t.Errorf("%s: %s acts on the lead: %d, want 404", why, user, st)
			}
		}

		// 1. an account created after filing with the subject's username
		id := ts.fileLead(t, "station_hs", map[string]any{"subject_username": "Later_Official"})["id"].(string)
		ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK)
		ts.newAccount(t, "later_official", "inspector", "330203")
		hidden("later_official", id, "account created later")

		// 2. an account renamed to the subject's username
		id2 := ts.fileLead(t, "station_hs", map[string]any{"subject_username": "renamed_official"})["id"].(string)
		ts.leadAct(t, "insp_hs", id2, "register", nil).want(http.StatusOK)
		ts.newAccount(t, "old_name", "inspector", "330203")
		ts.login(t, "old_name")
		if err := ts.db.Exec("UPDATE accounts SET username = ? WHERE username = ?", "renamed_official", "old_name").Error; err != nil {
			t.Fatal(err)
		}
		ts.clock.Advance(2 * time.Second) // past the credential cache
		ts.mu.Lock()
		ts.tokens["renamed_official"] = ts.tokens["old_name"]
		ts.mu.Unlock()
		hidden("renamed_official", id2, "account renamed later")

		// 3. an inspector names the subject after filing: an action with an event
		ts.as(t, "insp_city", "GET", leadPath(id), nil).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", id, "set_subject", map[string]any{"subject_username": "insp_city", "note": "核实后确定"}).
			want(http.StatusOK)
		hidden("insp_city", id, "subject named after filing")
		var evs struct {
			Items []map[string]any `json:"items"`
		}
		ts.as(t, "insp_hs", "GET", leadPath(id, "/events"), nil).want(http.StatusOK).decode(&evs)
		if n := len(evs.Items); n == 0 || evs.Items[n-1]["action"] != "set_subject" {
			t.Errorf("timeline %v; want a set_subject event last", evs.Items)
		}
		// the subject changes: the new one is recused, the old one sees it again
		ts.leadAct(t, "insp_hs", id, "set_subject", map[string]any{"subject_username": "acfic_hs"}).want(http.StatusOK)
		ts.as(t, "insp_city", "GET", leadPath(id), nil).want(http.StatusOK)

		// 4. an inspector declares a conflict (回避)
		ts.leadAct(t, "insp_city", id2, "recuse", map[string]any{"reason": "与被反映人系同学"}).want(http.StatusOK)
		hidden("insp_city", id2, "declared a conflict")
		ts.as(t, "insp_hs", "GET", leadPath(id2), nil).want(http.StatusOK)
	})
}
