package workflow

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// testYears is the official schedule of docs/design.md#calendar (the same facts as
// configs/calendar.yaml, which workflow cannot import), plus a provisional 2027.
var testYears = []CalendarYear{
	{
		Year: 2025, Published: true, Source: "国办发明电〔2024〕12号",
		Holidays: []string{"2025-01-01", "2025-01-28..2025-02-04", "2025-04-04..2025-04-06",
			"2025-05-01..2025-05-05", "2025-05-31..2025-06-02", "2025-10-01..2025-10-08"},
		Workdays: []string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"},
	},
	{
		Year: 2026, Published: true, Source: "国务院办公厅 2025-11-04 通知",
		Holidays: []string{"2026-01-01..2026-01-03", "2026-02-15..2026-02-23", "2026-04-04..2026-04-06",
			"2026-05-01..2026-05-05", "2026-06-19..2026-06-21", "2026-09-25..2026-09-27", "2026-10-01..2026-10-07"},
		Workdays: []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"},
	},
	{Year: 2027, Published: false, Source: "未发布"},
}

var cst = time.FixedZone("CST", 8*3600)

func testCalendar(tb testing.TB) *Calendar {
	tb.Helper()
	c, err := NewCalendar(nil, testYears)
	if err != nil {
		tb.Fatalf("NewCalendar: %v", err)
	}
	return c
}

// at parses a local (UTC+8) time "2006-01-02 15:04:05".
func at(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation(time.DateTime, s, cst)
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return t
}

func TestCalendarIsWorkday(t *testing.T) {
	t.Parallel()
	c := testCalendar(t)
	tests := []struct {
		date string
		want bool
	}{
		{"2026-02-14", true},  // Saturday, 调休 working day
		{"2026-02-16", false}, // Monday inside 春节
		{"2026-02-23", false}, // last day of 春节
		{"2026-02-24", true},  // Tuesday after 春节
		{"2026-02-28", true},  // Saturday, 调休
		{"2026-03-07", false}, // plain Saturday
		{"2026-03-09", true},  // plain Monday
		{"2026-09-20", true},  // Sunday, 调休 before 国庆
		{"2026-10-07", false}, // 国庆
		{"2026-10-10", true},  // Saturday, 调休
		{"2026-01-04", true},  // Sunday, 调休 after 元旦
		{"2025-01-26", true},  // Sunday, 调休
		{"2025-10-08", false}, // 国庆/中秋 2025
		{"2025-10-11", true},  // Saturday, 调休
		{"2027-10-01", true},  // provisional year: weekdays work (Friday)
		{"2027-10-02", false}, // Saturday
		{"2024-10-01", true},  // year not in calendar: weekend rule only (Tuesday)
		{"2031-03-08", false}, // Saturday after the covered years
	}
	for _, tt := range tests {
		if got := c.IsWorkday(at(t, tt.date+" 12:00:00")); got != tt.want {
			t.Errorf("IsWorkday(%s) = %v, want %v", tt.date, got, tt.want)
		}
	}
}

func TestCalendarIsWorkdayUsesLocalDate(t *testing.T) {
	t.Parallel()
	c := testCalendar(t)
	// 2026-02-13 17:00 UTC is 2026-02-14 01:00 in Ningbo: the 调休 Saturday.
	utc := time.Date(2026, 2, 13, 17, 0, 0, 0, time.UTC)
	if got, want := c.IsWorkday(utc), true; got != want {
		t.Errorf("IsWorkday(%v) = %v, want %v", utc, got, want)
	}
	// 2026-02-14 16:30 UTC is 2026-02-15 00:30 local: 春节.
	utc = time.Date(2026, 2, 14, 16, 30, 0, 0, time.UTC)
	if got, want := c.IsWorkday(utc), false; got != want {
		t.Errorf("IsWorkday(%v) = %v, want %v", utc, got, want)
	}
}

