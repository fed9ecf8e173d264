package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Upper bounds for the counted forms of a Limit. They keep a mistyped limit
// ("5000000wd") from turning Due into a long loop or overflowing a duration.
const (
	// MaxLimitWorkingDays is the largest working-day count ParseLimit accepts (about 14 years).
	MaxLimitWorkingDays = 3650
	// MaxLimitCalendarDays is the largest calendar-day count ParseLimit accepts.
	MaxLimitCalendarDays = 36500
	// MaxLimitMonths is the largest month count ParseLimit accepts.
	MaxLimitMonths = 1200
)

// Limit is a deadline limit: a count of working days, of calendar days, of
// calendar months, or a plain duration. Exactly one field is set in a limit
// built by ParseLimit; the zero Limit means "no limit".
//
// Limit implements encoding.TextMarshaler and encoding.TextUnmarshaler, so it
// can be a YAML or JSON field written as "5wd", "7d", "1mo" or "90m".
type Limit struct {
	// WorkingDays counts working days of the calendar (weekends, public
	// holidays and adjusted working days 调休 taken into account).
	WorkingDays int
	// CalendarDays counts calendar days of 24 hours.
	CalendarDays int
	// Months counts calendar months.
	Months int
	// Duration is a plain duration, for demonstrations and tests.
	Duration time.Duration
}

// ParseLimit parses "5wd" (working days), "7d" (calendar days), "1mo"
// (calendar months) or any Go duration ("2s", "90m", "1h30m"). An empty,
// zero, negative, too large or unrecognised limit is an error.
func ParseLimit(s string) (Limit, error) {
	t := strings.TrimSpace(s)
	var (
		l   Limit
		err error
	)
	switch {
	case t == "":
		return Limit{}, errors.New("empty limit: want e.g. 5wd, 7d, 1mo or 90m")
	case strings.HasSuffix(t, "wd"):
		l.WorkingDays, err = parseLimitCount(t[:len(t)-2], MaxLimitWorkingDays)
	case strings.HasSuffix(t, "mo"):
		l.Months, err = parseLimitCount(t[:len(t)-2], MaxLimitMonths)
	case strings.HasSuffix(t, "d"):
		l.CalendarDays, err = parseLimitCount(t[:len(t)-1], MaxLimitCalendarDays)
	default:
		d, perr := time.ParseDuration(t)
		switch {
		case perr != nil:
			err = errors.New("want a count with wd, d or mo, or a Go duration such as 90m")
		case d <= 0:
			err = errors.New("must be greater than zero")
		}
		l.Duration = d
	}
	if err != nil {
		return Limit{}, fmt.Errorf("invalid limit %q: %w", s, err)
	}
	return l, nil
}

// parseLimitCount parses the unsigned decimal count in front of a limit unit.
func parseLimitCount(s string, maxN int) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("want a whole number before the unit")
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil || n > maxN:
		return 0, fmt.Errorf("must be at most %d", maxN)
	case n == 0:
		return 0, errors.New("must be greater than zero")
	}
	return n, nil
}

// String formats l so that ParseLimit(l.String()) == l. The zero Limit
// formats as "".
func (l Limit) String() string {
	switch {
	case l.WorkingDays > 0:
		return strconv.Itoa(l.WorkingDays) + "wd"
	case l.CalendarDays > 0:
		return strconv.Itoa(l.CalendarDays) + "d"
	case l.Months > 0:
		return strconv.Itoa(l.Months) + "mo"
	case l.Duration > 0:
		// time.Duration prints 90m as "1h30m0s"; drop the zero tails.
		s := l.Duration.String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	}
	return ""
}

// IsZero reports whether l is the zero Limit (no limit).
func (l Limit) IsZero() bool { return l == Limit{} }

// Working reports whether l counts working days, in which case the time left
// before the deadline is also counted in working time.
func (l Limit) Working() bool { return l.WorkingDays > 0 }

