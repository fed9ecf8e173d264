package model

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"qinqing/configs"
	"qinqing/workflow"
)

// Closing the index loop (docs/design.md#index-loop): 工商联 opens a
// period's collection of department-submitted values with a due date; the
// store tells who has submitted and who is late, reminds late and due-soon
// departments through notices, and records 工商联's confirmation that the
// period's values are complete, without which no run of the period is
// published.

// SubmissionWorkingDays is how many working days after its period ends a
// period's values are due when 工商联 gives no due date.
const SubmissionWorkingDays = 10

// IndexPeriod is a period whose values 工商联 collects: opened once, with
// its due date; confirmed (and confirmed again after a later submission)
// before a run of it is published.
type IndexPeriod struct {
	ID       uint64    `gorm:"primaryKey"`
	Period   string    `gorm:"size:8;not null;uniqueIndex"`
	DueAt    time.Time `gorm:"not null"`
	OpenedBy uint64    `gorm:"not null"`
	OpenedAt time.Time `gorm:"not null"`
	// ConfirmedAt and ConfirmedBy: 工商联's latest confirmation.
	ConfirmedAt *time.Time ``
	ConfirmedBy *uint64    ``
	// ConfirmedMark is the highest indicator_values id of the period when
	// it was confirmed: a value stored after it voids the confirmation.
	ConfirmedMark uint64 `gorm:"not null"`
	// ConfirmedRunMark is the highest index_runs id when it was confirmed:
	// only a run computed after the confirmation is published.
	ConfirmedRunMark uint64 `gorm:"not null"`
	// ConfirmedMissing is how many expected values were missing then
	// (confirmed knowingly, accept_missing).
	ConfirmedMissing int `gorm:"not null"`
	// DueSoonSentAt and OverdueSentAt: when the scanner sent the period's
	// reminders (each once).
	DueSoonSentAt *time.Time ``
	OverdueSentAt *time.Time ``
}

// Errors of the index loop.
var (
	// ErrNotConfirmed: the run's period has no current confirmation of
	// its values, or the run was computed before it (409).
	ErrNotConfirmed = errors.New("model: the period's values are not confirmed")
	// ErrIncomplete: values are missing and the confirmation did not
	// accept it (409).
	ErrIncomplete = errors.New("model: values of the period are missing")
)

// NotConfirmedError says why a run may not be published yet.
type NotConfirmedError struct{ Why string }

func (e *NotConfirmedError) Error() string { return "model: not confirmed: " + e.Why }
func (e *NotConfirmedError) Unwrap() error { return ErrNotConfirmed }

// IncompleteError: Missing expected values were not submitted (ErrIncomplete).
type IncompleteError struct{ Missing int }

func (e *IncompleteError) Error() string { return fmt.Sprintf("model: %d values missing", e.Missing) }
func (e *IncompleteError) Unwrap() error { return ErrIncomplete }

// Why a run may not be published (NotConfirmedError.Why).
const (
	NotOpened        = "not_opened"     // the period was never opened for collection
	NotYetConfirm    = "not_confirmed"  // opened but never confirmed
	ValuesChanged    = "values_changed" // a value arrived after the confirmation
	RunBeforeConfirm = "run_predates"   // the run was computed before the confirmation
)

// OpenPeriod opens the collection of period p's values, due at due.
// ErrConflict when it is open already.
func (s *Store) OpenPeriod(ctx context.Context, p Period, due time.Time, by uint64) (*IndexPeriod, error) {
	row := &IndexPeriod{Period: p.Name, DueAt: due.UTC(), OpenedBy: by, OpenedAt: s.Now()}
	if err := s.inTx(ctx, func(tx *gorm.DB) error { return tx.Create(row).Error }); err != nil {
		return nil, err
	}
	return row, nil
}

// DefaultDue is when period p's values are due by default: SubmissionLimit
// after its end.
func (s *Store) DefaultDue(p Period) time.Time {
	return s.cal.Due(p.To, workflow.Limit{WorkingDays: SubmissionWorkingDays})
}

