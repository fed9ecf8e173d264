package model

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestNextPeriodEnd: a period's rectification items fall due at the last
// second of the next period, in Beijing time, whatever the period's kind.
func TestNextPeriodEnd(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	for _, c := range []struct{ period, want string }{
		{"2026-11", "2026-12-31T23:59:59+08:00"},
		{"2026-12", "2027-01-31T23:59:59+08:00"},
		{"2026-Q3", "2026-12-31T23:59:59+08:00"},
		{"2026-Q4", "2027-03-31T23:59:59+08:00"},
		{"2026", "2027-12-31T23:59:59+08:00"},
	} {
		p, err := ParsePeriod(c.period, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := nextPeriodEnd(p, loc).In(loc).Format(time.RFC3339); got != c.want {
			t.Errorf("after %s: %s, want %s", c.period, got, c.want)
		}
	}
}

// TestRemindersOnceWithTwoScanners: two instances scanning at once send a
// period's overdue reminder, and an overdue item's notice, once per
// account.
func TestRemindersOnceWithTwoScanners(t *testing.T) {
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			s, clock := newTestStore(t, db, "", nil)
			ctx := context.Background()
			now := s.Now()
			dept := func(name, region, code string) uint64 {
				a := Account{Username: name, PasswordHash: "x", Role: "department", RegionCode: region, DepartmentCode: &code,
					DisplayName: name, CreatedAt: now, UpdatedAt: now}
				if err := s.db.Create(&a).Error; err != nil {
					t.Fatal(err)
				}
				return a.ID
			}
			tjj, hsTjj, fy := dept("tjj", "330200", "tjj"), dept("hs_tjj", "330203", "tjj"), dept("fy", "330200", "fy")
			dept("czj", "330200", "czj") // 财政局 owns no indicator of the sample tree
			p, err := ParsePeriod("2026-11", s.cal.Location())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenPeriod(ctx, p, now.Add(time.Hour), 1); err != nil {
				t.Fatal(err)
			}
			item := RectificationItem{RunID: 1, Period: "2026-10", UnitCode: "330203", IndicatorCode: "1.1.1.1", IndicatorName: "x",
				Kind: "gap", DepartmentCode: "tjj", Status: RectifyOpen, DueAt: now.Add(time.Hour), Version: 1, CreatedAt: now}
			if err := s.db.Create(&item).Error; err != nil {
				t.Fatal(err)
			}
			clock.Advance(2 * time.Hour)
			other := NewStore(s.db.Session(&gorm.Session{}), s.ref, s.opt, clock.Now)
			var wg sync.WaitGroup
			for _, st := range []*Store{s, other, s, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := st.Scan(ctx); err != nil {
						t.Logf("scan: %v", err)
					}
				}()
			}
			wg.Wait()
			if _, err := s.Scan(ctx); err != nil { // whatever a failed pass left
				t.Fatal(err)
			}
			count := func(account uint64, kind string) int64 {
				var n int64
				if err := s.db.Model(&Notice{}).Where("account_id = ? AND kind = ?", account, kind).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				return n
			}
			for _, id := range []uint64{tjj, hsTjj, fy} {
				if n := count(id, NoticeSubmissionOverdue); n != 1 {
					t.Errorf("account %d has %d overdue reminders, want 1", id, n)
				}
			}
			if n := count(hsTjj, NoticeRectifyOverdue); n != 1 {
				t.Errorf("海曙 统计局 has %d overdue item notices, want 1", n)
			}
			var all int64
			s.db.Model(&Notice{}).Count(&all)
			if all != 4 {
				t.Errorf("%d notices in all, want 4", all)
			}
		})
	}
}
