package model

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// TestListRequestsByPairs checks, on SQLite and (with QINQING_TEST_MYSQL_DSN)
// MariaDB/MySQL, that ListRequests answers every filter and scope exactly as
// the plain keyset query does (the same rows in the same order and the same
// next cursor, page after page), and that a typical filter is answered by the
// per-pair statement.
func TestListRequestsByPairs(t *testing.T) {
	for name, db := range testDBs(t) {
		t.Run(name, func(t *testing.T) {
			s, _ := newTestStore(t, db, "", nil)
			ctx := context.Background()
			if _, err := s.Seed(ctx, SeedOptions{Requests: 3000, Enterprises: 200, PasswordHash: "x", Seed: 3}); err != nil {
				t.Fatal(err)
			}
			t.Run("same_pages", func(t *testing.T) { samePages(t, s) })
			t.Run("takes_pairs", func(t *testing.T) { takesPairs(t, s) })
		})
	}
}

// subtree is code and every region below it.
func subtree(s *Store, code string) []string {
	out := []string{code}
	for i := 0; i < len(out); i++ {
		for _, r := range s.ref.RegionList {
			if r.ParentCode == out[i] {
				out = append(out, r.Code)
			}
		}
	}
	return out
}

func samePages(t *testing.T, s *Store) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	var regions, counties, statuses []string
	for _, r := range s.ref.RegionList {
		regions = append(regions, r.Code)
		if r.Level == "county" {
			counties = append(counties, r.Code)
		}
	}
	for _, st := range workflow.Request.States {
		statuses = append(statuses, string(st.Status))
	}
	var titles []string
	if err := s.db.Model(&Request{}).Order("id").Limit(200).Pluck("title", &titles).Error; err != nil {
		t.Fatal(err)
	}
	var sample []Request
	if err := s.db.Where("department_code IS NOT NULL").Limit(20).Find(&sample).Error; err != nil || len(sample) == 0 {
		t.Fatalf("no assigned request: %v", err)
	}
	var created []time.Time
	if err := s.db.Model(&Request{}).Order("id").Limit(200).Pluck("created_at", &created).Error; err != nil || len(created) == 0 {
		t.Fatalf("no filing times: %v", err)
	}
	var stations []uint64
	if err := s.db.Model(&Station{}).Limit(20).Pluck("id", &stations).Error; err != nil || len(stations) == 0 {
		t.Fatalf("no station: %v", err)
	}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	some := func(xs []string, n int) []string {
		out := make([]string, 0, n)
		for range n {
			out = append(out, pick(xs))
		}
		return out
	}
	scope := func() Scope {
		one := sample[rng.IntN(len(sample))]
		county := pick(counties)
		switch rng.IntN(11) {
		case 0, 1, 2:
			return Scope{Role: workflow.RoleACFIC, HomeRegion: regions[0], Regions: subtree(s, regions[0])}
		case 3, 4:
			return Scope{Role: workflow.RoleACFIC, HomeRegion: county, Regions: subtree(s, county)}
		case 5, 6:
			return Scope{Role: workflow.RoleInspector, HomeRegion: county, Regions: subtree(s, county)}
		case 7:
			return Scope{Role: workflow.RoleSystem}
		case 8:
			return Scope{Role: workflow.RoleDepartment, DepartmentCode: *one.DepartmentCode, HomeRegion: *one.UnitRegionCode,
				Regions: subtree(s, *one.UnitRegionCode)}
		case 9:
			return Scope{Role: workflow.RoleEnterprise, EnterpriseID: one.EnterpriseID}
		default:
			return Scope{Role: workflow.RoleStation, StationID: stations[rng.IntN(len(stations))]}
		}
	}
	boolPtr := func() *bool {
		switch rng.IntN(4) {
		case 0:
			return new(true)
		case 1:
			return new(false)
		}
		return nil
	}
	filter := func() RequestFilter {
		var f RequestFilter
		switch rng.IntN(20) {
		case 0, 1, 2, 3, 4, 5, 6:
		case 7:
			f.Status = []string{}
		case 8:
			f.Status = []string{"closed", "bogus"}
		case 9:
			f.Status = []string{"closed", "closed", "in_progress"}
		default:
			f.Status = some(statuses, 1+rng.IntN(3))
		}
		switch rng.IntN(20) {
		case 0, 1, 2, 3, 4:
		case 5:
			f.RegionCodes = []string{}
		case 6, 7, 8:
			f.RegionCodes = some(regions, 1+rng.IntN(4))
		case 9:
			f.RegionCodes = []string{pick(counties), "999999"}
		default:
			f.RegionCodes = subtree(s, pick(regions))
		}
		if rng.IntN(5) == 0 {
			f.DepartmentCode = s.ref.DeptList[rng.IntN(len(s.ref.DeptList))].Code
		}
		f.Supervised, f.Overdue = boolPtr(), boolPtr()
		switch rng.IntN(8) {
		case 0:
			title := pick(titles)
			start := rng.IntN(max(1, utf8.RuneCountInString(title)-1))
			f.Q = string([]rune(title)[start : start+min(2, utf8.RuneCountInString(title)-start)])
		case 1:
			f.Q = pick([]string{"%", "_", "!", "%_!"})
		}
		if rng.IntN(6) == 0 {
			f.Category = s.ref.CatList[rng.IntN(len(s.ref.CatList))].Code
		}
		switch rng.IntN(8) {
		case 0:
			f.CreatedFrom = created[rng.IntN(len(created))]
		case 1:
			f.CreatedTo = created[rng.IntN(len(created))]
		case 2:
			a, b := created[rng.IntN(len(created))], created[rng.IntN(len(created))]
			if b.Before(a) {
				a, b = b, a
			}
			f.CreatedFrom, f.CreatedTo = a, b
		}
		f.Page.Size = []int{0, 1, 3, 7, 20}[rng.IntN(5)]
		return f
	}

	const cases = 400
	byPairs, pages, pairPages := 0, 0, 0
	for c := range cases {
		sc, f := scope(), filter()
		_, pairs := s.listPairs(sc, f)
		if pairs {
			byPairs++
		}
		for p := 0; p < 5; p++ {
			if pairs {
				pairPages++
			}
			got, gotNext, err := s.ListRequests(ctx, sc, f)
			if err != nil {
				t.Fatalf("case %d %+v %+v: %v", c, sc, f, err)
			}
			want, wantNext, err := s.listRequestsPlain(ctx, sc, f, s.Now())
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if !reflect.DeepEqual(ids(got), ids(want)) || gotNext != wantNext {
				t.Fatalf("case %d page %d, scope %+v filter %+v:\n got  %v next %d\n want %v next %d",
					c, p, sc, f, ids(got), gotNext, ids(want), wantNext)
			}
			if len(got) > 0 && !reflect.DeepEqual(got, want) {
				t.Fatalf("case %d page %d: same ids, different rows", c, p)
			}
			if wantNext == 0 {
				break
			}
			f.Page.After = wantNext
		}
	}
	t.Logf("%d filters (%d by pairs), %d pages compared (%d by pairs)", cases, byPairs, pages, pairPages)
	if byPairs < cases/3 {
		t.Fatalf("only %d of %d random filters were answered by pairs", byPairs, cases)
	}
}