func TestCalendarDue(t *testing.T) {
	t.Parallel()
	c := testCalendar(t)
	tests := []struct {
		name  string
		start time.Time
		limit Limit
		want  time.Time
	}{
		{"docs/design.md#calendar 09-18 +5wd with 调休 Sunday", at(t, "2026-09-18 10:00:00"), Limit{WorkingDays: 5}, at(t, "2026-09-24 23:59:59")},
		{"docs/design.md#calendar 09-30 +3wd across 国庆", at(t, "2026-09-30 10:00:00"), Limit{WorkingDays: 3}, at(t, "2026-10-10 23:59:59")},
		{"plain weekend", at(t, "2026-03-12 09:00:00"), Limit{WorkingDays: 3}, at(t, "2026-03-17 23:59:59")},
		{"1wd on Friday lands on Monday", at(t, "2026-03-13 18:00:00"), Limit{WorkingDays: 1}, at(t, "2026-03-16 23:59:59")},
		{"春节 2026 with 02-14 Saturday", at(t, "2026-02-13 15:00:00"), Limit{WorkingDays: 3}, at(t, "2026-02-25 23:59:59")},
		{"春节 2026 02-28 Saturday", at(t, "2026-02-26 15:00:00"), Limit{WorkingDays: 2}, at(t, "2026-02-28 23:59:59")},
		{"start on a holiday", at(t, "2026-02-16 08:00:00"), Limit{WorkingDays: 1}, at(t, "2026-02-24 23:59:59")},
		{"2025 调休 Sunday 09-28", at(t, "2025-09-26 11:00:00"), Limit{WorkingDays: 3}, at(t, "2025-09-30 23:59:59")},
		{"2025 国庆 to 10-11 Saturday", at(t, "2025-09-30 11:00:00"), Limit{WorkingDays: 3}, at(t, "2025-10-11 23:59:59")},
		{"across the year end", at(t, "2025-12-31 09:00:00"), Limit{WorkingDays: 2}, at(t, "2026-01-05 23:59:59")},
		{"15wd over 劳动节", at(t, "2026-04-24 09:00:00"), Limit{WorkingDays: 15}, at(t, "2026-05-19 23:59:59")},
		{"start from a UTC instant on the local next day", time.Date(2026, 9, 18, 17, 0, 0, 0, time.UTC), Limit{WorkingDays: 5}, at(t, "2026-09-24 23:59:59")},
		{"duration 2s", at(t, "2026-10-01 10:00:00"), Limit{Duration: 2 * time.Second}, at(t, "2026-10-01 10:00:02")},
		{"duration 90m over midnight", at(t, "2026-10-01 23:00:00"), Limit{Duration: 90 * time.Minute}, at(t, "2026-10-02 00:30:00")},
		{"7 calendar days through a holiday", at(t, "2026-09-30 10:00:00"), Limit{CalendarDays: 7}, at(t, "2026-10-07 10:00:00")},
		{"1 month", at(t, "2026-03-15 10:00:00"), Limit{Months: 1}, at(t, "2026-04-15 10:00:00")},
		{"1 month from 31 January clamps to February's end", at(t, "2026-01-31 10:00:00"), Limit{Months: 1}, at(t, "2026-02-28 10:00:00")},
		{"12 months", at(t, "2026-12-20 10:00:00"), Limit{Months: 12}, at(t, "2027-12-20 10:00:00")},
		{"1 month by local date from a UTC instant", time.Date(2026, 1, 31, 20, 0, 0, 0, time.UTC), Limit{Months: 1}, at(t, "2026-03-01 04:00:00")},
		{"zero limit", at(t, "2026-10-01 10:00:00"), Limit{}, at(t, "2026-10-01 10:00:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := c.Due(tt.start, tt.limit)
			if !got.Equal(tt.want) {
				t.Errorf("Due(%v, %v) = %v, want %v", tt.start, tt.limit, got.In(cst), tt.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("Due(%v, %v) location = %v, want UTC", tt.start, tt.limit, got.Location())
			}
		})
	}
}

func TestCalendarDueFormatsWithOffset(t *testing.T) {
	t.Parallel()
	c := testCalendar(t)
	got := c.Due(at(t, "2026-09-18 10:00:00"), Limit{WorkingDays: 5}).In(c.Location()).Format(time.RFC3339)
	if want := "2026-09-24T23:59:59+08:00"; got != want {
		t.Errorf("Due = %s, want %s", got, want)
	}
}

func TestCalendarDueInShanghai(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skipf("no tzdata: %v", err)
	}
	c, err := NewCalendar(loc, testYears)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Due(time.Date(2026, 9, 30, 10, 0, 0, 0, loc), Limit{WorkingDays: 3})
	if want := time.Date(2026, 10, 10, 23, 59, 59, 0, loc); !got.Equal(want) {
		t.Errorf("Due = %v, want %v", got, want)
	}
}