// FindPeriod returns the opened period name, or ErrNotFound.
func (s *Store) FindPeriod(ctx context.Context, name string) (*IndexPeriod, error) {
	var row IndexPeriod
	if err := s.db.WithContext(ctx).Where("period = ?", name).Take(&row).Error; err != nil {
		return nil, formatError(err)
	}
	return &row, nil
}

// Expected is one value a period expects: a submitted leaf for an
// evaluated unit, with its owner department.
type Expected struct {
	IndicatorCode, IndicatorName, Owner string
	UnitCode, UnitName                  string
	// FirstAt and LastAt: the first and the latest submission (nil: none).
	FirstAt, LastAt *time.Time
	Submissions     int
}

// Submitted reports whether the value was submitted.
func (e Expected) Submitted() bool { return e.FirstAt != nil }

// expectedValues lists the values period expects under tree (every
// submitted leaf for every evaluated unit, in tree then unit order) with
// their submissions so far, reading one grouped query on db.
func (s *Store) expectedValues(db *gorm.DB, tree configs.IndicatorTree, period string) ([]Expected, uint64, error) {
	// SQLite answers MIN(created_at) as text: take the ids of the first
	// and the latest submission, then their times.
	var rows []struct {
		IndicatorCode, RegionCode string
		First, Mark               uint64
		N                         int
	}
	err := db.Model(&IndicatorValue{}).
		Select("indicator_code, region_code, MIN(id) AS first, MAX(id) AS mark, COUNT(*) AS n").
		Where("period = ?", period).Group("indicator_code, region_code").Scan(&rows).Error
	if err != nil {
		return nil, 0, err
	}
	ids := make([]uint64, 0, 2*len(rows))
	for _, r := range rows {
		ids = append(ids, r.First, r.Mark)
	}
	at := map[uint64]time.Time{}
	for chunk := range slices.Chunk(ids, 500) {
		var times []IndicatorValue
		if err := db.Select("id", "created_at").Where("id IN ?", chunk).Find(&times).Error; err != nil {
			return nil, 0, err
		}
		for _, v := range times {
			at[v.ID] = v.CreatedAt.UTC()
		}
	}
	type sub struct {
		first, last time.Time
		n           int
	}
	got := map[[2]string]sub{}
	var mark uint64
	for _, r := range rows {
		got[[2]string{r.IndicatorCode, r.RegionCode}] = sub{at[r.First], at[r.Mark], r.N}
		mark = max(mark, r.Mark)
	}
	units := s.EvaluatedUnits()
	var out []Expected
	for _, l := range tree.Leaves() {
		if l.Source != configs.SourceSubmitted {
			continue
		}
		for _, u := range units {
			e := Expected{IndicatorCode: l.Code, IndicatorName: l.Name, Owner: l.Owner, UnitCode: u.Code, UnitName: u.Name}
			if x, ok := got[[2]string{l.Code, u.Code}]; ok {
				e.FirstAt, e.LastAt, e.Submissions = &x.first, &x.last, x.n
			}
			out = append(out, e)
		}
	}
	return out, mark, nil
}

// Submissions lists what period expects under the tree in force, with
// what was submitted and when.
func (s *Store) Submissions(ctx context.Context, period string) ([]Expected, configs.IndicatorTree, error) {
	tree, _, err := s.ActiveTree(ctx)
	if err != nil {
		return nil, tree, err
	}
	out, _, err := s.expectedValues(s.db.WithContext(ctx), tree, period)
	return out, tree, formatError(err)
}

