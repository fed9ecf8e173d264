package api_test

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"qinqing/model"
)

// Confidentiality of leads (docs/design.md#lead-loop), from every role's point of view:
// which keys each role's JSON holds, that the secret texts never reach the
// wrong body, anonymity, recusal of the subject, and the record of reads.

// Secret texts planted in the lead, to be searched for in raw bodies.
const (
	cfContent    = "窗口人员索要购物卡🎁𠮷"
	cfEvidence   = "聊天记录截图三张"
	cfSubject    = "海曙区市场监管局王某"
	cfNotes      = "调查核实：王某承认收受购物卡"
	cfAssessment = "评估：属实，情节较轻"
	cfReport     = "整改报告：已退还并作出书面检查"
)

// The key sets of docs/design.md#lead-loop as this service shows them (README, "Leads").
var (
	cfHeaderKeys   = []string{"id", "ref_no", "status", "status_label", "version", "created_at", "updated_at", "closed_at"}
	cfDeadlineKeys = []string{"step", "due_at", "overdue", "remaining", "remaining_seconds"}
	cfInspectorAll = []string{"anonymous", "region_code", "disposal", "disposal_label",
		"content", "evidence", "occurred_at", "enterprise_id", "subject_department_code", "subject_name", "subject_username",
		"subject_account_id", "rule_code", "evidence_files", "reporter", "feedback_due_at", "feedback", "assessment", "investigation_notes", "transfer_to",
		"grounds", "proposal", "inquiry", "rectification"}
)

func cfKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

func cfUnion(sets ...[]string) []string {
	var out []string
	for _, s := range sets {
		out = append(out, s...)
	}
	slices.Sort(out)
	return out
}

// cfRectifying reports a lead as station_hs about ent_hs, named, and takes
// it to rectification by 市场监管@海曙 with every secret text planted.
func cfRectifying(t testing.TB, ts *testServer) string {
	t.Helper()
	id := ts.fileLead(t, "station_hs", map[string]any{"content": cfContent, "evidence": cfEvidence, "subject_name": cfSubject,
		"enterprise_id": ts.ids["ent_hs"]})["id"].(string)
	ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK)
	ts.leadAct(t, "insp_hs", id, "investigate", map[string]any{"notes": cfNotes}).want(http.StatusOK)
	b := ldRectify("talk_reminder", 10)
	b["assessment"] = cfAssessment
	ts.leadAct(t, "insp_hs", id, "decide", b).want(http.StatusOK)
	return id
}