func TestCalendarWorkingTime(t *testing.T) {
	t.Parallel()
	c := testCalendar(t)
	tests := []struct {
		name     string
		from, to string
		want     time.Duration
	}{
		{"same working day", "2026-09-30 09:00:00", "2026-09-30 17:30:00", 8*time.Hour + 30*time.Minute},
		{"same holiday", "2026-10-02 09:00:00", "2026-10-02 17:00:00", 0},
		{"across 国庆", "2026-09-30 12:00:00", "2026-10-08 12:00:00", 24 * time.Hour},
		{"across a plain weekend", "2026-03-13 12:00:00", "2026-03-16 12:00:00", 24 * time.Hour},
		{"whole working days", "2026-03-09 00:00:00", "2026-03-16 00:00:00", 5 * 24 * time.Hour},
		{"春节 block with both 调休 Saturdays", "2026-02-14 00:00:00", "2026-03-01 00:00:00", 6 * 24 * time.Hour},
		{"to before from", "2026-10-08 12:00:00", "2026-09-30 12:00:00", 0},
		{"empty interval", "2026-10-08 12:00:00", "2026-10-08 12:00:00", 0},
		{"from a holiday into a working day", "2026-10-07 20:00:00", "2026-10-08 06:00:00", 6 * time.Hour},
	}
	for _, tt := range tests {
		if got := c.WorkingTime(at(t, tt.from), at(t, tt.to)); got != tt.want {
			t.Errorf("%s: WorkingTime(%s, %s) = %v, want %v", tt.name, tt.from, tt.to, got, tt.want)
		}
	}
}

func TestCalendarWorkingTimeLongSpan(t *testing.T) {
	t.Parallel()
	c := testCalendar(t)
	// A span far beyond the covered years must count by formula, not by loop,
	// and agree with a day-by-day count.
	from, to := at(t, "2000-01-01 00:00:00"), at(t, "2040-01-01 00:00:00")
	var want time.Duration
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		if c.IsWorkday(d) {
			want += 24 * time.Hour
		}
	}
	if got := c.WorkingTime(from, to); got != want {
		t.Errorf("WorkingTime(2000, 2040) = %v, want %v", got, want)
	}
}