// MarshalText implements encoding.TextMarshaler with the String form.
func (l Limit) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseLimit. Empty
// text decodes to the zero Limit.
func (l *Limit) UnmarshalText(text []byte) error {
	if strings.TrimSpace(string(text)) == "" {
		*l = Limit{}
		return nil
	}
	v, err := ParseLimit(string(text))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// CalendarYear is one year's official schedule of public holidays and
// adjusted working days (调休), as announced by the State Council General
// Office. Dates are written "2026-02-15"; a run of dates may be written as an
// inclusive range "2026-02-15..2026-02-23".
type CalendarYear struct {
	// Year is the calendar year the dates belong to.
	Year int `yaml:"year" json:"year"`
	// Published is false for a provisional year (weekends only) whose
	// official schedule has not been announced yet.
	Published bool `yaml:"published" json:"published"`
	// Source names the notice the dates come from.
	Source string `yaml:"source" json:"source"`
	// Holidays are the days off (放假) that would otherwise be working days
	// or fall inside a holiday block.
	Holidays []string `yaml:"holidays" json:"holidays"`
	// Workdays are the adjusted working days (调休上班) that fall on a weekend.
	Workdays []string `yaml:"workdays" json:"workdays"`
}

// Bounds on the years a Calendar accepts; they bound the size of its tables.
const (
	minCalendarYear = 1900
	maxCalendarYear = 2999
)

const day = 24 * time.Hour

// Calendar answers which local dates are working days and counts deadlines
// and working time against them. Dates are days since 1970-01-01 in the
// calendar's location; the covered years are held in flat tables, so lookups
// are O(1) and counting working days over any span is O(1) as well.
//
// A Calendar is immutable after NewCalendar and safe for concurrent use.
type Calendar struct {
	loc       *time.Location
	first     int64   // day number of 1 January of the first covered year
	work      []bool  // work[i]: day first+i is a working day
	cum       []int32 // cum[i]: working days in [first, first+i); len(work)+1 entries
	published []int   // sorted years with a published schedule
}

// NewCalendar builds a calendar in loc (Asia/Shanghai in production; nil means
// the fixed zone UTC+8 "CST"). Days of years not listed follow the weekend
// rule alone. An invalid or out-of-year date, a date listed twice, a date
// that is both a holiday and a workday, a workday that is not a weekend day or
// a year listed twice is an error naming it.
func NewCalendar(loc *time.Location, years []CalendarYear) (*Calendar, error) {
	if loc == nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	c := &Calendar{loc: loc}
	if len(years) == 0 {
		c.cum = []int32{0}
		return c, nil
	}
	lo, hi := years[0].Year, years[0].Year
	seen := make(map[int]bool, len(years))
	for _, y := range years {
		if y.Year < minCalendarYear || y.Year > maxCalendarYear {
			return nil, fmt.Errorf("calendar year %d: outside %d–%d", y.Year, minCalendarYear, maxCalendarYear)
		}
		if seen[y.Year] {
			return nil, fmt.Errorf("calendar year %d: listed twice", y.Year)
		}
		seen[y.Year] = true
		lo, hi = min(lo, y.Year), max(hi, y.Year)
	}
	c.first = civilDay(lo, time.January, 1)
	last := civilDay(hi+1, time.January, 1)
	c.work = make([]bool, last-c.first)
	for i := range c.work {
		c.work[i] = !isWeekend(c.first + int64(i))
	}
	for _, y := range years {
		if err := c.apply(y); err != nil {
			return nil, err
		}
		if y.Published {
			c.published = append(c.published, y.Year)
		}
	}
	slices.Sort(c.published)
	c.cum = make([]int32, len(c.work)+1)
	for i, w := range c.work {
		c.cum[i+1] = c.cum[i]
		if w {
			c.cum[i+1]++
		}
	}
	return c, nil
}

// apply writes one year's holidays and adjusted working days into c.work.
func (c *Calendar) apply(y CalendarYear) error {
	holidays := make(map[int64]bool)
	for _, s := range y.Holidays {
		days, err := parseCalendarDates(y.Year, s)
		if err != nil {
			return fmt.Errorf("calendar year %d: holiday %q: %w", y.Year, s, err)
		}
		for _, d := range days {
			if holidays[d] {
				return fmt.Errorf("calendar year %d: holiday %s listed twice", y.Year, formatDay(d))
			}
			holidays[d] = true
			c.work[d-c.first] = false
		}
	}
	workdays := make(map[int64]bool)
	for _, s := range y.Workdays {
		days, err := parseCalendarDates(y.Year, s)
		if err != nil {
			return fmt.Errorf("calendar year %d: workday %q: %w", y.Year, s, err)
		}
		for _, d := range days {
			switch {
			case holidays[d]:
				return fmt.Errorf("calendar year %d: %s is both a holiday and a workday", y.Year, formatDay(d))
			case workdays[d]:
				return fmt.Errorf("calendar year %d: workday %s listed twice", y.Year, formatDay(d))
			case !isWeekend(d):
				return fmt.Errorf("calendar year %d: workday %s is not a Saturday or Sunday", y.Year, formatDay(d))
			}
			workdays[d] = true
			c.work[d-c.first] = true
		}
	}
	return nil
}

// parseCalendarDates parses "2026-02-15" or the inclusive range
// "2026-02-15..2026-02-23" into day numbers, all of which must lie in year.
func parseCalendarDates(year int, s string) ([]int64, error) {
	from, to, isRange := strings.Cut(strings.TrimSpace(s), "..")
	a, err := parseCalendarDate(year, from)
	if err != nil {
		return nil, err
	}
	b := a
	if isRange {
		if b, err = parseCalendarDate(year, to); err != nil {
			return nil, err
		}
		if b < a {
			return nil, errors.New("range ends before it starts")
		}
	}
	days := make([]int64, 0, b-a+1)
	for d := a; d <= b; d++ {
		days = append(days, d)
	}
	return days, nil
}

// parseCalendarDate parses one "2006-01-02" date that must lie in year.
func parseCalendarDate(year int, s string) (int64, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("want a date YYYY-MM-DD: %q", s)
	}
	if t.Year() != year {
		return 0, fmt.Errorf("date %s is outside year %d", t.Format(time.DateOnly), year)
	}
	return civilDay(t.Date()), nil
}

