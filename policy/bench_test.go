package policy

import (
	"fmt"
	"testing"
)

// syntheticTree returns a region tree of exactly n regions: a root, then
// districts, then towns spread over the districts, so that its depth stays 3
// while its size grows.
func syntheticTree(n int) map[string]string {
	parents := map[string]string{"330200": ""}
	districts := max(2, (n-1)/10)
	for d := 0; d < districts && len(parents) < n; d++ {
		parents[fmt.Sprintf("D%03d", d)] = "330200"
	}
	for t := 0; len(parents) < n; t++ {
		d := t % districts
		parents[fmt.Sprintf("D%03d-T%04d", d, t)] = fmt.Sprintf("D%03d", d)
	}
	return parents
}

// BenchmarkAuthorize measures one decision with the real policy over trees of
// growing size. The cost must not grow with the number of regions.
func BenchmarkAuthorize(b *testing.B) {
	cases := []struct {
		name string
		sub  Subject
		act  string
		res  Resource
		want bool
	}{
		// The first row tried matches.
		{"allow_first_row", Subject{"department", "D000"}, "read", Resource{"request", "D000-T0000"}, true},
		// The last row of the largest (role, kind) group (inspector, lead)
		// matches.
		{"allow_last_row", Subject{"inspector", "330200"}, "reopen", Resource{"lead", "D000-T0000"}, true},
		// The rule matches but the region is outside home: every row of the
		// largest group is tried.
		{"deny_region", Subject{"inspector", "D001"}, "read", Resource{"lead", "D000-T0000"}, false},
		// No such action: every row of the largest group is tried.
		{"deny_action", Subject{"inspector", "330200"}, "create", Resource{"lead", "D000-T0000"}, false},
		// No row at all for the role on the kind.
		{"deny_role", Subject{"admin", "330200"}, "read", Resource{"request", "D000-T0000"}, false},
	}
	for _, n := range []int{10, 100, 1000} {
		a, err := New(syntheticTree(n))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cases {
			b.Run(fmt.Sprintf("regions=%d/%s", n, c.name), func(b *testing.B) {
				if got := a.Allowed(c.sub, c.act, c.res); got != c.want {
					b.Fatalf("Allowed = %v, want %v", got, c.want)
				}
				b.ReportAllocs()
				for b.Loop() {
					_ = a.Authorize(c.sub, c.act, c.res)
				}
			})
		}
	}
}

// BenchmarkAuthorizeParallel measures decisions from all CPUs at once on the
// 1,000-region tree (the read lock of the SyncedEnforcer is shared).
func BenchmarkAuthorizeParallel(b *testing.B) {
	a, err := New(syntheticTree(1000))
	if err != nil {
		b.Fatal(err)
	}
	sub := Subject{"department", "D000"}
	res := Resource{"request", "D000-T0000"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = a.Authorize(sub, "read", res)
		}
	})
}

// BenchmarkWithin measures the region check alone.
func BenchmarkWithin(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		a, err := New(syntheticTree(n))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("regions=%d", n), func(b *testing.B) {
			for b.Loop() {
				_ = a.Within("D000-T0000", "330200")
			}
		})
	}
}
