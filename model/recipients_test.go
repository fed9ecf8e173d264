package model

import (
	"context"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"qinqing/configs"
	"qinqing/workflow"
)

// TestRecipientsAcrossInstances: the accounts a case notice to a unit goes
// to, with their SMS and e-mail choices. An instance that creates an
// account or changes notice channels sees it at its next notice; another
// instance within credential_cache, and never later.
func TestRecipientsAcrossInstances(t *testing.T) {
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			ttl := 2 * time.Second
			a, clock := newTestStore(t, db, "", func(c *configs.Config) { c.CredentialCache = ttl })
			b := NewStore(db.Session(&gorm.Session{}), a.ref, a.opt, clock.Now)
			unit := func(s *Store) ([]uint64, map[uint64]*NotifySetting) {
				t.Helper()
				c := newNoticeCache()
				ids, err := c.unit(s, s.db, "scjg", "330212")
				if err != nil {
					t.Fatal(err)
				}
				return ids, c.channels
			}
			newAccount := func(s *Store, name string) uint64 {
				t.Helper()
				acc, err := s.CreateAccount(ctx, plainHasher{}, NewAccount{Username: name + "-" + driver, Password: "password-1",
					Role: workflow.RoleDepartment, RegionCode: "330212", DepartmentCode: "scjg", DisplayName: "市场监管"})
				if err != nil {
					t.Fatal(err)
				}
				return acc.ID
			}
			first := newAccount(a, "unit-one")
			if ids, _ := unit(a); !slices.Contains(ids, first) {
				t.Fatalf("a: %v, want the unit's account %d", ids, first)
			}
			before, _ := unit(b)
			second := newAccount(a, "unit-two") // on a: a forgets its lists
			if ids, _ := unit(a); !slices.Contains(ids, second) {
				t.Fatalf("a, after creating an account: %v, want %d too", ids, second)
			}
			if ids, _ := unit(b); slices.Contains(ids, second) || len(ids) != len(before) {
				t.Fatalf("b within credential_cache: %v, want its remembered %v", ids, before)
			}
			if err := a.SetNotifySettings(ctx, NotifySetting{AccountID: first, Phone: "13800000000", SMS: true}); err != nil {
				t.Fatal(err)
			}
			if _, ch := unit(a); ch[first] == nil || !ch[first].SMS || ch[first].Phone != "13800000000" {
				t.Fatalf("a, after the account chose SMS: %+v", ch[first])
			}
			clock.Advance(ttl)
			ids, ch := unit(b)
			if !slices.Contains(ids, second) || ch[first] == nil || !ch[first].SMS {
				t.Fatalf("b after credential_cache: %v %+v, want the new account and the SMS choice", ids, ch[first])
			}
			if ch[second] != nil {
				t.Fatalf("an account that chose no channel has %+v", ch[second])
			}
		})
	}
}