// TestLeadFieldsByRole: the keys of GET /leads/{id} for every account that
// may see the lead, and 404 or 403 for every other.
func TestLeadFieldsByRole(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := cfRectifying(t, ts)
		ts.leadAct(t, "dept_hs_scjg", id, "complete_rectification", map[string]any{"report": cfReport}).want(http.StatusOK)
		reporterKeys := cfUnion(cfHeaderKeys, []string{"anonymous"})
		deptKeys := cfUnion(cfHeaderKeys, cfDeadlineKeys, []string{"rectification"})
		inspKeys := cfUnion(cfHeaderKeys, cfDeadlineKeys, cfInspectorAll)
		cases := []struct {
			user   string
			status int
			keys   []string
		}{
			{"station_hs", 200, reporterKeys},
			{"dept_hs_scjg", 200, deptKeys},
			{"dept_city_scjg", 404, nil}, // a district unit's task: only that unit sees it
			{"insp_hs", 200, inspKeys},
			{"insp_city", 200, inspKeys},
			{"station_yz", 404, nil},
			{"ent_hs", 404, nil}, // the enterprise concerned did not report it
			{"ent_hs_town", 404, nil},
			{"ent_yz", 404, nil},
			{"dept_hs_sw", 404, nil},
			{"dept_yz_scjg", 404, nil},
			{"insp_yz", 404, nil},
			{"acfic_city", 403, nil},
			{"acfic_hs", 403, nil},
			{"admin", 403, nil},
			{"admin_hs", 403, nil},
		}
		for _, c := range cases {
			res := ts.as(t, c.user, "GET", leadPath(id), nil)
			if !qaExpect(t, res, c.status, "", "GET lead as "+c.user) || c.status != 200 {
				continue
			}
			got := res.obj()
			if keys := cfKeys(got); !slices.Equal(keys, c.keys) {
				t.Errorf("%s sees keys\n %v\nwant\n %v", c.user, keys, c.keys)
			}
			raw := string(res.body)
			switch {
			case strings.HasPrefix(c.user, "station"):
				for _, secret := range []string{cfContent, cfEvidence, cfSubject, cfNotes, cfAssessment, cfReport, "talk_reminder", "scjg", "N06"} {
					if strings.Contains(raw, secret) {
						t.Errorf("the station's JSON holds %q: %s", secret, raw)
					}
				}
			case strings.HasPrefix(c.user, "dept"):
				for _, secret := range []string{cfContent, cfEvidence, cfSubject, cfNotes, cfAssessment, "talk_reminder",
					`"reporter"`, "station_hs", `"account_id"`, "海曙亲清家园"} {
					if strings.Contains(raw, secret) {
						t.Errorf("the department's JSON holds %q: %s", secret, raw)
					}
				}
				r := got["rectification"].(map[string]any)
				if r["report"] != cfReport || r["department_code"] != "scjg" || r["rule_code"] != "N06" || r["rule_title"] == nil {
					t.Errorf("the department's task: %v", r)
				}
			case strings.HasPrefix(c.user, "insp"):
				rep := got["reporter"].(map[string]any)
				if rep["account_id"] != ts.ids["user_station_hs"] || rep["username"] != "station_hs" || rep["role"] != "station" ||
					rep["station_id"] != ts.ids["station_hs"] {
					t.Errorf("reporter for %s: %v", c.user, rep)
				}
				if got["content"] != cfContent || got["subject_name"] != cfSubject || got["assessment"] != cfAssessment ||
					got["enterprise_id"] != ts.ids["ent_hs"] || got["anonymous"] != false {
					t.Errorf("inspector %s view: %v", c.user, got)
				}
				notes := got["investigation_notes"].([]any)
				if len(notes) != 1 || notes[0].(map[string]any)["notes"] != cfNotes {
					t.Errorf("notes: %v", notes)
				}
			}
		}
		// The same groups in the answers to actions: the unit's answer to its
		// own action holds no reporter and no investigation.
		id2 := cfRectifying(t, ts)
		res := ts.leadAct(t, "dept_hs_scjg", id2, "complete_rectification", map[string]any{"report": cfReport}).want(http.StatusOK)
		if keys := cfKeys(res.obj()); !slices.Equal(keys, deptKeys) {
			t.Errorf("the department's transition answer has keys %v, want %v", keys, deptKeys)
		}
		for _, secret := range []string{cfContent, cfNotes, cfAssessment, "station_hs"} {
			if strings.Contains(string(res.body), secret) {
				t.Errorf("the department's transition answer holds %q", secret)
			}
		}
	})
}

// TestLeadListFields: list items carry no confidential text for anyone.
func TestLeadListFields(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		cfRectifying(t, ts)
		cases := []struct {
			user string
			keys []string
		}{
			{"station_hs", cfUnion(cfHeaderKeys, []string{"anonymous"})},
			{"dept_hs_scjg", cfUnion(cfHeaderKeys, cfDeadlineKeys)},
			{"insp_hs", cfUnion(cfHeaderKeys, cfDeadlineKeys, []string{"anonymous", "region_code", "disposal", "disposal_label"})},
		}
		for _, c := range cases {
			res := ts.as(t, c.user, "GET", "/api/v1/leads", nil).want(http.StatusOK)
			var v struct {
				Items []map[string]any `json:"items"`
			}
			res.decode(&v)
			if len(v.Items) != 1 {
				t.Fatalf("%s lists %d leads", c.user, len(v.Items))
			}
			if keys := cfKeys(v.Items[0]); !slices.Equal(keys, c.keys) {
				t.Errorf("%s's list item has keys %v, want %v", c.user, keys, c.keys)
			}
			for _, secret := range []string{cfContent, cfEvidence, cfSubject, cfNotes, cfAssessment, "station_hs"} {
				if strings.Contains(string(res.body), secret) {
					t.Errorf("%s's list holds %q", c.user, secret)
				}
			}
		}
	})
}

