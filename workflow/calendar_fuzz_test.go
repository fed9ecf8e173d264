package workflow

import (
	"testing"
	"time"
)

// FuzzWorkingDays: for any start and count, the deadline falls at the end
// of a working day, after the start, with exactly n working days strictly
// between the start's date and it (inclusive of its own day); and the
// working time counted forward and back agree.
func FuzzWorkingDays(f *testing.F) {
	f.Add(int64(1789704000), uint8(5)) // 2026-09-18 12:00 +08
	f.Add(int64(1790726400), uint8(3)) // 2026-09-30
	f.Add(int64(1771113600), uint8(9)) // 2026-02-15, in 春节
	f.Add(int64(0), uint8(1))
	cal := testCalendar(f)
	f.Fuzz(func(t *testing.T, sec int64, n uint8) {
		if sec < 0 || sec > 4102444800 || n == 0 || n > 60 { // 1970–2100, up to 60 working days
			return
		}
		start := time.Unix(sec, 0)
		due := cal.Due(start, Limit{WorkingDays: int(n)})
		if !due.After(start) {
			t.Fatalf("Due(%v, %dwd) = %v, not after the start", start, n, due)
		}
		local := due.In(cal.Location())
		if h, m, s := local.Clock(); h != 23 || m != 59 || s != 59 || !cal.IsWorkday(due) {
			t.Fatalf("Due(%v, %dwd) = %v, not the end of a working day", start, n, local)
		}
		count := 0
		for d := startOfNextDay(start, cal.Location()); d.Before(due); d = d.AddDate(0, 0, 1) {
			if cal.IsWorkday(d) {
				count++
			}
		}
		if count != int(n) {
			t.Fatalf("Due(%v, %dwd) = %v spans %d working days", start, n, local, count)
		}
		w := cal.WorkingTime(start, due)
		if back := cal.AddWorkingTime(start, w); w > 0 && !back.Equal(due) && cal.WorkingTime(start, back) != w {
			t.Fatalf("AddWorkingTime(%v, %v) = %v, want %v", start, w, back, due)
		}
	})
}

func startOfNextDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 12, 0, 0, 0, loc)
}
