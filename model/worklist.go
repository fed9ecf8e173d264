package model

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Worklists: what waits for an account now, the most urgent first (the
// console's home page, 我的待办). Each list asks for open cases in a few
// states; every state is read as its own range ordered by (due_at, id) —
// for regional scopes a range of idx_requests_status_due or
// idx_leads_status_due, read in order without sorting the region's cases —
// and the ranges are merged here, as the list by (region, status) pairs
// does (list_pairs.go).

// WaitingFilter selects open cases for a worklist.
type WaitingFilter struct {
	Statuses []string
	// OwnUnit keeps the cases of the scope's own unit (its department in its
	// home region): the ones a department account acts on, not those of the
	// units below it that it may read.
	OwnUnit bool
	// PendingExtension keeps the requests with an extension request waiting
	// for 工商联 (requests only).
	PendingExtension bool
	// Overdue keeps the cases past their deadline now.
	Overdue bool
	// Reviewable keeps the leads whose proposed disposal the scope's
	// account did not propose (报批: it may review them).
	Reviewable bool
	// Due keeps the cases with a deadline (a closed lead's feedback step).
	Due bool
	// Limit is the most cases answered (10 when 0).
	Limit int
}

func (f WaitingFilter) limit() int {
	if f.Limit <= 0 {
		return 10
	}
	return f.Limit
}

// worklistRequestColumns are the columns a worklist item shows: the whole
// row (content, answers, opinions) was most of the home page's cost.
var worklistRequestColumns = []string{"id", "created_at", "title", "status", "enterprise_id", "region_code",
	"department_code", "unit_region_code", "due_at", "due_working", "overdue", "supervised",
	"pending_extension_days", "reopen_count"}

// WaitingRequests lists the open requests the scope may see that f
// selects, earliest deadline first (so the longest overdue first), and
// whether more than f.Limit match; each with worklistRequestColumns only.
func (s *Store) WaitingRequests(ctx context.Context, sc Scope, f WaitingFilter) ([]Request, bool, error) {
	now := s.Now()
	return waiting(f, func(status string) *gorm.DB {
		db := s.db.WithContext(ctx).Model(&Request{})
		if f.PendingExtension {
			// Few requests wait for an extension decision, but the planner,
			// not knowing the bound value, prefers reading every in-progress
			// request in deadline order (0.5–0.8 s on a million requests,
			// 54,000 of them in progress) to sorting the few: read the
			// pending ones by their own index.
			db = db.Table(indexedBy(db, "requests", "idx_requests_pending_extension"))
		}
		q := requestUnitScope(db, sc).Select(worklistRequestColumns).Where("status = ?", status)
		if f.OwnUnit {
			q = q.Where("department_code = ? AND unit_region_code = ?", sc.DepartmentCode, sc.HomeRegion)
		}
		if f.PendingExtension {
			q = q.Where("pending_extension_days > ?", 0)
		}
		if f.Overdue {
			q = q.Where("due_at < ?", now)
		}
		return q
	}, func(r *Request) (*time.Time, uint64) { return r.DueAt, r.ID })
}

// WaitingLeads lists the open leads the scope may see that f selects,
// earliest deadline first, and whether more than f.Limit match. Like every
// lead read it goes through the lead scope: a department sees only the
// rectification tasks of its unit, and the subject of a lead never sees it.
func (s *Store) WaitingLeads(ctx context.Context, sc Scope, f WaitingFilter) ([]Lead, bool, error) {
	now := s.Now()
	return waiting(f, func(status string) *gorm.DB {
		q := leadScope(s.db.WithContext(ctx).Model(&Lead{}), sc).Select("id", "created_at", "status", "due_at", "due_working", "overdue").
			Where("status = ?", status)
		if f.OwnUnit {
			q = q.Where("rectify_department_code = ? AND rectify_region_code = ?", sc.DepartmentCode, sc.HomeRegion)
		}
		if f.Overdue {
			q = q.Where("due_at < ?", now)
		}
		if f.Reviewable {
			q = q.Where("proposed_by IS NOT NULL AND proposed_by <> ?", sc.AccountID)
		}
		if f.Due {
			q = q.Where("due_at IS NOT NULL")
		}
		return q
	}, func(l *Lead) (*time.Time, uint64) { return l.DueAt, l.ID })
}

// waiting reads, for each status of f, the first limit+1 cases of
// query(status) by (due_at, id), and merges them.
func waiting[T any](f WaitingFilter, query func(status string) *gorm.DB, key func(*T) (*time.Time, uint64)) ([]T, bool, error) {
	limit := f.limit()
	var all []T
	for _, st := range dedupe(f.Statuses) {
		var rows []T
		if err := query(st).Where("due_at IS NOT NULL").Order("due_at, id").Limit(limit + 1).Find(&rows).Error; err != nil {
			return nil, false, formatError(err)
		}
		all = append(all, rows...)
	}
	slices.SortFunc(all, func(a, b T) int {
		da, ia := key(&a)
		db, ib := key(&b)
		if c := da.Compare(*db); c != 0 {
			return c
		}
		switch {
		case ia < ib:
			return -1
		case ia > ib:
			return 1
		}
		return 0
	})
	if len(all) > limit {
		return all[:limit], true, nil
	}
	return all, false, nil
}

// AccountCount is the number of accounts of one role, enabled or not.
type AccountCount struct {
	Role     string
	Disabled bool
	// MustChange counts those whose password is still a generated one.
	MustChange int64
	N          int64
}

// CountAccounts counts the accounts in the scope's regions by role and
// whether they are disabled (the administrator's overview).
func (s *Store) CountAccounts(ctx context.Context, sc Scope) ([]AccountCount, error) {
	var out []AccountCount
	err := s.db.WithContext(ctx).Model(&Account{}).
		Select("role, disabled, SUM(CASE WHEN password_change_required THEN 1 ELSE 0 END) AS must_change, COUNT(*) AS n").
		Where("region_code IN ?", nonEmpty(sc.Regions)).Group("role, disabled").Order("role, disabled").Scan(&out).Error
	return out, formatError(err)
}

// EnterpriseNames returns the names of the enterprises with the given ids
// that the scope may see (an id out of scope is absent from the map).
func (s *Store) EnterpriseNames(ctx context.Context, sc Scope, ids ...uint64) (map[uint64]string, error) {
	out := map[uint64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Enterprise
	w, args := enterpriseScope(sc)
	if err := s.db.WithContext(ctx).Select("id", "name").Where(w, args...).Where("id IN ?", dedupeIDs(ids)).
		Find(&rows).Error; err != nil {
		return nil, formatError(err)
	}
	for _, e := range rows {
		out[e.ID] = e.Name
	}
	return out, nil
}

func dedupeIDs(ids []uint64) []uint64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
