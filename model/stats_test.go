package model

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// TestLeadStatsForScopesBruteForce: the lead indicators T10–T12 of every
// scope (overlapping, duplicated or empty) are the same whether they come
// from the pass an index run makes (grouped by region) or from /stats (one
// scope, not grouped), and equal a brute-force count over the rows. The
// range runs past the clock, so that "due by as_of" matters for T12.
func TestLeadStatsForScopesBruteForce(t *testing.T) {
	t.Parallel()
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			s, _ := newTestStore(t, db, "", nil)
			ctx := context.Background()
			asOf := s.Now()
			rng := rand.New(rand.NewPCG(11, 3))
			from := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC)
			to := time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)
			regions := []string{"330203", "330203-T01", "330212", "330200", "3302QW"}
			when := func() time.Time { // inside the range or just outside it
				return from.Add(time.Duration(rng.IntN(75)-7) * 24 * time.Hour).Add(time.Duration(rng.IntN(86400)) * time.Second)
			}
			pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
			var leads []Lead
			for range 200 {
				l := Lead{Content: "c", RegionCode: pick(regions...), ReporterRole: "station", SubjectName: "s",
					Status: pick("rectifying", "rectifying", "verifying", "closed", "investigating"), Version: 1,
					StepStartedAt: from, CreatedAt: from, UpdatedAt: from}
				if rng.IntN(4) > 0 {
					d := when()
					l.RectifyDueAt = &d
				}
				leads = append(leads, l)
			}
			if err := db.Create(&leads).Error; err != nil {
				t.Fatal(err)
			}
			var evs []Event
			for i := range 1200 {
				e := Event{CaseKind: pick("lead", "lead", "lead", "request"), CaseID: uint64(i%200 + 1),
					Action:     pick("register", "dismiss", "decide", "complete_rectification", "investigate", "assign"),
					FromStatus: "s", ToStatus: "t", ActorID: 1, ActorRole: "inspector", At: when(), Payload: "{}",
					WorkingSeconds: int64(rng.IntN(90000)), RegionCode: pick(regions...)}
				if rng.IntN(5) > 0 {
					d := when()
					e.StepDueAt = &d
				}
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
			grouped, err := s.TrackerStatsForScopes(ctx, scopes, from, to)
			if err != nil {
				t.Fatal(err)
			}
			in := func(x time.Time) bool { return !x.Before(from) && x.Before(to) }
			for i, sc := range scopes {
				one, err := s.TrackerStats(ctx, sc, from, to)
				if err != nil {
					t.Fatal(err)
				}
				scope := map[string]bool{}
				for _, r := range sc {
					scope[r] = true
				}
				var reg, dec, done eventCount
				var open int64
				for _, e := range evs {
					if e.CaseKind != "lead" || !scope[e.RegionCode] {
						continue
					}
					on := int64(b2i(e.OnTime != nil && *e.OnTime))
					switch {
					case (e.Action == "register" || e.Action == "dismiss") && in(e.At):
						reg.add(eventCount{N: 1, OnTime: on})
					case e.Action == "decide" && in(e.At):
						dec.add(eventCount{N: 1, OnTime: on})
					case e.Action == "complete_rectification" && e.StepDueAt != nil && in(*e.StepDueAt) && !e.StepDueAt.After(asOf):
						done.add(eventCount{N: 1, OnTime: on})
					}
				}
				for _, l := range leads {
					if scope[l.RegionCode] && l.Status == "rectifying" && l.RectifyDueAt != nil && in(*l.RectifyDueAt) && !l.RectifyDueAt.After(asOf) {
						open++
					}
				}
				want := []Rate{
					rate("T10", float64(reg.OnTime), float64(reg.N), 100),
					rate("T11", float64(dec.OnTime), float64(dec.N), 100),
					rate("T12", float64(done.OnTime), float64(done.N+open), 100),
				}
				for j, w := range want {
					for how, got := range map[string][]Rate{"grouped": grouped[i].Rates, "one scope": one.Rates} {
						if len(got) != len(TrackerIndicators()) {
							t.Fatalf("scope %v (%s): %d rates, want T01–T%d", sc, how, len(got), len(TrackerIndicators()))
						}
						if g := got[9+j]; g != w {
							t.Errorf("scope %v %s (%s): got %+v, want %+v", sc, w.Code, how, g, w)
						}
					}
				}
			}
			if r := grouped[0].Rates; r[9].Denominator == 0 || r[10].Denominator == 0 || r[11].Denominator == 0 {
				t.Errorf("the test data give 海曙 no lead case in the range: %+v", r[9:])
			}
		})
	}
}
