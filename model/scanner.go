package model

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// scanBatch is how many rows one scanner statement handles: the number of
// statements a pass issues grows with items/scanBatch, not with items.
const scanBatch = 2000

// ScanResult reports one scanner pass.
type ScanResult struct {
	Overdue    int // steps newly marked overdue (one overdue event each)
	Supervised int // requests escalated to 督办 automatically
	DueSoon    int // steps newly reminded (one due_soon event each)
	Expired    int // requests closed because the evaluation window ended (未评价)
	Notices    int // reminder notices sent (index submissions, rectification items)
	Statements int // SQL statements issued
}

func (r *ScanResult) add(o ScanResult) {
	r.Overdue += o.Overdue
	r.Supervised += o.Supervised
	r.DueSoon += o.DueSoon
	r.Expired += o.Expired
	r.Notices += o.Notices
	r.Statements += o.Statements
}

// CaseScanner is what the scanner needs from one kind of case: a pass over
// the items whose deadlines need attention.
type CaseScanner func(ctx context.Context, now time.Time) (ScanResult, error)

// Scan runs one pass over every kind of case: overdue marking (and 督办
// escalation of requests), due-soon reminders, and the end of evaluation
// windows. Several instances may scan the same database at once: every row
// is claimed by a conditional UPDATE, so each step gets exactly one event.
func (s *Store) Scan(ctx context.Context) (ScanResult, error) {
	now := s.Now()
	var total ScanResult
	for _, pass := range s.scanners() {
		r, err := pass(ctx, now)
		total.add(r)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Store) scanners() []CaseScanner {
	return []CaseScanner{s.scanRequestsOverdue, s.scanRequestsDueSoon, s.scanRequestsExpired, s.scanLeadsOverdue, s.scanLeadsDueSoon,
		s.scanSubmissionReminders, s.scanRectificationItems}
}

// DueSoonCutoffs returns the latest due_at that counts as due soon at now,
// for working-day deadlines and for plain ones.
func (s *Store) DueSoonCutoffs(now time.Time) (working, clock time.Time) {
	th := s.opt.DueSoon
	if th.IsZero() {
		th = workflow.Limit{WorkingDays: 1}
	}
	return s.cal.AddWorkingTime(now, th.Span()), now.Add(th.Span())
}

// requestScanStatuses are the states whose deadline binds an official; the
// evaluation window of responded requests ends by closing them instead.
var requestScanStatuses = []string{string(workflow.Submitted), string(workflow.Assigned), string(workflow.InProgress)}

// claimBatch runs one scanner batch: pick up to scanBatch candidate ids,
// then in one transaction flip them with the conditional update (which
// also stamps a fresh token), read back exactly the rows this pass flipped,
// and let write record events for them.
func claimBatch[T any](s *Store, ctx context.Context, res *ScanResult, candidates *gorm.DB,
	flip func(tx *gorm.DB, ids []uint64, token string) *gorm.DB,
	write func(tx *gorm.DB, rows []T) error) (int, error) {
	var ids []uint64
	res.Statements++
	// No ORDER BY: the candidates are a range of an index whose entries
	// leave it when claimed (idx_requests_scan); ordering by id made the
	// database walk the primary key instead. The claim locks by primary
	// key, in id order, whatever the order of the list.
	if err := candidates.WithContext(ctx).Limit(scanBatch).Pluck("id", &ids).Error; err != nil {
		return 0, formatError(err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	token := newToken()
	before := *res
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		*res = before // a conflict runs the transaction again: count it once
		res.Statements++
		if r := flip(tx, ids, token); r.Error != nil || r.RowsAffected == 0 {
			return r.Error
		}
		var rows []T
		res.Statements++
		if err := tx.Where("id IN ? AND scan_token = ?", ids, token).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		return write(tx, rows)
	})
	if err != nil {
		*res = before // rolled back: nothing of this batch happened
	}
	return len(ids), err
}

func (s *Store) scanRequestsOverdue(ctx context.Context, now time.Time) (ScanResult, error) {
	var res ScanResult
	for {
		n, err := claimBatch(s, ctx, &res,
			s.db.Model(&Request{}).Where("status IN ? AND overdue = ? AND due_at < ?", requestScanStatuses, false, now),
			func(tx *gorm.DB, ids []uint64, token string) *gorm.DB {
				return tx.Model(&Request{}).Where("id IN ? AND status IN ? AND overdue = ? AND due_at < ?", ids, requestScanStatuses, false, now).
					Updates(map[string]any{"overdue": true, "late_steps": gorm.Expr("late_steps + 1"), "scan_token": token,
						"version": gorm.Expr("version + 1")})
			},
			func(tx *gorm.DB, rows []Request) error {
				// The claim wrote what workflow.Overdue sets (the mark, the
				// late step, the version) but the 督办 flag, which comes with
				// the chain heads below: the rows read back still tell who
				// is not yet under 督办.
				evs := make([]*Event, 0, 2*len(rows))
				escalated := 0
				for i := range rows {
					r := &rows[i]
					_, recs := workflow.Overdue(workflow.Request, r.item(now), s.cal.Location())
					for _, rec := range recs {
						evs = append(evs, recordEvent(r, rec, systemActor(), now))
					}
					escalated += len(recs) - 1
				}
				res.Overdue += len(rows)
				res.Supervised += escalated
				res.Statements += 2 + len(s.opt.Webhooks)
				// every overdue request ends up under 督办: those escalated
				// now, and those that already were
				if err := s.insertRequestScanEvents(tx, rows, evs, map[string]any{"supervised": true}); err != nil {
					return err
				}
				return s.notifyRequestRows(tx, now, rows, workflow.EventOverdue)
			})
		if err != nil || n < scanBatch {
			return res, err
		}
	}
}

func (s *Store) scanRequestsDueSoon(ctx context.Context, now time.Time) (ScanResult, error) {
	var res ScanResult
	cutW, cutC := s.DueSoonCutoffs(now)
	cond := "status IN ? AND overdue = ? AND due_soon = ? AND due_at >= ? AND ((due_working = ? AND due_at < ?) OR (due_working = ? AND due_at < ?))"
	args := []any{requestScanStatuses, false, false, now, true, cutW, false, cutC}
	for {
		n, err := claimBatch(s, ctx, &res, s.db.Model(&Request{}).Where(cond, args...),
			func(tx *gorm.DB, ids []uint64, token string) *gorm.DB {
				return tx.Model(&Request{}).Where("id IN ?", ids).Where(cond, args...).
					Updates(map[string]any{"due_soon": true, "scan_token": token, "version": gorm.Expr("version + 1")})
			},
			func(tx *gorm.DB, rows []Request) error {
				evs := make([]*Event, 0, len(rows))
				for i := range rows {
					evs = append(evs, recordEvent(&rows[i], workflow.DueSoon(workflow.Request, rows[i].item(now), s.cal.Location()), systemActor(), now))
				}
				res.DueSoon += len(rows)
				res.Statements += 2 + len(s.opt.Webhooks)
				if err := s.insertRequestScanEvents(tx, rows, evs, nil); err != nil {
					return err
				}
				return s.notifyRequestRows(tx, now, rows, workflow.EventDueSoon)
			})
		if err != nil || n < scanBatch {
			return res, err
		}
	}
}

// scanRequestsExpired closes requests whose evaluation window ended without
// an evaluation: 已办结, counted as 未评价.
func (s *Store) scanRequestsExpired(ctx context.Context, now time.Time) (ScanResult, error) {
	var res ScanResult
	responded := string(workflow.Responded)
	for {
		n, err := claimBatch(s, ctx, &res,
			s.db.Model(&Request{}).Where("status = ? AND due_at < ?", responded, now),
			func(tx *gorm.DB, ids []uint64, token string) *gorm.DB {
				return tx.Model(&Request{}).Where("id IN ? AND status = ? AND due_at < ?", ids, responded, now).
					Updates(map[string]any{"status": string(workflow.Closed), "closed_at": now, "due_at": nil, "overdue": false,
						"version": gorm.Expr("version + 1"), "updated_at": now, "scan_token": token})
			},
			func(tx *gorm.DB, rows []Request) error {
				// The claim closed them as workflow.Apply closes a request
				// whose window ended; the event is the workflow's, from the
				// state the claim found (responded).
				evs := make([]*Event, 0, len(rows))
				for i := range rows {
					r := &rows[i]
					it := r.item(now)
					it.Status = workflow.Responded
					o, err := workflow.Request.Apply(it, workflow.Actor{Role: workflow.RoleSystem},
						workflow.Command{Action: workflow.ExpireEvaluation}, s.requestEnv(r.Category, now))
					if err != nil {
						return err
					}
					evs = append(evs, recordEvent(r, o.Event, systemActor(), now))
				}
				res.Expired += len(rows)
				res.Statements += 2 + len(s.opt.Webhooks)
				return s.insertRequestScanEvents(tx, rows, evs, nil)
			})
		if err != nil || n < scanBatch {
			return res, err
		}
	}
}

// insertRequestScanEvents writes the events of a scanner batch of
// requests, then the rows' new chain heads (and the columns in set) in one
// UPDATE per batch. Each row read back after the claim carries its chain
// head when its last writer recorded one (chain_head; the claim holds the
// row, so it is current), which spares reading it from events; rows without
// one are looked up.
func (s *Store) insertRequestScanEvents(tx *gorm.DB, rows []Request, evs []*Event, set map[string]any) error {
	heads := make(map[uint64]*string, len(rows))
	for i := range rows {
		heads[rows[i].ID] = rows[i].ChainHead
	}
	for _, ev := range evs {
		if h := heads[ev.CaseID]; h != nil {
			ev.PrevHash, ev.chain = *h, chainKnown
			heads[ev.CaseID] = nil // the first event of the case only
		}
	}
	if err := s.insertEvents(tx, evs...); err != nil {
		return err
	}
	newest := make(map[uint64]string, len(rows))
	for _, ev := range evs {
		newest[ev.CaseID] = ev.Hash
	}
	// SQLite binds parameters in time quadratic in their number (batch.go).
	chunk := insertBatch(tx, 3)
	if IsMySQL(tx) {
		chunk = len(rows)
	}
	for lo := 0; lo < len(rows); lo += chunk {
		part := rows[lo:min(lo+chunk, len(rows))]
		var when strings.Builder
		args := make([]any, 0, 2*len(part))
		ids := make([]uint64, 0, len(part))
		for _, r := range part {
			h, ok := newest[r.ID]
			if !ok {
				continue
			}
			when.WriteString(" WHEN ? THEN ?")
			args = append(args, r.ID, h)
			ids = append(ids, r.ID)
		}
		if len(ids) == 0 {
			continue
		}
		upd := map[string]any{"chain_head": gorm.Expr("CASE id"+when.String()+" END", args...)}
		for k, v := range set {
			upd[k] = v
		}
		if err := tx.Model(&Request{}).Where("id IN ?", ids).Updates(upd).Error; err != nil {
			return err
		}
	}
	return nil
}

// systemActor is the actor of the scanner's events.
func systemActor() Actor { return Actor{Role: workflow.RoleSystem} }

// DeadlineCounts are the open items overdue and due soon, by kind.
type DeadlineCounts map[string]struct{ Overdue, DueSoon int64 }

// CountDeadlines counts open items that are overdue and due soon, per kind.
func (s *Store) CountDeadlines(ctx context.Context) (DeadlineCounts, error) {
	now := s.Now()
	cutW, cutC := s.DueSoonCutoffs(now)
	out := DeadlineCounts{}
	var over, soon int64
	q := s.db.WithContext(ctx).Model(&Request{}).Where("status IN ?", requestScanStatuses)
	if err := q.Session(&gorm.Session{}).Where("due_at < ?", now).Count(&over).Error; err != nil {
		return nil, formatError(err)
	}
	if err := q.Session(&gorm.Session{}).Where("due_at >= ? AND ((due_working = ? AND due_at < ?) OR (due_working = ? AND due_at < ?))",
		now, true, cutW, false, cutC).Count(&soon).Error; err != nil {
		return nil, formatError(err)
	}
	out[string(workflow.KindRequest)] = struct{ Overdue, DueSoon int64 }{over, soon}
	leadOver, leadSoon, err := s.countLeadDeadlines(ctx, now, cutW, cutC)
	if err != nil {
		return nil, err
	}
	out[string(workflow.KindLead)] = struct{ Overdue, DueSoon int64 }{leadOver, leadSoon}
	return out, nil
}

// analyzeEvery is how often RunScanner refreshes the planner's statistics.
const analyzeEvery = time.Hour

// RunScanner scans every interval until ctx ends. A failed pass is logged
// and retried at the next tick; report (may be nil) receives each pass.
func (s *Store) RunScanner(ctx context.Context, interval time.Duration, log *slog.Logger, report func(ScanResult, DeadlineCounts)) {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var analyzed time.Time
	for {
		if time.Since(analyzed) >= analyzeEvery {
			// the planner's statistics follow the data's growth (SQLite)
			if err := s.Analyze(ctx); err != nil && ctx.Err() == nil {
				log.Warn("刷新查询优化器统计信息失败", "err", err)
			}
			analyzed = time.Now()
		}
		if n, err := s.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn("清理已结束的会话失败，下一轮重试", "err", err)
		} else if n > 0 {
			log.Info("已清理已结束的会话", "sessions", n)
		}
		if n, err := s.SweepOrphanFiles(ctx, s.opt.OrphanFiles); err != nil && ctx.Err() == nil {
			log.Warn("清理过期的未引用附件失败，下一轮重试", "err", err)
		} else if n > 0 {
			log.Info("已清理过期的未引用附件", "files", n)
		}
		res, err := s.Scan(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("期限扫描失败，下一轮重试", "err", err)
		} else if res.Overdue+res.DueSoon+res.Expired+res.Notices > 0 {
			log.Info("期限扫描完成", "overdue", res.Overdue, "supervised", res.Supervised, "due_soon", res.DueSoon,
				"expired", res.Expired, "notices", res.Notices, "statements", res.Statements)
		}
		if report != nil && ctx.Err() == nil {
			if counts, err := s.CountDeadlines(ctx); err == nil {
				report(res, counts)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
