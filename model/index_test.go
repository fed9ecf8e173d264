package model

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"qinqing/configs"
	"qinqing/index"
)

func indexTestStore(t *testing.T) *Store {
	t.Helper()
	raw, err := configs.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewReference(raw)
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(nil, ref, Options{}, func() time.Time {
		return time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	})
}

// TestEvaluatedUnits: the peer groups and scopes of docs/index-method.md#evaluated-units-and-peer-groups.
func TestEvaluatedUnits(t *testing.T) {
	t.Parallel()
	units := indexTestStore(t).EvaluatedUnits()
	count := map[string]int{}
	scope := map[string][]string{}
	for _, u := range units {
		count[u.Group]++
		scope[u.Code] = u.Scope
	}
	if len(units) != 28 || count[GroupCounty] != 10 || count[GroupCity] != 3 || count[GroupTown] != 15 {
		t.Fatalf("%d units, by group %v; want 28 = 10 county + 3 city + 15 town", len(units), count)
	}
	if got := scope["330200"]; !slices.Equal(got, []string{"330200", "3302GX", "3302QW"}) {
		t.Errorf("市本级 scope = %v, want itself and the functional zones only", got)
	}
	if got := scope["330203"]; !slices.Equal(got, []string{"330203", "330203-T01"}) {
		t.Errorf("海曙区 scope = %v, want itself and its town", got)
	}
	if got := scope["3302QW"]; !slices.Equal(got, []string{"3302QW"}) {
		t.Errorf("前湾新区 scope = %v", got)
	}
	if got := scope["330282-T02"]; !slices.Equal(got, []string{"330282-T02"}) {
		t.Errorf("观海卫镇 scope = %v", got)
	}
}

// TestGatherSurveyAndSubmitted: survey means are rolled up over each
// unit's scope with their counts, below min_responses they are missing;
// the latest submitted value is used; nothing missing is zero.
func TestGatherSurveyAndSubmitted(t *testing.T) {
	t.Parallel()
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			if err := Migrate(db); err != nil {
				t.Fatal(err)
			}
			s := indexTestStore(t)
			s.db = db
			ctx := context.Background()
			tree, err := configs.ParseIndicators([]byte(`
version: t
min_responses: {county: 2, city: 3, town: 1}
indicators:
  - {code: "1", name: 满意度, weight: 0.5, direction: higher, unit: 分, source: survey}
  - {code: "2", name: 增速, weight: 0.5, direction: higher, unit: "%", source: submitted, owner: tjj, min: -100}
`))
			if err != nil {
				t.Fatal(err)
			}
			answers := []SurveyAnswer{
				{EnterpriseID: 1, Period: "2026-Q4", IndicatorCode: "1", RegionCode: "330200", Score: 5},
				{EnterpriseID: 2, Period: "2026-Q4", IndicatorCode: "1", RegionCode: "3302QW", Score: 4},
				{EnterpriseID: 3, Period: "2026-Q4", IndicatorCode: "1", RegionCode: "3302GX", Score: 3},
				{EnterpriseID: 4, Period: "2026-Q4", IndicatorCode: "1", RegionCode: "330203", Score: 2},
				{EnterpriseID: 5, Period: "2026-Q4", IndicatorCode: "1", RegionCode: "330203-T01", Score: 5},
				{EnterpriseID: 6, Period: "2026-Q3", IndicatorCode: "1", RegionCode: "330203", Score: 1}, // another period
				{EnterpriseID: 7, Period: "2026-Q4", IndicatorCode: "1", RegionCode: "330212", Score: 4},
			}
			if err := db.Create(&answers).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := s.SubmitValues(ctx, []NewValue{{"2", "330203", "2026-Q4", 3}, {"2", "330212", "2026-Q4", -2}}, 1, "tjj"); err != nil {
				t.Fatal(err)
			}
			got, err := s.SubmitValues(ctx, []NewValue{{"2", "330203", "2026-Q4", 4}}, 1, "tjj")
			if err != nil || !got[0].Replaced {
				t.Fatalf("resubmission = %+v, %v", got, err)
			}
			per, _ := ParsePeriod("2026-Q4", time.FixedZone("CST", 8*3600))
			vals, err := s.GatherLeafValues(ctx, tree, s.EvaluatedUnits(), per)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]index.Value{
				"330200":     {X: 4, N: 3, Num: 12, Den: 3},                                    // 市本级 + zones, not the counties
				"3302QW":     {Missing: true, Reason: index.ReasonInsufficientResponses, N: 1}, // city group needs 3
				"330203":     {X: 3.5, N: 2, Num: 7, Den: 2},                                   // its town included
				"330203-T01": {X: 5, N: 1, Num: 5, Den: 1},                                     // town group needs 1
				"330212":     {Missing: true, Reason: index.ReasonInsufficientResponses, N: 1},
				"330205":     {Missing: true, Reason: index.ReasonInsufficientResponses},
			}
			for unit, w := range want {
				if g := vals["1"][unit]; g != w {
					t.Errorf("survey of %s = %+v, want %+v", unit, g, w)
				}
			}
			for unit, w := range map[string]index.Value{
				"330203": {X: 4}, "330212": {X: -2}, "330200": {Missing: true, Reason: index.ReasonNotSubmitted},
			} {
				if g := vals["2"][unit]; g != w {
					t.Errorf("submitted of %s = %+v, want %+v", unit, g, w)
				}
			}
			if len(vals["1"]) != 28 || len(vals["2"]) != 28 {
				t.Errorf("values for %d and %d units, want 28 each", len(vals["1"]), len(vals["2"]))
			}
		})
	}
}

