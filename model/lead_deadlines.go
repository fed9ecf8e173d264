package model

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// Leads on the deadline scanner, the deadline board and the tracker
// statistics, plugged into the hooks of scanner.go, deadlines.go and stats.go.

// leadScanStatuses are the lead states that may carry a deadline: the open
// ones, and the end states while the feedback to a named reporter is due.
var leadScanStatuses = statusStrings(workflow.Lead.DeadlineStatuses())

// scanLeadsOverdue marks leads whose step deadline passed, one overdue event
// per step. Unlike requests, an overdue lead is not escalated to 督办: the
// inspectors who would supervise it are the ones handling it.
func (s *Store) scanLeadsOverdue(ctx context.Context, now time.Time) (ScanResult, error) {
	var res ScanResult
	for {
		n, err := claimBatch(s, ctx, &res,
			s.db.Model(&Lead{}).Where("status IN ? AND overdue = ? AND due_at < ?", leadScanStatuses, false, now),
			func(tx *gorm.DB, ids []uint64, token string) *gorm.DB {
				return tx.Model(&Lead{}).Where("id IN ? AND status IN ? AND overdue = ? AND due_at < ?", ids, leadScanStatuses, false, now).
					Updates(map[string]any{"overdue": true, "scan_token": token})
			},
			func(tx *gorm.DB, rows []Lead) error {
				res.Overdue += len(rows)
				res.Statements += 1 + len(s.opt.Webhooks)
				evs := make([]*Event, 0, len(rows))
				for i := range rows {
					_, recs := workflow.Overdue(workflow.Lead, rows[i].item(now), s.cal.Location())
					evs = append(evs, recordEvent(&rows[i], recs[0], systemActor(), now))
				}
				if err := s.insertEvents(tx, evs...); err != nil {
					return err
				}
				return s.notifyLeadRows(tx, now, rows, workflow.EventOverdue)
			})
		if err != nil || n < scanBatch {
			return res, err
		}
	}
}

// scanLeadsDueSoon writes one due_soon reminder per lead step.
func (s *Store) scanLeadsDueSoon(ctx context.Context, now time.Time) (ScanResult, error) {
	var res ScanResult
	cutW, cutC := s.DueSoonCutoffs(now)
	cond := "status IN ? AND overdue = ? AND due_soon = ? AND due_at >= ? AND ((due_working = ? AND due_at < ?) OR (due_working = ? AND due_at < ?))"
	args := []any{leadScanStatuses, false, false, now, true, cutW, false, cutC}
	for {
		n, err := claimBatch(s, ctx, &res, s.db.Model(&Lead{}).Where(cond, args...),
			func(tx *gorm.DB, ids []uint64, token string) *gorm.DB {
				return tx.Model(&Lead{}).Where("id IN ?", ids).Where(cond, args...).
					Updates(map[string]any{"due_soon": true, "scan_token": token})
			},
			func(tx *gorm.DB, rows []Lead) error {
				res.DueSoon += len(rows)
				res.Statements += 1 + len(s.opt.Webhooks)
				evs := make([]*Event, 0, len(rows))
				for i := range rows {
					evs = append(evs, recordEvent(&rows[i], workflow.DueSoon(workflow.Lead, rows[i].item(now), s.cal.Location()), systemActor(), now))
				}
				if err := s.insertEvents(tx, evs...); err != nil {
					return err
				}
				return s.notifyLeadRows(tx, now, rows, workflow.EventDueSoon)
			})
		if err != nil || n < scanBatch {
			return res, err
		}
	}
}

// countLeadDeadlines counts open lead steps overdue and due soon.
func (s *Store) countLeadDeadlines(ctx context.Context, now, cutW, cutC time.Time) (over, soon int64, err error) {
	q := s.db.WithContext(ctx).Model(&Lead{}).Where("status IN ?", leadScanStatuses)
	if err := q.Session(&gorm.Session{}).Where("due_at < ?", now).Count(&over).Error; err != nil {
		return 0, 0, formatError(err)
	}
	err = q.Session(&gorm.Session{}).Where("due_at >= ? AND ((due_working = ? AND due_at < ?) OR (due_working = ? AND due_at < ?))",
		now, true, cutW, false, cutC).Count(&soon).Error
	return over, soon, formatError(err)
}

// boardLeadQuery is the open lead steps of the scope under the filter's
// region and department. A department's deadline on a lead is its
// rectification, and it is placed by the unit's region, not by where the
// lead happened (which only inspectors see).
func (s *Store) boardLeadQuery(ctx context.Context, sc Scope, f DeadlineFilter, statuses []string) *gorm.DB {
	q := leadScope(s.db.WithContext(ctx).Model(&Lead{}), sc).Where("status IN ?", statuses)
	regionColumn := "region_code"
	if sc.Role == workflow.RoleDepartment {
		regionColumn = "rectify_region_code"
		q = q.Where("status = ?", string(workflow.LeadRectifying))
	}
	if f.RegionCodes != nil {
		q = q.Where(regionColumn+" IN ?", nonEmpty(f.RegionCodes))
	}
	if f.DepartmentCode != "" {
		// the unit of the lead's current step: the one the inquiry letter
		// went to while a written inquiry runs (inspectors only), else the
		// rectifying one
		q = q.Where("(CASE WHEN status IN ? THEN inquiry_department_code ELSE rectify_department_code END) = ?",
			leadInquiryStatuses, f.DepartmentCode)
	}
	return q
}