// Location returns the location whose local dates the calendar counts.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkday reports whether the local date of t is a working day: a weekday
// that is not a public holiday, or an adjusted working day. Dates in years
// the calendar does not list follow the weekend rule alone.
func (c *Calendar) IsWorkday(t time.Time) bool { return c.isWork(c.localDay(t)) }

// Due returns the deadline of limit l for a step started at start, in UTC:
//   - working days n: the end of the n-th working day after start's local
//     date, i.e. 23:59:59 local on that day;
//   - calendar days n: start + n×24h;
//   - months n: the same local date and time n months later, or the last day
//     of that month when it has no such date (31 January + 1mo = 28/29
//     February, the rule of the Civil Code art. 202 for periods in months);
//   - a duration d: start + d.
//
// The zero Limit returns start itself.
func (c *Calendar) Due(start time.Time, l Limit) time.Time {
	switch {
	case l.WorkingDays > 0:
		d := c.localDay(start)
		for n := 0; n < l.WorkingDays; {
			d++
			if c.isWork(d) {
				n++
			}
		}
		return c.dayStart(d + 1).Add(-time.Second).UTC()
	case l.CalendarDays > 0:
		return start.Add(time.Duration(l.CalendarDays) * day).UTC()
	case l.Months > 0:
		return addMonths(start.In(c.loc), l.Months).UTC()
	case l.Duration > 0:
		return start.Add(l.Duration).UTC()
	}
	return start.UTC()
}

// addMonths adds n calendar months to t, clamping the day of month to the
// last day of the target month.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	ty, tm, _ := first.Date()
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(ty, tm, min(d, last), hh, mm, ss, t.Nanosecond(), t.Location())
}

// WorkingTime returns how much of [from, to) falls on working days of the
// calendar (a working day counts as 24 hours of its local date). It is 0 when
// to is not after from. The cost does not grow with the length of the span
// inside the covered years.
func (c *Calendar) WorkingTime(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	df, dt := c.localDay(from), c.localDay(to)
	if df == dt {
		if c.isWork(df) {
			return to.Sub(from)
		}
		return 0
	}
	var total time.Duration
	if c.isWork(df) {
		total += c.dayStart(df + 1).Sub(from)
	}
	total += time.Duration(c.countWork(df+1, dt)) * day
	if c.isWork(dt) {
		total += to.Sub(c.dayStart(dt))
	}
	return total
}