// ConfirmPeriod records 工商联's confirmation that the opened period's
// values are complete. With values missing it is refused (ErrIncomplete,
// wrapped with the count) unless acceptMissing. Confirming again replaces
// the confirmation (after a late submission voided it).
func (s *Store) ConfirmPeriod(ctx context.Context, name string, by uint64, acceptMissing bool) (*IndexPeriod, error) {
	tree, _, err := s.ActiveTree(ctx)
	if err != nil {
		return nil, err
	}
	var out IndexPeriod
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("period = ?", name).Take(&out).Error; err != nil {
			return err
		}
		exp, mark, err := s.expectedValues(tx, tree, name)
		if err != nil {
			return err
		}
		missing := 0
		for _, e := range exp {
			if !e.Submitted() {
				missing++
			}
		}
		if missing > 0 && !acceptMissing {
			return &IncompleteError{Missing: missing}
		}
		var runMark uint64
		if err := tx.Model(&IndexRun{}).Select("COALESCE(MAX(id), 0)").Scan(&runMark).Error; err != nil {
			return err
		}
		now := s.Now()
		out.ConfirmedAt, out.ConfirmedBy, out.ConfirmedMark, out.ConfirmedRunMark, out.ConfirmedMissing = &now, &by, mark, runMark, missing
		return tx.Model(&IndexPeriod{}).Where("id = ?", out.ID).Updates(map[string]any{"confirmed_at": now,
			"confirmed_by": by, "confirmed_mark": mark, "confirmed_run_mark": runMark, "confirmed_missing": missing}).Error
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// publishable checks, inside tx, that run r's period is confirmed, that
// no value arrived since, and that r was computed after the confirmation.
func publishable(tx *gorm.DB, r *IndexRun) error {
	p, err := confirmation(tx, r.Period)
	if err != nil {
		return err
	}
	if r.ID <= p.ConfirmedRunMark {
		return &NotConfirmedError{Why: RunBeforeConfirm}
	}
	return nil
}

// confirmation returns the opened period's row when its values are
// confirmed and unchanged since, else a NotConfirmedError.
func confirmation(tx *gorm.DB, period string) (*IndexPeriod, error) {
	var ps []IndexPeriod
	if err := tx.Where("period = ?", period).Limit(1).Find(&ps).Error; err != nil {
		return nil, err
	}
	switch {
	case len(ps) == 0:
		return nil, &NotConfirmedError{Why: NotOpened}
	case ps[0].ConfirmedAt == nil:
		return nil, &NotConfirmedError{Why: NotYetConfirm}
	}
	var later int64
	if err := tx.Model(&IndicatorValue{}).Where("period = ? AND id > ?", period, ps[0].ConfirmedMark).Count(&later).Error; err != nil {
		return nil, err
	}
	if later > 0 {
		return nil, &NotConfirmedError{Why: ValuesChanged}
	}
	return &ps[0], nil
}

// ConfirmationState says whether period's values are confirmed and
// unchanged since: "" when they are, else a NotConfirmedError's Why.
func (s *Store) ConfirmationState(ctx context.Context, period string) (string, error) {
	_, err := confirmation(s.db.WithContext(ctx), period)
	var nc *NotConfirmedError
	if errors.As(err, &nc) {
		return nc.Why, nil
	}
	return "", formatError(err)
}

// scanSubmissionReminders sends the reminders of the opened, unconfirmed
// periods: once when the due date is near (within the due-soon
// threshold) and once when it has passed, each to the department accounts
// that still owe values. The period row is claimed by a conditional
// UPDATE, so several scanners send each reminder once.
func (s *Store) scanSubmissionReminders(ctx context.Context, now time.Time) (ScanResult, error) {
	var res ScanResult
	var ps []IndexPeriod
	res.Statements++
	err := s.db.WithContext(ctx).Where("confirmed_at IS NULL AND overdue_sent_at IS NULL").Order("id").Find(&ps).Error
	if err != nil {
		return res, formatError(err)
	}
	cutW, _ := s.DueSoonCutoffs(now)
	for _, p := range ps {
		var kind, col string
		switch {
		case !now.Before(p.DueAt):
			kind, col = NoticeSubmissionOverdue, "overdue_sent_at"
		case p.DueSoonSentAt == nil && p.DueAt.Before(cutW):
			kind, col = NoticeSubmissionDueSoon, "due_soon_sent_at"
		default:
			continue
		}
		tree, _, err := s.ActiveTree(ctx)
		if err != nil {
			return res, err
		}
		err = s.inTx(ctx, func(tx *gorm.DB) error {
			set := map[string]any{col: now}
			if kind == NoticeSubmissionOverdue {
				set["due_soon_sent_at"] = gorm.Expr("COALESCE(due_soon_sent_at, ?)", now)
			}
			claim := tx.Model(&IndexPeriod{}).Where("id = ? AND confirmed_at IS NULL AND "+col+" IS NULL", p.ID).Updates(set)
			if claim.Error != nil || claim.RowsAffected == 0 {
				return claim.Error
			}
			n, err := s.remindSubmissions(tx, now, tree, p, kind)
			res.Notices += n
			return err
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// remindSubmissions notifies every department account that owes values
// of period p (an owner department's account whose region is an evaluated
// unit's region or above it), one notice per account listing what it
// owes.
func (s *Store) remindSubmissions(tx *gorm.DB, now time.Time, tree configs.IndicatorTree, p IndexPeriod, kind string) (int, error) {
	exp, _, err := s.expectedValues(tx, tree, p.Period)
	if err != nil {
		return 0, err
	}
	owed := map[string][]Expected{} // department → missing values
	for _, e := range exp {
		if !e.Submitted() {
			owed[e.Owner] = append(owed[e.Owner], e)
		}
	}
	if len(owed) == 0 {
		return 0, nil
	}
	var accounts []Account
	err = tx.Select("id", "region_code", "department_code").Where("role = ? AND disabled = ? AND department_code IN ?",
		"department", false, keys(owed)).Order("id").Find(&accounts).Error
	if err != nil {
		return 0, err
	}
	due := p.DueAt.In(s.cal.Location()).Format("2006年1月2日 15:04")
	sent := 0
	for _, a := range accounts {
		var mine []Expected
		for _, e := range owed[*a.DepartmentCode] {
			if s.covers(a.RegionCode, e.UnitCode) {
				mine = append(mine, e)
			}
		}
		if len(mine) == 0 {
			continue
		}
		n := NewNotice{Kind: kind, ObjectKind: ObjectIndexPeriod, ObjectID: p.Period, DedupKey: kind + ":" + p.Period}
		if kind == NoticeSubmissionOverdue {
			n.Title = "指标数据报送已逾期：" + p.Period
			n.Body = fmt.Sprintf("%s 的指标数据已于 %s 截止报送，本单位尚有 %d 项未报送：%s。请尽快报送。", p.Period, due, len(mine), owedList(mine))
		} else {
			n.Title = "指标数据即将截止报送：" + p.Period
			n.Body = fmt.Sprintf("%s 的指标数据将于 %s 截止报送，本单位尚有 %d 项未报送：%s。", p.Period, due, len(mine), owedList(mine))
		}
		k, err := Notify(tx, now, n, a.ID)
		if err != nil {
			return sent, err
		}
		sent += k
	}
	return sent, nil
}

// owedList names up to five missing values ("海曙区 民营经济增加值增速"),
// then how many more.
func owedList(es []Expected) string {
	names := make([]string, 0, 5)
	for _, e := range es[:min(len(es), 5)] {
		names = append(names, e.UnitName+" "+e.IndicatorName)
	}
	out := strings.Join(names, "；")
	if len(es) > len(names) {
		out += fmt.Sprintf(" 等 %d 项", len(es))
	}
	return out
}

// covers reports whether region is unit or above it in the region tree.
func (s *Store) covers(region, unit string) bool {
	for code := unit; code != ""; code = s.ref.Regions[code].ParentCode {
		if code == region {
			return true
		}
		if _, ok := s.ref.Regions[code]; !ok {
			return false
		}
	}
	return false
}