// leadInquiryStatuses are the states of a written inquiry (函询): their
// step's unit is the one the letter went to.
var leadInquiryStatuses = []string{string(workflow.LeadInquiring), string(workflow.LeadInquiryReplied)}

// boardLeadColumns are the columns a board item needs: none confidential.
var boardLeadColumns = []string{"id", "created_at", "status", "region_code", "rectify_department_code",
	"rectify_region_code", "inquiry_department_code", "inquiry_region_code", "due_at", "due_working", "overdue"}

// boardLeads lists open lead steps for the deadline board. An item carries
// no confidential field; none is even read.
func (s *Store) boardLeads(q *gorm.DB, sc Scope, now time.Time, limit int) ([]DeadlineItem, error) {
	var rows []Lead
	if err := q.Select(boardLeadColumns).Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]DeadlineItem, len(rows))
	for i, l := range rows {
		region := l.RegionCode
		if sc.Role == workflow.RoleDepartment && l.RectifyRegionCode != nil {
			region = *l.RectifyRegionCode
		}
		dept, unit := l.RectifyDepartmentCode, l.RectifyRegionCode
		if slices.Contains(leadInquiryStatuses, l.Status) {
			dept, unit = l.InquiryDepartmentCode, l.InquiryRegionCode
		}
		out[i] = DeadlineItem{Kind: workflow.KindLead, ID: l.ID, CreatedAt: l.CreatedAt, Status: l.Status, RegionCode: region,
			DepartmentCode: dept, UnitRegionCode: unit,
			DueAt: *l.DueAt, DueWorking: l.DueWorking, Overdue: l.Overdue || now.After(*l.DueAt)}
	}
	return out, nil
}

// leadStats computes the lead indicators of docs/index-method.md#tracker-indicators with aggregate
// queries: T10 线索按期登记率 (register or dismiss on time), T11 线索按期处置率
// (decisions on time against the decide limit: decide, or the approval of a
// proposed disposal), T12 整改完成率 (rectification
// tasks due in the range and by as_of, completed by their due date; tasks
// still open past their due date count against). It runs three statements
// over all the regions, grouped as g says (a statsSource), and each scope
// sums the rows of its regions.
func (s *Store) leadStats(ctx context.Context, db *gorm.DB, regions []string, g regionGroup, from, to, asOf time.Time) (func(scope []string) []Rate, error) {
	type counts struct {
		reg, dec, done eventCount
		open           int64
	}
	by := map[string]*counts{}
	at := func(region string) *counts {
		if by[region] == nil {
			by[region] = &counts{}
		}
		return by[region]
	}
	const onTime = "COUNT(*) AS n, COALESCE(SUM(CASE WHEN on_time THEN 1 ELSE 0 END), 0) AS on_time"
	var steps []struct {
		RegionCode, Action string
		N, OnTime          int64
	}
	q := db.Model(&Event{}).Select(g.sel("action", onTime)).
		Where("case_kind = ? AND action IN ? AND at >= ? AND at < ? AND region_code IN ?", string(workflow.KindLead),
			append([]string{string(workflow.LeadRegister), string(workflow.LeadDismiss)}, statusStrings(workflow.DecisionActions())...),
			from, to, regions)
	if err := g.group(q, "action").Scan(&steps).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range steps {
		n := eventCount{N: r.N, OnTime: r.OnTime}
		// a decision is taken by decide, or by the approval of a proposal (报批)
		if slices.Contains(workflow.DecisionActions(), workflow.Action(r.Action)) {
			at(r.RegionCode).dec.add(n)
		} else {
			at(r.RegionCode).reg.add(n)
		}
	}
	var done []struct {
		RegionCode string
		N, OnTime  int64
	}
	q = db.Model(&Event{}).Select(g.sel("", onTime)).
		Where("case_kind = ? AND action = ? AND step_due_at >= ? AND step_due_at < ? AND step_due_at <= ? AND region_code IN ?",
			string(workflow.KindLead), string(workflow.CompleteRectification), from, to, asOf, regions)
	if err := g.group(q, "").Scan(&done).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range done {
		at(r.RegionCode).done.add(eventCount{N: r.N, OnTime: r.OnTime})
	}
	var open []struct {
		RegionCode string
		N          int64
	}
	q = db.Model(&Lead{}).Select(g.sel("", "COUNT(*) AS n")).
		Where("region_code IN ? AND status = ? AND rectify_due_at >= ? AND rectify_due_at < ? AND rectify_due_at <= ?",
			regions, string(workflow.LeadRectifying), from, to, asOf)
	if err := g.group(q, "").Scan(&open).Error; err != nil {
		return nil, formatError(err)
	}
	for _, r := range open {
		at(r.RegionCode).open += r.N
	}
	return func(scope []string) []Rate {
		var c counts
		for _, k := range g.keys(scope) {
			if x := by[k]; x != nil {
				c.reg.add(x.reg)
				c.dec.add(x.dec)
				c.done.add(x.done)
				c.open += x.open
			}
		}
		return []Rate{
			rate("T10", float64(c.reg.OnTime), float64(c.reg.N), 100),
			rate("T11", float64(c.dec.OnTime), float64(c.dec.N), 100),
			rate("T12", float64(c.done.OnTime), float64(c.done.N+c.open), 100),
		}
	}, nil
}