// AddWorkingTime returns the instant t at which WorkingTime(from, t) reaches
// d: d of working time counted forward from from. d ≤ 0 returns from.
func (c *Calendar) AddWorkingTime(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from.UTC()
	}
	df := c.localDay(from)
	if c.isWork(df) {
		left := c.dayStart(df + 1).Sub(from)
		if d <= left {
			return from.Add(d).UTC()
		}
		d -= left
	}
	for day := df + 1; ; day++ {
		if !c.isWork(day) {
			continue
		}
		if d <= 24*time.Hour {
			return c.dayStart(day).Add(d).UTC()
		}
		d -= 24 * time.Hour
	}
}

// Span is the working time a limit stands for when it is used as a
// threshold ("less than 1 working day left"): working days count 24 hours
// each, calendar days and durations as they are. Months are not a threshold
// and count as 30 days.
func (l Limit) Span() time.Duration {
	switch {
	case l.WorkingDays > 0:
		return time.Duration(l.WorkingDays) * 24 * time.Hour
	case l.CalendarDays > 0:
		return time.Duration(l.CalendarDays) * 24 * time.Hour
	case l.Months > 0:
		return time.Duration(l.Months) * 30 * 24 * time.Hour
	}
	return l.Duration
}

// Remaining returns the time left from now until due. When working is true
// (the limit counted working days) it is working time, negative when due has
// passed (-WorkingTime(due, now)); otherwise it is plain due − now.
func (c *Calendar) Remaining(now, due time.Time, working bool) time.Duration {
	if !working {
		return due.Sub(now)
	}
	if due.Before(now) {
		return -c.WorkingTime(due, now)
	}
	return c.WorkingTime(now, due)
}

// UnpublishedYears returns those of the current and the next year (local to
// the calendar) that have no published schedule in the calendar, so the
// service can warn an operator to add them. The result is empty when both are
// published.
func (c *Calendar) UnpublishedYears(now time.Time) []int {
	y := now.In(c.loc).Year()
	var out []int
	for _, year := range []int{y, y + 1} {
		if _, ok := slices.BinarySearch(c.published, year); !ok {
			out = append(out, year)
		}
	}
	return out
}

// localDay returns the day number (days since 1970-01-01) of t's local date.
func (c *Calendar) localDay(t time.Time) int64 {
	_, off := t.In(c.loc).Zone()
	return floorDiv(t.Unix()+int64(off), 86400)
}

// dayStart returns 00:00 local of day number d.
func (c *Calendar) dayStart(d int64) time.Time {
	y, m, dd := time.Unix(d*86400, 0).UTC().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, c.loc)
}

// isWork reports whether day number d is a working day.
func (c *Calendar) isWork(d int64) bool {
	if i := d - c.first; i >= 0 && i < int64(len(c.work)) {
		return c.work[i]
	}
	return !isWeekend(d)
}

// countWork returns the number of working days in the day numbers [a, b).
func (c *Calendar) countWork(a, b int64) int64 {
	if a >= b {
		return 0
	}
	end := c.first + int64(len(c.work))
	var n int64
	if a < c.first {
		n += countWeekdays(a, min(b, c.first))
	}
	if lo, hi := max(a, c.first), min(b, end); lo < hi {
		n += int64(c.cum[hi-c.first] - c.cum[lo-c.first])
	}
	if b > end {
		n += countWeekdays(max(a, end), b)
	}
	return n
}

// countWeekdays returns the number of Monday–Friday days in [a, b).
func countWeekdays(a, b int64) int64 {
	if a >= b {
		return 0
	}
	weeks, rest := (b-a)/7, (b-a)%7
	n := weeks * 5
	for d := a + weeks*7; d < a+weeks*7+rest; d++ {
		if !isWeekend(d) {
			n++
		}
	}
	return n
}

// isWeekend reports whether day number d is a Saturday or a Sunday.
// Day 0 (1970-01-01) was a Thursday.
func isWeekend(d int64) bool {
	m := d % 7
	if m < 0 {
		m += 7
	}
	wd := time.Weekday((m + 4) % 7)
	return wd == time.Saturday || wd == time.Sunday
}

// civilDay returns the day number of a proleptic Gregorian date.
func civilDay(y int, m time.Month, d int) int64 {
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

// formatDay formats day number d as YYYY-MM-DD.
func formatDay(d int64) string { return time.Unix(d*86400, 0).UTC().Format(time.DateOnly) }

// floorDiv divides rounding towards negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