// TestTrackerValue: a rate becomes a leaf value, or missing with its reason.
func TestTrackerValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    Rate
		want index.Value
	}{
		{Rate{}, index.Value{Missing: true, Reason: index.ReasonNoCases}}, // not computed at all
		{Rate{Code: "T01", Missing: true}, index.Value{Missing: true, Reason: index.ReasonNoCases}},
		{Rate{Code: "T01", Numerator: 3, Denominator: 4, Value: 75}, index.Value{Missing: true, Reason: index.ReasonInsufficientCases, N: 4, Num: 3, Den: 4}},
		{Rate{Code: "T01", Numerator: 4, Denominator: 5, Value: 80}, index.Value{X: 80, N: 5, Num: 4, Den: 5}},
	} {
		if got := trackerValue(tc.r, 5); got != tc.want {
			t.Errorf("trackerValue(%+v) = %+v, want %+v", tc.r, got, tc.want)
		}
	}
}

// TestTrackerStatsForScopesBruteForce: the grouped pass an index run makes
// gives, for every scope (overlapping, duplicated or empty), the counts a
// brute-force count over the rows gives.
func TestTrackerStatsForScopesBruteForce(t *testing.T) {
	t.Parallel()
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			s, _ := newTestStore(t, db, "", nil)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(5, 9))
			from := time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC)
			to := time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC)
			regions := []string{"330203", "330203-T01", "330212", "330200", "3302QW"}
			when := func() time.Time { // inside the period or just outside it
				return from.Add(time.Duration(rng.IntN(110)-10) * 24 * time.Hour).Add(time.Duration(rng.IntN(86400)) * time.Second)
			}
			pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
			var reqs []Request
			for range 300 {
				r := Request{Title: "t", Category: "policy", EnterpriseID: 1, RegionCode: pick(regions...), FiledBy: 1, FilerRole: "enterprise",
					Status:    pick("closed", "closed", "in_progress", "withdrawn", "rejected", "assigned"),
					LateSteps: rng.IntN(2), Supervised: rng.IntN(3) == 0, ReopenCount: rng.IntN(2), Version: 1,
					StepStartedAt: from, RoundStartedAt: from, CreatedAt: from, UpdatedAt: from}
				if c := when(); r.Status == "closed" {
					r.ClosedAt = &c
				}
				if rng.IntN(4) > 0 {
					a := when()
					r.FirstAssignedAt = &a
				}
				reqs = append(reqs, r)
			}
			if err := db.Create(&reqs).Error; err != nil {
				t.Fatal(err)
			}
			var evs []Event
			for i := range 1500 {
				e := Event{CaseKind: pick("request", "request", "request", "lead"), CaseID: uint64(i%300 + 1),
					Action:     pick("assign", "reject", "respond", "evaluate", "return", "expire_evaluation", "claim"),
					FromStatus: pick("submitted", "in_progress", "responded"), ToStatus: pick("closed", "in_progress", "assigned"),
					ActorID: 1, ActorRole: "acfic", At: when(), Payload: "{}", WorkingSeconds: int64(rng.IntN(90000)), RegionCode: pick(regions...)}
				if k := rng.IntN(3); k < 2 {
					b := k == 0
					e.OnTime = &b
				}
				evs = append(evs, e)
			}
			if err := db.CreateInBatches(&evs, 200).Error; err != nil {
				t.Fatal(err)
			}

			scopes := [][]string{{"330203", "330203-T01"}, {"330200", "3302QW"}, {"330212"}, {"330203-T01"}, {}, {"330212", "330212"}}
			got, err := s.TrackerStatsForScopes(ctx, scopes, from, to)
			if err != nil {
				t.Fatal(err)
			}
			in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
			for i, sc := range scopes {
				scope := map[string]bool{}
				for _, r := range sc {
					scope[r] = true
				}
				var c requestCounts
				for _, r := range reqs {
					if !scope[r.RegionCode] {
						continue
					}
					if r.Status == "closed" && in(*r.ClosedAt) {
						c.Closed++
						c.ClosedOnTime += int64(b2i(r.LateSteps == 0))
						c.ClosedSupervised += int64(b2i(r.Supervised))
						c.ClosedReopened += int64(b2i(r.ReopenCount >= 1))
					}
					if r.FirstAssignedAt != nil && in(*r.FirstAssignedAt) && r.Status != "withdrawn" && r.Status != "rejected" {
						c.Cohort++
						c.CohortClosed += int64(b2i(r.Status == "closed"))
					}
				}
				for _, e := range evs {
					if e.CaseKind != "request" || !scope[e.RegionCode] || !in(e.At) {
						continue
					}
					count := func(ec *eventCount) {
						ec.N++
						ec.OnTime += int64(b2i(e.OnTime != nil && *e.OnTime))
						ec.Sum += float64(e.WorkingSeconds)
					}
					switch e.Action {
					case "assign":
						count(&c.Assigned)
					case "respond":
						count(&c.Respond)
					case "evaluate":
						count(&c.Evaluated)
						if e.ToStatus == "closed" {
							count(&c.Satisfied)
						}
					case "return":
						count(&c.Returned)
					case "expire_evaluation":
						count(&c.Expired)
					}
					if (e.Action == "assign" || e.Action == "reject") && e.FromStatus == "submitted" {
						count(&c.Triage)
					}
				}
				want := c.rates()
				for j, w := range want {
					g := got[i].Rates[j]
					if g.Code != w.Code || g.Missing != w.Missing || g.Numerator != w.Numerator || g.Denominator != w.Denominator {
						t.Errorf("scope %v %s: got %+v, want %+v", sc, w.Code, g, w)
					}
				}
			}
			if got[0].Rates[1].Denominator == 0 || got[0].Rates[0].Denominator == 0 {
				t.Errorf("the test data give 海曙 no closed requests or no triage in the period: %+v", got[0].Rates)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