// TestLeadAnonymous: an anonymous report stores nothing that identifies the
// reporter, no one learns the account from the API, and the reporter follows
// the status with its receipt.
func TestLeadAnonymous(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		for _, reporter := range []string{"ent_hs", "station_hs"} {
			t.Run(reporter, func(t *testing.T) {
				res := ts.as(t, reporter, "POST", "/api/v1/leads", ldBody(map[string]any{"anonymous": true})).want(http.StatusCreated)
				if res.header.Get("Location") != "" {
					t.Errorf("anonymous filing answered Location %q", res.header.Get("Location"))
				}
				created := res.obj()
				id, receipt := created["id"].(string), created["receipt"].(string)
				if !strings.HasPrefix(receipt, "XSQ-") || created["anonymous"] != true || created["status"] != "reported" {
					t.Fatalf("anonymous filing: %v", created)
				}
				// Nothing in the row or the report event points at the reporter.
				var row model.Lead
				if err := ts.db.Take(&row, cfID(t, id)).Error; err != nil {
					t.Fatal(err)
				}
				if row.ReporterAccountID != nil || row.StationID != nil || row.ReporterRole != "" || row.EnterpriseID != nil ||
					row.ReceiptHash == nil || len(*row.ReceiptHash) != 64 || strings.Contains(receipt, *row.ReceiptHash) {
					t.Errorf("stored reporter data: %+v", row)
				}
				var ev model.Event
				if err := ts.db.Where("case_kind = ? AND case_id = ?", "lead", cfID(t, id)).Take(&ev).Error; err != nil {
					t.Fatal(err)
				}
				if ev.ActorID != 0 || ev.ActorRole != "anonymous" {
					t.Errorf("report event actor %d %s", ev.ActorID, ev.ActorRole)
				}
				// The inspector sees that it is anonymous, and no reporter.
				insp := ldGet(t, ts, "insp_hs", id)
				if insp["anonymous"] != true || insp["reporter"] != nil || insp["feedback_due_at"] != nil || insp["enterprise_id"] != nil {
					t.Errorf("inspector's view of an anonymous lead: %v", insp)
				}
				acct := ts.ids["user_"+reporter]
				for _, path := range []string{leadPath(id), leadPath(id, "/events"), leadPath(id, "/reads"), "/api/v1/leads"} {
					for _, insp := range []string{"insp_hs", "insp_city"} {
						body := string(ts.as(t, insp, "GET", path, nil).want(http.StatusOK).body)
						if strings.Contains(body, `"account_id":"`+acct+`"`) || strings.Contains(body, `"actor_id":"`+acct+`"`) ||
							strings.Contains(body, reporter) {
							t.Errorf("GET %s as %s names the reporter: %s", path, insp, body)
						}
					}
				}
				// The reporter does not find it by id or in its list…
				ts.as(t, reporter, "GET", leadPath(id), nil).wantProblem(http.StatusNotFound, "not_found")
				ts.as(t, reporter, "GET", leadPath(id, "/transitions"), nil).wantProblem(http.StatusNotFound, "not_found")
				if ids := qaIDs(t, ts.as(t, reporter, "GET", "/api/v1/leads", nil).want(http.StatusOK)); slices.Contains(ids, id) {
					t.Errorf("%s lists its anonymous lead", reporter)
				}
				// …but follows its status with the receipt, however it types it.
				ts.leadAct(t, "insp_hs", id, "register", nil).want(http.StatusOK)
				typed := strings.ToLower(strings.ReplaceAll(receipt, "-", ""))
				for _, r := range []string{receipt, typed, " " + strings.ReplaceAll(receipt, "-", " ") + " "} {
					got := ts.as(t, reporter, "POST", "/api/v1/leads/lookup", map[string]any{"receipt": r}).want(http.StatusOK).obj()
					if got["id"] != id || got["status"] != "registered" || got["anonymous"] != true {
						t.Errorf("lookup %q: %v", r, got)
					}
					if keys := cfKeys(got); !slices.Equal(keys, cfUnion(cfHeaderKeys, []string{"anonymous"})) {
						t.Errorf("lookup shows keys %v", keys)
					}
				}
				// A wrong receipt, a reporter elsewhere and the officials find nothing.
				lookup := func(user, r string, status int) {
					t.Helper()
					qaExpect(t, ts.as(t, user, "POST", "/api/v1/leads/lookup", map[string]any{"receipt": r}), status, "",
						"lookup as "+user)
				}
				lookup(reporter, "XSQ-0000-0000-0000-0000-0000-0000", http.StatusNotFound)
				lookup(reporter, receipt[:len(receipt)-1], http.StatusNotFound)
				lookup("ent_yz", receipt, http.StatusNotFound)
				lookup("station_yz", receipt, http.StatusNotFound)
				lookup("insp_hs", receipt, http.StatusForbidden)
				lookup("dept_hs_scjg", receipt, http.StatusForbidden)
				lookup("admin", receipt, http.StatusForbidden)
				qaExpect(t, ts.as(t, reporter, "POST", "/api/v1/leads/lookup", map[string]any{"receipt": ""}), 400, "", "empty receipt")
				qaExpect(t, ts.as(t, reporter, "POST", "/api/v1/leads/lookup", map[string]any{"receipt": receipt, "id": id}), 400, "",
					"lookup with an id")
				// The lookups are not reads of the detail.
				reads := ts.as(t, "insp_city", "GET", leadPath(id, "/reads?page_size=100"), nil).want(http.StatusOK)
				for _, r := range cfReads(t, reads) {
					if r.Role == "enterprise" || r.Role == "station" {
						t.Errorf("a reporter's read is recorded: %+v", r)
					}
				}
			})
		}
		// No idempotency row ties an account to a lead.
		var n int64
		if err := ts.db.Model(&model.IdempotencyKey{}).Count(&n).Error; err != nil || n != 0 {
			t.Errorf("idempotency rows: %d, %v", n, err)
		}
	})
}

