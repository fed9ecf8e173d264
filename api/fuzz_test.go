package api_test

import "testing"

// FuzzPostBodies sends arbitrary bodies to every POST route through the
// real router (the lead routes: FuzzLeadBodies), as accounts that may use
// each route: whatever the body, the
// answer is never a 5xx (and the server does not panic).
func FuzzPostBodies(f *testing.F) {
	ts := newTestServer(f, "sqlite", nil)
	ts.seed(f)
	id := ts.fileRequest(f, "ent_hs", "")["id"].(string)
	routes := []struct{ user, path string }{
		{"", "/api/v1/auth/login"},
		{"", "/api/v1/auth/refresh"},
		{"admin", "/api/v1/users"},
		{"admin", "/api/v1/enterprises"},
		{"admin", "/api/v1/stations"},
		{"ent_hs", "/api/v1/requests"},
		{"station_hs", "/api/v1/requests"},
		{"acfic_hs", reqPath(id, "/transitions")},
		{"dept_hs_scjg", reqPath(id, "/transitions")},
		{"ent_hs", reqPath(id, "/transitions")},
		{"dept_city_scjg", "/api/v1/indicator-values"},
		{"ent_hs", "/api/v1/surveys/2026-Q4/responses"},
		{"acfic_city", "/api/v1/index/runs"},
		{"acfic_city", "/api/v1/index/runs/1/publish"},
		{"ent_yz", "/api/v1/me/password"},
		{"insp_yz", "/api/v1/auth/logout"},
		{"admin", "/api/v1/api-keys"},
	}
	for i, seed := range []string{
		`{"username":"admin","password":"x"}`,
		`{"username":"u1","password":"password-1","role":"acfic","region_code":"330203"}`,
		`{"uscc":"91330212MA2H0A1BX9","name":"甬","region_code":"330212","contact_name":"张","contact_phone":"0574-1234567"}`,
		`{"name":"站","region_code":"330203","address":"路"}`,
		`{"title":"𠮷🏭","content":"c","category":"policy"}`,
		`{"title":"t","content":"c","category":"policy","enterprise_id":"1"}`,
		`{"action":"assign","department_code":"scjg","region_code":"330203"}`,
		`{"action":"supervise","note":"n","due_at":"2030-01-01T00:00:00+08:00","expected_version":1}`,
		`{"action":"evaluate","score":1e309}`,
		`[]`, `null`, `{"action":{}}`, `{"days":-1,"action":"request_extension","reason":""}`,
		`[{"indicator_code":"1.1.1.2","region_code":"330203","period":"2026-Q4","value":3.5}]`,
		`{"answers":{"1.2.2.2":4,"2.1.3.2":5}}`,
		`{"period":"2026-Q4"}`,
	} {
		f.Add(uint8(i), seed)
	}
	// Hostile input, each to a route that reads it: duplicate keys, NUL and
	// bidirectional controls in text, ids beyond a signed 64-bit column.
	for _, seed := range []struct {
		route uint8
		body  string
	}{
		{5, `{"title":"a","title":"b","content":"c","category":"policy"}`},
		{5, `{"title":"a","content":{"x":1,"x":2},"category":"policy"}`},
		{5, `{"title":"a\u0000b","content":"c","category":"policy"}`},
		{5, `{"title":"\u202eabc","content":"c\u2066d\u2069","category":"policy"}`},
		{6, `{"title":"t","content":"c","category":"policy","enterprise_id":"9223372036854775808"}`},
		{6, `{"title":"t","content":"c","category":"policy","enterprise_id":"18446744073709551615"}`},
		{2, `{"username":"u1","password":"password-1","role":"station","region_code":"330203","station_id":"18446744073709551615"}`},
		{3, `{"uscc":"91330212MA2H0A1BX9","name":"甬\u202b","region_code":"330212","contact_name":"张","contact_phone":"0574-1234567"}`},
		{16, `{"account_id":"9223372036854775808","name":"k"}`},
		{0, `{"username":"admin","username":"x","password":"x"}`},
		{7, `{"action":"reject","reason":"\u0000"}`},
	} {
		f.Add(seed.route, seed.body)
	}
	tokens := map[string]string{}
	for _, r := range routes {
		if r.user != "" {
			tokens[r.user] = ts.login(f, r.user)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		r := routes[int(route)%len(routes)]
		res := ts.do(t, tokens[r.user], "POST", r.path, body)
		if res.status >= 500 {
			t.Fatalf("POST %s as %q with %q: %d %s", r.path, r.user, body, res.status, res.body)
		}
	})
}

// FuzzIndicatorCSV sends arbitrary CSV files of submitted values through
// the real router as a department: whatever the file, the answer is never a
// 5xx; a file that is refused stores nothing.
func FuzzIndicatorCSV(f *testing.F) {
	ts := newTestServer(f, "sqlite", nil)
	ts.seed(f)
	tok := ts.login(f, "dept_city_scjg")
	for _, seed := range []string{
		"indicator_code,region_code,period,value\n1.1.1.2,330203,2026-Q3,12.5\n",
		"\ufeffindicator_code,region_code,period,value\r\n1.1.1.2,330203,2026-Q3,12.5\r\n3.2.1.2,330212,2026-Q3,0.8\r\n",
		"indicator_code,region_code,period,value\n1.1.1.2,330203,2026-Q3,abc\n",
		"indicator_code,region_code,period,value\n\"1.1.1.2\",\"330203\",\"2026-Q3\",\"1e309\"\n",
		"indicator_code,region_code\n1.1.1.2,330203\n",
		"", "\ufeff", "a,b,c,d\n\"unterminated\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		before := ts.countValues(t)
		res := ts.do(t, tok, "POST", "/api/v1/indicator-values", body, "Content-Type", "text/csv")
		if res.status >= 500 {
			t.Fatalf("CSV %q: %d %s", body, res.status, res.body)
		}
		if res.status >= 400 && ts.countValues(t) != before {
			t.Fatalf("CSV %q refused with %d but values were stored", body, res.status)
		}
	})
}

func (ts *testServer) countValues(t testing.TB) int64 {
	t.Helper()
	var n int64
	if err := ts.db.Table("indicator_values").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
