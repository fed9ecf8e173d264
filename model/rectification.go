package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"qinqing/index"
	"qinqing/workflow"
)

// Rectification items (整改事项, docs/design.md#rectification-items):
// publishing an index turns each unit's 问题整改清单 into tracked items,
// each owned by a unit (the leaf's responsible department in the
// evaluated unit's region), due by the end of the next period; the owner
// unit reports progress, 工商联 closes the item (销号), and the share
// closed on time is tracker indicator T13 of the period the items fall due
// in.

// Statuses of a rectification item.
const (
	RectifyOpen   = "open"   // 整改中
	RectifyClosed = "closed" // 已销号
)

// RectifyDefaultOwner is the department that owns the items of leaves
// without a responsible department (tracker and survey leaves): the
// 工商联 of the unit's region.
const RectifyDefaultOwner = "gsl"

// RectifyMinWorkingDays is the least time an item gets: its due date is
// the end of the next period, but never earlier than this many working
// days after publication.
const RectifyMinWorkingDays = 15

// RectificationItem is one entry of a published 问题整改清单 under way.
type RectificationItem struct {
	ID             uint64 `gorm:"primaryKey"`
	RunID          uint64 `gorm:"not null"`
	Period         string `gorm:"size:8;not null;uniqueIndex:idx_rectification_key,priority:1"`
	UnitCode       string `gorm:"size:16;not null;uniqueIndex:idx_rectification_key,priority:2;index:idx_rectification_owner,priority:2"`
	IndicatorCode  string `gorm:"size:16;not null;uniqueIndex:idx_rectification_key,priority:3"`
	IndicatorName  string `gorm:"size:128;not null"`
	Kind           string `gorm:"size:8;not null"`
	DepartmentCode string `gorm:"size:16;not null;index:idx_rectification_owner,priority:1"`
	// Gap says in Chinese what is to be rectified: the score, rank and
	// gap to the best, or the value not submitted.
	Gap    string    `gorm:"type:text;not null"`
	Status string    `gorm:"size:16;not null;index:idx_rectification_due,priority:1"`
	DueAt  time.Time `gorm:"not null;index:idx_rectification_due,priority:2"`
	// DueSoonSent and Overdue: the scanner sent the item's reminder, and
	// marked it overdue (with a notice), each once.
	DueSoonSent  bool       `gorm:"not null"`
	Overdue      bool       `gorm:"not null"`
	ReportCount  int        `gorm:"not null"`
	LastReportAt *time.Time ``
	ClosedAt     *time.Time ``
	ClosedBy     *uint64    ``
	CloseNote    string     `gorm:"type:text;not null"`
	Version      int        `gorm:"not null"`
	CreatedAt    time.Time  `gorm:"not null"`
}