func TestCalendarRemaining(t *testing.T) {
	t.Parallel()
	c := testCalendar(t)
	a, b := at(t, "2026-09-30 12:00:00"), at(t, "2026-10-08 12:00:00")
	tests := []struct {
		name     string
		now, due time.Time
		working  bool
		want     time.Duration
	}{
		{"working, before due", a, b, true, 24 * time.Hour},
		{"working, past due", b, a, true, -24 * time.Hour},
		{"calendar, before due", a, b, false, 8 * 24 * time.Hour},
		{"calendar, past due", b, a, false, -8 * 24 * time.Hour},
		{"working, at due", a, a, true, 0},
	}
	for _, tt := range tests {
		if got := c.Remaining(tt.now, tt.due, tt.working); got != tt.want {
			t.Errorf("%s: Remaining = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCalendarUnpublishedYears(t *testing.T) {
	t.Parallel()
	c := testCalendar(t)
	tests := []struct {
		now  time.Time
		want []int
	}{
		{at(t, "2026-11-25 10:00:00"), []int{2027}},
		{at(t, "2025-06-01 10:00:00"), nil},
		{at(t, "2027-03-01 10:00:00"), []int{2027, 2028}},
		{time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), []int{2027, 2028}}, // 2027-01-01 00:30 local
		{at(t, "2024-12-01 10:00:00"), []int{2024}},
	}
	for _, tt := range tests {
		if got := c.UnpublishedYears(tt.now); !slices.Equal(got, tt.want) {
			t.Errorf("UnpublishedYears(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

func TestNewCalendarErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		years []CalendarYear
		want  string // substring of the error
	}{
		{"bad date", []CalendarYear{{Year: 2026, Holidays: []string{"2026-02-30"}}}, "2026-02-30"},
		{"not a date", []CalendarYear{{Year: 2026, Holidays: []string{"spring"}}}, "spring"},
		{"date outside its year", []CalendarYear{{Year: 2026, Holidays: []string{"2025-10-01"}}}, "2025-10-01"},
		{"range outside its year", []CalendarYear{{Year: 2025, Holidays: []string{"2025-12-31..2026-01-02"}}}, "2026-01-02"},
		{"reversed range", []CalendarYear{{Year: 2026, Holidays: []string{"2026-02-23..2026-02-15"}}}, "2026-02-23..2026-02-15"},
		{"holiday and workday", []CalendarYear{{Year: 2026, Holidays: []string{"2026-02-15..2026-02-23"}, Workdays: []string{"2026-02-15"}}}, "2026-02-15 is both"},
		{"holiday twice", []CalendarYear{{Year: 2026, Holidays: []string{"2026-10-01..2026-10-07", "2026-10-03"}}}, "2026-10-03"},
		{"workday on a weekday", []CalendarYear{{Year: 2026, Workdays: []string{"2026-02-16"}}}, "2026-02-16"},
		{"year twice", []CalendarYear{{Year: 2026}, {Year: 2026}}, "2026"},
		{"year out of range", []CalendarYear{{Year: 26}}, "26"},
	}
	for _, tt := range tests {
		_, err := NewCalendar(nil, tt.years)
		if err == nil {
			t.Errorf("%s: NewCalendar succeeded, want an error naming %q", tt.name, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q does not name %q", tt.name, err, tt.want)
		}
	}
}

func TestNewCalendarEmptyAndLocation(t *testing.T) {
	t.Parallel()
	c, err := NewCalendar(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2026, 1, 1, 0, 0, 0, 0, c.Location()).Zone(); off != 8*3600 {
		t.Errorf("default location offset = %d, want %d", off, 8*3600)
	}
	if got, want := c.IsWorkday(at(t, "2026-10-01 12:00:00")), true; got != want {
		t.Errorf("empty calendar IsWorkday(2026-10-01) = %v, want %v", got, want)
	}
	if got, want := c.Due(at(t, "2026-10-02 12:00:00"), Limit{WorkingDays: 1}), at(t, "2026-10-05 23:59:59"); !got.Equal(want) {
		t.Errorf("empty calendar Due = %v, want %v", got, want)
	}
	if got, want := c.UnpublishedYears(at(t, "2026-10-02 12:00:00")), []int{2026, 2027}; !slices.Equal(got, want) {
		t.Errorf("empty calendar UnpublishedYears = %v, want %v", got, want)
	}
}

func TestParseLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Limit
		str     string
		working bool
	}{
		{"5wd", Limit{WorkingDays: 5}, "5wd", true},
		{"15wd", Limit{WorkingDays: 15}, "15wd", true},
		{"7d", Limit{CalendarDays: 7}, "7d", false},
		{"1mo", Limit{Months: 1}, "1mo", false},
		{"2s", Limit{Duration: 2 * time.Second}, "2s", false},
		{"90m", Limit{Duration: 90 * time.Minute}, "1h30m", false},
		{"1h30m", Limit{Duration: 90 * time.Minute}, "1h30m", false},
		{"2h", Limit{Duration: 2 * time.Hour}, "2h", false},
		{"10s", Limit{Duration: 10 * time.Second}, "10s", false},
		{"10m", Limit{Duration: 10 * time.Minute}, "10m", false},
		{"500ms", Limit{Duration: 500 * time.Millisecond}, "500ms", false},
		{" 3wd ", Limit{WorkingDays: 3}, "3wd", true},
	}
	for _, tt := range tests {
		got, err := ParseLimit(tt.in)
		if err != nil {
			t.Errorf("ParseLimit(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseLimit(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("ParseLimit(%q).String() = %q, want %q", tt.in, s, tt.str)
		}
		if back, err := ParseLimit(got.String()); err != nil || back != got {
			t.Errorf("ParseLimit(%q) does not round-trip: %+v, %v", got.String(), back, err)
		}
		if got.Working() != tt.working {
			t.Errorf("ParseLimit(%q).Working() = %v, want %v", tt.in, got.Working(), tt.working)
		}
		if got.IsZero() {
			t.Errorf("ParseLimit(%q).IsZero() = true", tt.in)
		}
	}
}

func TestParseLimitErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", " ", "0wd", "0d", "0mo", "0s", "0", "-5wd", "-2s", "+5wd", "5", "wd", "d", "mo",
		"1.5d", "5 wd", "5w", "5y", "abc", "99999999999999999999wd", "3651wd", "36501d", "1201mo"} {
		if l, err := ParseLimit(in); err == nil {
			t.Errorf("ParseLimit(%q) = %+v, want an error", in, l)
		} else if !strings.Contains(err.Error(), "limit") {
			t.Errorf("ParseLimit(%q) error %q does not say it is a limit", in, err)
		}
	}
}

func TestLimitText(t *testing.T) {
	t.Parallel()
	type doc struct {
		Respond Limit `json:"respond"`
		Demo    Limit `json:"demo"`
	}
	b, err := json.Marshal(doc{Respond: Limit{WorkingDays: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"respond":"5wd","demo":""}`; got != want {
		t.Errorf("json.Marshal = %s, want %s", got, want)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"respond":"1mo","demo":""}`), &d); err != nil {
		t.Fatal(err)
	}
	if d.Respond != (Limit{Months: 1}) || !d.Demo.IsZero() {
		t.Errorf("json.Unmarshal = %+v", d)
	}
	if err := json.Unmarshal([]byte(`{"respond":"soon"}`), &d); err == nil {
		t.Errorf("json.Unmarshal of a bad limit succeeded")
	}
}

func BenchmarkDue(b *testing.B) {
	c := testCalendar(b)
	start := at(b, "2026-09-30 10:00:00")
	l := Limit{WorkingDays: 15}
	for b.Loop() {
		_ = c.Due(start, l)
	}
}

func BenchmarkRemaining(b *testing.B) {
	c := testCalendar(b)
	now, due := at(b, "2026-01-05 10:00:00"), at(b, "2026-12-20 10:00:00")
	for b.Loop() {
		_ = c.Remaining(now, due, true)
	}
}

func TestAddWorkingTime(t *testing.T) {
	t.Parallel()
	c := testCalendar(t)
	loc := c.Location()
	cases := []struct {
		name string
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"within the day", time.Date(2026, 11, 25, 10, 0, 0, 0, loc), 3 * time.Hour, time.Date(2026, 11, 25, 13, 0, 0, 0, loc)},
		{"over a weekend", time.Date(2026, 11, 27, 12, 0, 0, 0, loc), 24 * time.Hour, time.Date(2026, 11, 30, 12, 0, 0, 0, loc)},
		{"from a Sunday", time.Date(2026, 11, 29, 12, 0, 0, 0, loc), 2 * time.Hour, time.Date(2026, 11, 30, 2, 0, 0, 0, loc)},
		{"over 国庆: 09-30, 10-08, 10-09", time.Date(2026, 9, 30, 0, 0, 0, 0, loc), 72 * time.Hour, time.Date(2026, 10, 10, 0, 0, 0, 0, loc)},
		{"into the 调休 Saturday", time.Date(2026, 10, 9, 12, 0, 0, 0, loc), 13 * time.Hour, time.Date(2026, 10, 10, 1, 0, 0, 0, loc)},
		{"zero", time.Date(2026, 11, 25, 10, 0, 0, 0, loc), 0, time.Date(2026, 11, 25, 10, 0, 0, 0, loc)},
	}
	for _, tc := range cases {
		got := c.AddWorkingTime(tc.from, tc.d)
		if !got.Equal(tc.want) {
			t.Errorf("%s: AddWorkingTime = %v, want %v", tc.name, got.In(loc), tc.want)
		}
		if tc.d > 0 {
			if w := c.WorkingTime(tc.from, got); w != tc.d {
				t.Errorf("%s: WorkingTime back = %v, want %v", tc.name, w, tc.d)
			}
		}
	}
}