func ids(rs []Request) []uint64 {
	out := make([]uint64, len(rs))
	for i := range rs {
		out[i] = rs[i].ID
	}
	return out
}

// takesPairs fails when a typical list (工商联 of the city: closed in one
// county, first page and a later one) does not run as one per-pair statement,
// and checks the fallbacks run the plain query.
func takesPairs(t *testing.T, s *Store) {
	ctx := context.Background()
	cap := &sqlCapture{}
	cs := NewStore(s.db.Session(&gorm.Session{Logger: cap}), s.ref, s.opt, s.clock)
	city := s.ref.RegionList[0].Code
	var county string
	for _, r := range s.ref.RegionList {
		if r.Level == "county" && len(subtree(s, r.Code)) > 1 {
			county = r.Code
			break
		}
	}
	acfic := Scope{Role: workflow.RoleACFIC, HomeRegion: city, Regions: subtree(s, city)}
	regs := subtree(s, county)
	typical := RequestFilter{Status: []string{"closed", "in_progress"}, RegionCodes: regs, Page: Page{Size: 5}}
	for page := 0; page < 3; page++ {
		_, next, err := cs.ListRequests(ctx, acfic, typical)
		if err != nil {
			t.Fatal(err)
		}
		stmts := cap.take()
		if len(stmts) != 1 {
			t.Fatalf("page %d: %d statements, want 1: %q", page, len(stmts), stmts)
		}
		q := stmts[0]
		if n := strings.Count(q, "UNION ALL"); n != 2*len(regs)-1 {
			t.Errorf("page %d: %d UNION ALL, want %d (one branch per pair):\n%s", page, n, 2*len(regs)-1, q)
		}
		if n := strings.Count(q, "region_code = "); n != 2*len(regs) {
			t.Errorf("page %d: %d per-pair branches, want %d:\n%s", page, n, 2*len(regs), q)
		}
		if strings.Contains(q, "region_code IN") {
			t.Errorf("page %d: the per-pair statement still has region_code IN:\n%s", page, q)
		}
		if next == 0 {
			t.Fatalf("page %d: no next page; seed more data", page)
		}
		typical.Page.After = next
	}

	// one pair: the branch alone
	if _, _, err := cs.ListRequests(ctx, acfic, RequestFilter{Status: []string{"closed"}, RegionCodes: []string{county}}); err != nil {
		t.Fatal(err)
	}
	if q := cap.take(); len(q) != 1 || strings.Contains(q[0], "UNION") || !strings.Contains(q[0], "region_code = ") {
		t.Errorf("one pair: %q", q)
	}

	// fallbacks: too many pairs (28 regions × 7 statuses), scopes of their own column
	for name, c := range map[string]struct {
		sc Scope
		f  RequestFilter
	}{
		"too_many_pairs": {acfic, RequestFilter{}},
		"enterprise":     {Scope{Role: workflow.RoleEnterprise, EnterpriseID: 1}, typical},
		"department":     {Scope{Role: workflow.RoleDepartment, DepartmentCode: s.ref.DeptList[0].Code, Regions: regs}, typical},
		"unknown_status": {acfic, RequestFilter{Status: []string{"CLOSED"}, RegionCodes: regs}},
	} {
		if _, _, err := cs.ListRequests(ctx, c.sc, c.f); err != nil {
			t.Fatal(name, err)
		}
		want := 1
		if name == "department" {
			want = 2 // its own unit's, then those it co-handles (协办)
		}
		q := cap.take()
		if len(q) != want || strings.Contains(q[0], "UNION") || strings.Contains(q[0], "region_code = ") {
			t.Errorf("%s: want the plain query, got %q", name, q)
		}
		if want == 2 && !strings.Contains(q[1], "request_co_units") {
			t.Errorf("department: the second query is not the co-handled one: %q", q[1])
		}
	}
	if maxListPairs < 3*len(workflow.Request.States) {
		t.Errorf("maxListPairs %d does not cover a county subtree with every status", maxListPairs)
	}
	if len(s.ref.RegionList)*len(workflow.Request.States) <= maxListPairs {
		t.Errorf("the too_many_pairs case above no longer exceeds maxListPairs")
	}
}