func cfID(t testing.TB, id string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type cfRead struct {
	AccountID string `json:"account_id"`
	Username  string `json:"username"`
	Role      string `json:"role"`
	What      string `json:"what"`
	At        string `json:"at"`
}

func cfReads(t testing.TB, res *response) []cfRead {
	t.Helper()
	var v struct {
		Items []cfRead `json:"items"`
	}
	res.decode(&v)
	return v.Items
}

// TestLeadRecusal: an account named as the lead's subject never sees it
// and never acts on it, as an inspector or as an official of the unit that
// rectifies it; the others of its region carry the lead on.
func TestLeadRecusal(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		// A second official of 市场监管@海曙, who is not named.
		ts.as(t, "admin", "POST", "/api/v1/users", map[string]any{"username": "dept_hs_scjg2", "password": testPassword,
			"role": "department", "region_code": "330203", "department_code": "scjg"}).want(http.StatusCreated)
		for _, subject := range []string{"insp_hs", "dept_hs_scjg", "INSP_HS"} {
			t.Run(subject, func(t *testing.T) {
				id := ts.fileLead(t, "ent_hs", map[string]any{"subject_username": subject})["id"].(string)
				named := strings.ToLower(subject)
				refused := func(path, method string, body any) {
					t.Helper()
					qaExpect(t, ts.as(t, named, method, path, body), http.StatusNotFound, "", method+" "+path+" as the subject "+named)
				}
				if named == "insp_hs" {
					before := ldSnapshot(t, ts, id)
					refused(leadPath(id), "GET", nil)
					refused(leadPath(id, "/transitions"), "GET", nil)
					refused(leadPath(id, "/events"), "GET", nil)
					refused(leadPath(id, "/reads"), "GET", nil)
					for _, a := range []string{"register", "dismiss"} {
						refused(leadPath(id, "/transitions"), "POST", map[string]any{"action": a, "reason": "x"})
					}
					if ids := qaIDs(t, ts.as(t, named, "GET", "/api/v1/leads", nil).want(http.StatusOK)); slices.Contains(ids, id) {
						t.Errorf("the subject lists the lead")
					}
					if after := ldSnapshot(t, ts, id); after != before {
						t.Errorf("the subject changed the lead: %+v → %+v", before, after)
					}
					// The city's inspector sees who is named.
					got := ldGet(t, ts, "insp_city", id)
					if got["subject_account_id"] != ts.ids["user_insp_hs"] || got["subject_username"] != "insp_hs" {
						t.Errorf("subject fields: %v", got)
					}
				}
				ts.leadAct(t, "insp_city", id, "register", nil).want(http.StatusOK)
				ts.leadAct(t, "insp_city", id, "investigate", map[string]any{"notes": "核查。"}).want(http.StatusOK)
				ts.leadAct(t, "insp_city", id, "decide", ldRectify("case_filing", 5)).want(http.StatusOK)
				if named == "dept_hs_scjg" {
					refused(leadPath(id), "GET", nil)
					refused(leadPath(id, "/transitions"), "POST", map[string]any{"action": "complete_rectification", "report": "x"})
					if ids := qaIDs(t, ts.as(t, named, "GET", "/api/v1/leads", nil).want(http.StatusOK)); slices.Contains(ids, id) {
						t.Errorf("the subject lists the lead")
					}
					ts.leadAct(t, "dept_hs_scjg2", id, "complete_rectification", map[string]any{"report": "整改完成。"}).want(http.StatusOK)
				} else {
					ts.leadAct(t, "dept_hs_scjg", id, "complete_rectification", map[string]any{"report": "整改完成。"}).want(http.StatusOK)
				}
				ts.leadAct(t, "insp_city", id, "verify", map[string]any{"accepted": true, "result": "回访满意。"}).want(http.StatusOK)
			})
		}
		// A name that matches no account recuses no one and is kept as given.
		id := ts.fileLead(t, "ent_hs", map[string]any{"subject_username": "wang.mou"})["id"].(string)
		got := ldGet(t, ts, "insp_hs", id)
		if got["subject_username"] != "wang.mou" || got["subject_account_id"] != nil {
			t.Errorf("unmatched subject: %v", got)
		}
	})
}