// RectificationReport is a progress report of the owner unit.
type RectificationReport struct {
	ID        uint64    `gorm:"primaryKey"`
	ItemID    uint64    `gorm:"not null;index"`
	AccountID uint64    `gorm:"not null"`
	Content   string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// OnTime reports whether a closed item was closed by its due date (nil
// while it is open).
func (it *RectificationItem) OnTime() *bool {
	if it.ClosedAt == nil {
		return nil
	}
	b := !it.ClosedAt.After(it.DueAt)
	return &b
}

// Errors of rectification items.
var (
	// ErrItemClosed: the item is closed (销号) and takes no more reports
	// or closing (409).
	ErrItemClosed = errors.New("model: the rectification item is closed")
	// ErrNoReport: an item is closed only after the owner unit reported
	// progress at least once (409).
	ErrNoReport = errors.New("model: the rectification item has no progress report")
)

// nextPeriodEnd is the last second of the period after p (a month,
// quarter or year after it), in loc: a deadline that falls in that period.
func nextPeriodEnd(p Period, loc *time.Location) time.Time {
	months := 12
	switch {
	case strings.Contains(p.Name, "-Q"):
		months = 3
	case strings.Contains(p.Name, "-"):
		months = 1
	}
	return p.To.In(loc).AddDate(0, months, 0).Add(-time.Second).UTC()
}

// RectifyDue is when the items of a run of period p published at now are
// due: the end of the next period, and at least RectifyMinWorkingDays
// working days after now.
func (s *Store) RectifyDue(p Period, now time.Time) time.Time {
	due := nextPeriodEnd(p, s.cal.Location())
	if least := s.cal.Due(now, workflow.Limit{WorkingDays: RectifyMinWorkingDays}); due.Before(least) {
		due = least
	}
	return due
}

// createRectificationItems turns the 问题整改清单 of the published run r
// into items inside tx, and tells each owner unit how many it got. An item
// already created for the same period, unit and indicator (by an earlier
// version of the period) is kept as it is.
func (s *Store) createRectificationItems(tx *gorm.DB, r *IndexRun, now time.Time) error {
	var doc struct{ ReportJSON string }
	if err := tx.Model(&IndexRun{}).Select("report_json").Where("id = ?", r.ID).Take(&doc).Error; err != nil {
		return err
	}
	var rep index.Report
	if err := json.Unmarshal([]byte(doc.ReportJSON), &rep); err != nil {
		return fmt.Errorf("model: run %d report: %w", r.ID, err)
	}
	per, err := ParsePeriod(r.Period, s.cal.Location())
	if err != nil {
		return err
	}
	due := s.RectifyDue(per, now)
	names := map[string]string{}
	for _, u := range rep.Units {
		names[u.Code] = u.Name
	}
	var existing []struct{ UnitCode, IndicatorCode string }
	if err := tx.Model(&RectificationItem{}).Select("unit_code", "indicator_code").Where("period = ?", r.Period).
		Scan(&existing).Error; err != nil {
		return err
	}
	had := map[[2]string]bool{}
	for _, e := range existing {
		had[[2]string{e.UnitCode, e.IndicatorCode}] = true
	}
	var items []RectificationItem
	perOwner := map[[2]string]int{}
	var owners [][2]string
	for _, u := range rep.Units {
		for _, it := range u.Rectify {
			if had[[2]string{u.Code, it.Code}] {
				continue
			}
			owner := it.Owner
			if owner == "" {
				owner = RectifyDefaultOwner
			}
			items = append(items, RectificationItem{RunID: r.ID, Period: r.Period, UnitCode: u.Code, IndicatorCode: it.Code,
				IndicatorName: it.Name, Kind: it.Kind, DepartmentCode: owner, Gap: gapText(it, names), Status: RectifyOpen,
				DueAt: due, Version: 1, CreatedAt: now})
			key := [2]string{owner, u.Code}
			if perOwner[key] == 0 {
				owners = append(owners, key)
			}
			perOwner[key]++
		}
	}
	if len(items) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(&items, 500).Error; err != nil {
		return err
	}
	dueText := due.In(s.cal.Location()).Format("2006年1月2日")
	for _, o := range owners {
		n := NewNotice{Kind: NoticeRectifyAssigned, Title: "新的整改事项：" + r.Period + " 亲清健康指数",
			Body: fmt.Sprintf("%s 亲清健康指数已发布，%s 的问题整改清单中有 %d 项由本单位负责整改，请于 %s 前完成并报送整改进展。",
				r.Period, names[o[1]], perOwner[o], dueText),
			ObjectKind: ObjectRectificationList, ObjectID: r.Period,
			DedupKey: "rectify_assigned:" + strconv.FormatUint(r.ID, 10) + ":" + o[0] + ":" + o[1]}
		if _, err := s.NotifyUnit(tx, now, o[0], o[1], n); err != nil {
			return err
		}
	}
	return nil
}

// gapText words a 问题整改清单 entry in Chinese.
func gapText(it index.RectifyItem, names map[string]string) string {
	if it.Kind == index.RectifyData {
		return "指标值未报送，测算时按缺失处理"
	}
	var b strings.Builder
	if it.Score != nil {
		fmt.Fprintf(&b, "得分 %.2f，", *it.Score)
	}
	fmt.Fprintf(&b, "排名 %d/%d", it.Rank, it.N)
	if it.ScoreGap != nil {
		var bench []string
		for _, c := range it.Benchmarks {
			bench = append(bench, names[c])
		}
		fmt.Fprintf(&b, "，与最优（%s）差 %.2f 分", strings.Join(bench, "、"), *it.ScoreGap)
	}
	if it.Raw != nil && it.BestRaw != nil {
		fmt.Fprintf(&b, "；本单位 %s %s，最优 %s %s", strconv.FormatFloat(*it.Raw, 'f', -1, 64), it.Unit,
			strconv.FormatFloat(*it.BestRaw, 'f', -1, 64), it.Unit)
	}
	return b.String()
}

// ItemFilter narrows a list of rectification items.
type ItemFilter struct {
	// Scope: the units the caller may see; Department: only this owner.
	Scope      RegionSet
	Department string
	Period     string
	UnitCode   string
	Status     string
	Overdue    *bool
}

// ListRectificationItems lists items newest first.
func (s *Store) ListRectificationItems(ctx context.Context, f ItemFilter, p Page) ([]RectificationItem, uint64, error) {
	q := s.db.WithContext(ctx).Model(&RectificationItem{})
	if !f.Scope.all {
		q = q.Where("unit_code IN ?", nonEmpty(keys(f.Scope.codes)))
	}
	if f.Department != "" {
		q = q.Where("department_code = ?", f.Department)
	}
	if f.Period != "" {
		q = q.Where("period = ?", f.Period)
	}
	if f.UnitCode != "" {
		q = q.Where("unit_code = ?", f.UnitCode)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Overdue != nil {
		now := s.Now()
		if *f.Overdue {
			q = q.Where("status = ? AND due_at < ?", RectifyOpen, now)
		} else {
			q = q.Where("NOT (status = ? AND due_at < ?)", RectifyOpen, now)
		}
	}
	var out []RectificationItem
	next, err := pageQuery(q, p, &out, func(i int) uint64 { return out[i].ID })
	return out, next, err
}

// GetRectificationItem returns item id with its reports, oldest first.
func (s *Store) GetRectificationItem(ctx context.Context, id uint64) (*RectificationItem, []RectificationReport, error) {
	var it RectificationItem
	db := s.db.WithContext(ctx)
	if err := db.Take(&it, id).Error; err != nil {
		return nil, nil, formatError(err)
	}
	var reps []RectificationReport
	if err := db.Where("item_id = ?", id).Order("id").Find(&reps).Error; err != nil {
		return nil, nil, formatError(err)
	}
	return &it, reps, nil
}

// ItemGuard decides, on the item read inside the transaction, whether the
// caller may act on it: ErrNotFound when it may not see it.
type ItemGuard func(it *RectificationItem) error

// ReportRectification adds account's progress report to item id, the
// owner unit telling 工商联 of the unit's region. ErrItemClosed once it
// is closed; ErrVersionConflict when expected (not 0) is stale.
func (s *Store) ReportRectification(ctx context.Context, id, account uint64, content string, expected int, guard ItemGuard) (*RectificationItem, error) {
	return s.changeItem(ctx, id, expected, guard, func(tx *gorm.DB, it *RectificationItem, now time.Time) (map[string]any, error) {
		if err := tx.Create(&RectificationReport{ItemID: it.ID, AccountID: account, Content: content, CreatedAt: now}).Error; err != nil {
			return nil, err
		}
		it.ReportCount++
		it.LastReportAt = &now
		n := NewNotice{Kind: NoticeRectifyReported, Title: "整改进展：" + it.IndicatorName,
			Body:       fmt.Sprintf("%s %s 的整改事项（%s）报送了第 %d 次整改进展，请审核，整改到位后销号。", it.Period, s.unitName(it.UnitCode), it.IndicatorName, it.ReportCount),
			ObjectKind: ObjectRectificationItem, ObjectID: strconv.FormatUint(it.ID, 10)}
		if err := s.notifyNearest(tx, now, "acfic", it.UnitCode, n); err != nil {
			return nil, err
		}
		return map[string]any{"report_count": it.ReportCount, "last_report_at": now}, nil
	})
}

// CloseRectification closes (销号) item id: 工商联 accepts the
// rectification. ErrItemClosed when closed already; ErrNoReport before
// the owner unit reported any progress.
func (s *Store) CloseRectification(ctx context.Context, id, by uint64, note string, expected int, guard ItemGuard) (*RectificationItem, error) {
	return s.changeItem(ctx, id, expected, guard, func(tx *gorm.DB, it *RectificationItem, now time.Time) (map[string]any, error) {
		if it.ReportCount == 0 {
			return nil, ErrNoReport
		}
		it.Status, it.ClosedAt, it.ClosedBy, it.CloseNote = RectifyClosed, &now, &by, note
		onTime := "按期"
		if now.After(it.DueAt) {
			onTime = "逾期"
		}
		n := NewNotice{Kind: NoticeRectifyClosed, Title: "整改事项已销号：" + it.IndicatorName,
			Body:       fmt.Sprintf("%s %s 的整改事项（%s）已由工商联销号（%s完成）。", it.Period, s.unitName(it.UnitCode), it.IndicatorName, onTime),
			ObjectKind: ObjectRectificationItem, ObjectID: strconv.FormatUint(it.ID, 10)}
		if _, err := s.NotifyUnit(tx, now, it.DepartmentCode, it.UnitCode, n); err != nil {
			return nil, err
		}
		return map[string]any{"status": RectifyClosed, "closed_at": now, "closed_by": by, "close_note": note}, nil
	})
}

// changeItem reads item id in a transaction, checks guard, that it is
// open and at version expected (when not 0), applies change and bumps the
// version.
func (s *Store) changeItem(ctx context.Context, id uint64, expected int, guard ItemGuard,
	change func(tx *gorm.DB, it *RectificationItem, now time.Time) (map[string]any, error)) (*RectificationItem, error) {
	var out RectificationItem
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var it RectificationItem
		if err := tx.Take(&it, id).Error; err != nil {
			return err
		}
		if err := guard(&it); err != nil {
			return err
		}
		if it.Status != RectifyOpen {
			return ErrItemClosed
		}
		if expected != 0 && expected != it.Version {
			return ErrVersionConflict
		}
		now := s.Now()
		set, err := change(tx, &it, now)
		if err != nil {
			return err
		}
		set["version"] = it.Version + 1
		res := tx.Model(&RectificationItem{}).Where("id = ? AND version = ?", it.ID, it.Version).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrVersionConflict
		}
		it.Version++
		out = it
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// unitName names an evaluated unit's region.
func (s *Store) unitName(code string) string {
	if r, ok := s.ref.Regions[code]; ok {
		return r.Name
	}
	return code
}

// notifyNearest notifies the accounts of role at region or, where it has
// none, at the nearest region above it that has some (noticeCache.role).
func (s *Store) notifyNearest(tx *gorm.DB, now time.Time, role, region string, n NewNotice) error {
	c := newNoticeCache()
	ids, err := c.role(s, tx, role, region)
	if err != nil || len(ids) == 0 {
		return err
	}
	_, err = notify(tx, now, n, c.channels, ids...)
	return err
}

// scanRectificationItems sends the reminders of open items: once when an
// item is due soon (to its owner unit), once when it is overdue (to its
// owner unit and 工商联 of its region), each item claimed by a
// conditional UPDATE so that several scanners send each once.
func (s *Store) scanRectificationItems(ctx context.Context, now time.Time) (ScanResult, error) {
	var res ScanResult
	cutW, _ := s.DueSoonCutoffs(now)
	db := s.db.WithContext(ctx)
	var due []RectificationItem
	res.Statements++
	err := db.Where("status = ? AND ((due_at <= ? AND overdue = ?) OR (due_at > ? AND due_at < ? AND due_soon_sent = ?))",
		RectifyOpen, now, false, now, cutW, false).Order("id").Limit(scanBatch).Find(&due).Error
	if err != nil {
		return res, formatError(err)
	}
	for _, it := range due {
		overdue := !now.Before(it.DueAt)
		if overdue && it.Overdue || !overdue && it.DueSoonSent {
			continue
		}
		err := s.inTx(ctx, func(tx *gorm.DB) error {
			col := "due_soon_sent"
			if overdue {
				col = "overdue"
			}
			claim := tx.Model(&RectificationItem{}).Where("id = ? AND status = ? AND "+col+" = ?", it.ID, RectifyOpen, false).
				Updates(map[string]any{col: true, "due_soon_sent": true})
			if claim.Error != nil || claim.RowsAffected == 0 {
				return claim.Error
			}
			dueText := it.DueAt.In(s.cal.Location()).Format("2006年1月2日 15:04")
			n := NewNotice{Kind: NoticeRectifyDueSoon, Title: "整改事项即将到期：" + it.IndicatorName,
				Body: fmt.Sprintf("%s %s 的整改事项（%s）将于 %s 到期，请按期完成并报送整改进展。", it.Period, s.unitName(it.UnitCode),
					it.IndicatorName, dueText),
				ObjectKind: ObjectRectificationItem, ObjectID: strconv.FormatUint(it.ID, 10)}
			if overdue {
				n.Kind, n.Title = NoticeRectifyOverdue, "整改事项已逾期："+it.IndicatorName
				n.Body = fmt.Sprintf("%s %s 的整改事项（%s）已于 %s 到期，尚未销号。", it.Period, s.unitName(it.UnitCode), it.IndicatorName, dueText)
				if err := s.notifyNearest(tx, now, "acfic", it.UnitCode, n); err != nil {
					return err
				}
			}
			k, err := s.NotifyUnit(tx, now, it.DepartmentCode, it.UnitCode, n)
			res.Notices += k
			return err
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// rectificationStats computes T13 整改清单按期销号率 over the regions
// (docs/index-method.md#tracker-indicators): of the rectification items
// of evaluated units in the regions falling due in [from, to) and due by
// asOf, the share closed (销号) by their due date. Items are counted in the
// period they fall due in, so the items of one index are an indicator of
// the next. One aggregate statement, grouped by unit as g says.
func (s *Store) rectificationStats(_ context.Context, db *gorm.DB, regions []string, g regionGroup, from, to, asOf time.Time) (func(scope []string) []Rate, error) {
	var rows []struct {
		RegionCode  string
		Due, OnTime int64
	}
	agg := "COUNT(*) AS due, COALESCE(SUM(CASE WHEN closed_at IS NOT NULL AND closed_at <= due_at THEN 1 ELSE 0 END), 0) AS on_time"
	q := db.Model(&RectificationItem{}).Where("unit_code IN ? AND due_at >= ? AND due_at < ? AND due_at <= ?", regions, from, to, asOf)
	if g {
		q = q.Select("unit_code AS region_code, " + agg).Group("unit_code")
	} else {
		q = q.Select(agg)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	byRegion := map[string][2]int64{}
	for _, r := range rows {
		byRegion[r.RegionCode] = [2]int64{r.Due, r.OnTime}
	}
	return func(scope []string) []Rate {
		var due, onTime int64
		for _, k := range g.keys(scope) {
			due += byRegion[k][0]
			onTime += byRegion[k][1]
		}
		return []Rate{rate("T13", float64(onTime), float64(due), 100)}
	}, nil
}
