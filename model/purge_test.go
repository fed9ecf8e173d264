package model

import (
	"context"
	"testing"
	"time"

	"qinqing/workflow"
)

// TestRefreshPurgeFollowsStoreClock: the refresh tokens that expired more
// than a day ago are purged by every store, on its own clock: a second
// store started in the same process purges at its first sign-in, and a
// store whose clock moved on by more than ten minutes purges again.
// (Found failing: the last purge was a package variable on the real
// clock, so only the first store of the process ever purged within ten
// minutes, whatever the store's clock said.)
func TestRefreshPurgeFollowsStoreClock(t *testing.T) {
	ctx := context.Background()
	pol := SessionPolicy{Absolute: 12 * time.Hour, Idle: time.Hour}
	stale := func(t *testing.T, s *Store) int64 {
		t.Helper()
		var n int64
		if err := s.db.Model(&RefreshToken{}).Where("expires_at < ?", s.Now().Add(-24*time.Hour)).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	for round := range 2 {
		for name, db := range testDBs(t) {
			t.Run(name, func(t *testing.T) {
				s, clock := newTestStore(t, db, "", nil)
				a, err := s.CreateAccount(ctx, plainHasher{}, NewAccount{Username: "purge", Password: "password-1",
					Role: workflow.RoleACFIC, RegionCode: "330200"})
				if err != nil {
					t.Fatal(err)
				}
				for pass := range 2 {
					// a session whose token will be long expired
					if _, _, err := s.StartSession(ctx, a.ID, "10.0.0.1", pol); err != nil {
						t.Fatal(err)
					}
					clock.Advance(48 * time.Hour)
					if n := stale(t, s); n == 0 {
						t.Fatalf("round %d pass %d: no stale token to purge", round, pass)
					}
					if _, _, err := s.StartSession(ctx, a.ID, "10.0.0.1", pol); err != nil {
						t.Fatal(err)
					}
					if n := stale(t, s); n != 0 {
						t.Errorf("round %d pass %d: %d refresh tokens expired over a day ago were kept", round, pass, n)
					}
				}
			})
		}
	}
}

// plainHasher stores passwords as they are: for tests that sign nobody in.
type plainHasher struct{}

func (plainHasher) Hash(p string) (string, error) { return "plain:" + p, nil }
func (plainHasher) Verify(h, p string) bool       { return h == "plain:"+p }