// TestLeadReads: every showing of a lead's detail is recorded, and only
// inspectors of its region list the records.
func TestLeadReads(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := cfRectifying(t, ts)
		ldGet(t, ts, "station_hs", id)
		ldGet(t, ts, "dept_hs_scjg", id)
		ldGet(t, ts, "insp_city", id)
		ts.as(t, "insp_hs", "GET", leadPath(id, "/events"), nil).want(http.StatusOK)
		// Refused reads, lists and transition listings are not reads of the detail.
		ts.as(t, "insp_yz", "GET", leadPath(id), nil).wantProblem(http.StatusNotFound, "not_found")
		ts.as(t, "acfic_hs", "GET", leadPath(id), nil).wantProblem(http.StatusForbidden, "forbidden")
		ts.as(t, "insp_hs", "GET", "/api/v1/leads", nil).want(http.StatusOK)
		ts.as(t, "insp_hs", "GET", leadPath(id, "/transitions"), nil).want(http.StatusOK)

		res := ts.as(t, "insp_hs", "GET", leadPath(id, "/reads"), nil).want(http.StatusOK)
		type row struct{ user, role, what string }
		var got []row
		for _, r := range cfReads(t, res) {
			if r.At == "" || r.AccountID == "" {
				t.Errorf("read without who or when: %+v", r)
			}
			got = append(got, row{r.Username, r.Role, r.What})
		}
		// Newest first: the four reads above, then the three actions of cfRectifying.
		want := []row{{"insp_hs", "inspector", "events"}, {"insp_city", "inspector", "detail"}, {"dept_hs_scjg", "department", "detail"},
			{"station_hs", "station", "detail"}, {"insp_hs", "inspector", "transition"}, {"insp_hs", "inspector", "transition"},
			{"insp_hs", "inspector", "transition"}}
		if !slices.Equal(got, want) {
			t.Errorf("reads\n %v\nwant\n %v", got, want)
		}
		// Listing the reads is itself not a read; pages work.
		page := ts.as(t, "insp_city", "GET", leadPath(id, "/reads?page_size=2"), nil).want(http.StatusOK)
		if n := len(cfReads(t, page)); n != 2 {
			t.Errorf("page of %d reads", n)
		}
		for user, status := range map[string]int{"station_hs": 403, "dept_hs_scjg": 403, "ent_hs": 403, "acfic_city": 403,
			"admin": 403, "insp_yz": 404} {
			qaExpect(t, ts.as(t, user, "GET", leadPath(id, "/reads"), nil), status, "", "GET reads as "+user)
		}
		qaExpect(t, ts.as(t, "insp_hs", "GET", leadPath(id, "/reads?who=me"), nil), 400, "", "unknown query parameter")
	})
}

// TestLeadEventsConfidential: the timeline, whose payloads hold the
// confidential texts, is for inspectors alone.
func TestLeadEventsConfidential(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := cfRectifying(t, ts)
		body := string(ts.as(t, "insp_hs", "GET", leadPath(id, "/events"), nil).want(http.StatusOK).body)
		if !strings.Contains(body, cfNotes) || !strings.Contains(body, cfAssessment) {
			t.Errorf("the inspector's timeline lacks the payloads: %s", body)
		}
		for user, status := range map[string]int{"station_hs": 403, "ent_hs": 403, "dept_hs_scjg": 403, "acfic_hs": 403, "admin": 403,
			"insp_yz": 404} {
			qaExpect(t, ts.as(t, user, "GET", leadPath(id, "/events"), nil), status, "", "GET events as "+user)
		}
	})
}
