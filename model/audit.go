package model

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The timeline is tamper-evident: every event carries Hash, the SHA-256 of
// its canonical content and of PrevHash, the hash of the event before it in
// the same case ("" for the first). Editing an event changes its hash;
// removing or reordering one breaks the link of the event after it;
// rewriting a whole chain needs every later event rewritten too. VerifyAudit
// walks every chain.
//
// What it does not prove: the chains carry no secret, so someone who may
// write the database at will can recompute a whole chain, and the removal of
// the last events of a case leaves a shorter but valid chain. Both need an
// anchor outside the database (publishing the chain heads, or an HMAC-SM3
// key held by a certified crypto module, README "Security").

// eventHashVersion names the canonical form below. It is frozen: stored
// hashes depend on it, so a new form needs a new version and both kept.
const eventHashVersion = "qq-event-v1"

// eventHash returns the hex SHA-256 of e's canonical content chained to prev:
// a JSON array of the version, prev, case kind and id, action, from and to
// statuses, actor id and role, the time in UTC milliseconds, the payload
// text, the step fields and the region. The event id is not part of it (it
// is assigned by the database after the hash is known).
func eventHash(e *Event, prev string) string {
	var due, onTime any
	if e.StepDueAt != nil {
		due = e.StepDueAt.UTC().UnixMilli()
	}
	if e.OnTime != nil {
		onTime = *e.OnTime
	}
	b, _ := json.Marshal([]any{eventHashVersion, prev, e.CaseKind, e.CaseID, e.Action, e.FromStatus, e.ToStatus,
		e.ActorID, e.ActorRole, e.At.UTC().UnixMilli(), e.Payload, e.Step, due, onTime, e.WorkingSeconds, e.RegionCode})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chainHint is what the writer of an event knows of its case's chain.
type chainHint uint8

const (
	// chainLookUp: nothing known; chainEvents finds out.
	chainLookUp chainHint = iota
	// chainKnown: PrevHash is already set, read in the transaction that
	// holds the case's row (a new case: "").
	chainKnown
	// chainExisting: the case has events (a transition); its newest hash
	// is read with a locking read.
	chainExisting
)

type caseKey struct {
	kind string
	id   uint64
}

// chainEvents sets PrevHash and Hash on evs, which are about to be inserted
// in this order (so in id order).
//
// The previous hash of a case must be that of its newest committed event.
// The caller holds the rows of the cases concerned (the conditional UPDATE
// of a transition, the claim of a scanner batch), so no other transaction
// can add an event to them before this one commits. SQLite runs one writer
// at a time, so there nothing more is needed. On MySQL the transaction's
// snapshot may predate an event committed just before the caller got the
// row (a lead scanner's, which bumps no version), so:
//
//   - One case (every transition, every new case): a plain read first tells
//     whether the case has events. One without any was created in this
//     transaction (a case and its first event are written together, so a
//     case the transaction could see has one): its chain starts here and
//     nothing is locked; two filings at once then never lock a gap of the
//     events index against each other (which deadlocked their inserts).
//     Otherwise a locking read (FOR UPDATE: InnoDB reads the newest
//     committed rows) gets the newest hash.
//   - Several cases (a scanner batch): the newest event of each case in one
//     query, locking those rows by primary key. Its subquery reads the
//     snapshot, which the scanner takes after claiming the rows (its first
//     plain read follows the claiming UPDATE), so it sees every committed
//     event of them. Callers writing events for several cases must likewise
//     claim the rows before their first plain read.
//
// A writer may know more (ev.chain): the case was created in this
// transaction, or its head was read in the statement that read the case
// (chainKnown: nothing is read here), or the case has events (chainExisting:
// the plain read is skipped).
func chainEvents(tx *gorm.DB, evs []*Event) error {
	last := map[caseKey]string{}
	byKind := map[string][]uint64{}
	existing := map[caseKey]bool{}
	for _, ev := range evs {
		k := caseKey{ev.CaseKind, ev.CaseID}
		if _, seen := last[k]; !seen {
			last[k] = ""
			switch ev.chain {
			case chainKnown:
				last[k] = ev.PrevHash
				continue
			case chainExisting:
				existing[k] = true
			}
			byKind[ev.CaseKind] = append(byKind[ev.CaseKind], ev.CaseID)
		}
	}
	lock := clause.Locking{Strength: clause.LockingStrengthUpdate}
	for kind, ids := range byKind {
		if len(ids) == 1 {
			if IsMySQL(tx) && !existing[caseKey{kind, ids[0]}] {
				var any []uint64
				if err := tx.Model(&Event{}).Where("case_kind = ? AND case_id = ?", kind, ids[0]).Limit(1).
					Pluck("id", &any).Error; err != nil {
					return err
				}
				if len(any) == 0 {
					continue // a new case
				}
			}
			var heads []string
			if err := tx.Model(&Event{}).Clauses(lock).Where("case_kind = ? AND case_id = ?", kind, ids[0]).
				Order("id DESC").Limit(1).Pluck("hash", &heads).Error; err != nil {
				return err
			}
			if len(heads) == 1 {
				last[caseKey{kind, ids[0]}] = heads[0]
			}
			continue
		}
		// SQLite binds parameters in time quadratic in their number per
		// statement (model/batch.go): ask for a few hundred cases at a time.
		chunk := len(ids)
		if !IsMySQL(tx) {
			chunk = 500
		}
		for i := 0; i < len(ids); i += chunk {
			part := ids[i:min(i+chunk, len(ids))]
			var heads []struct {
				CaseID uint64
				Hash   string
			}
			// A derived table of the newest ids, joined by primary key: MySQL
			// and MariaDB run "id IN (subquery)" row by row here.
			newest := tx.Model(&Event{}).Select("MAX(id) AS id").Where("case_kind = ? AND case_id IN ?", kind, part).Group("case_id")
			if err := tx.Table("events").Clauses(lock).Select("events.case_id, events.hash").
				Joins("JOIN (?) newest ON newest.id = events.id", newest).
				Find(&heads).Error; err != nil {
				return err
			}
			for _, h := range heads {
				last[caseKey{kind, h.CaseID}] = h.Hash
			}
		}
	}
	for _, ev := range evs {
		k := caseKey{ev.CaseKind, ev.CaseID}
		ev.PrevHash = last[k]
		ev.Hash = eventHash(ev, ev.PrevHash)
		last[k] = ev.Hash
	}
	return nil
}

// AuditBreak names the first event at which a chain does not hold.
type AuditBreak struct {
	CaseKind string `json:"case_kind"`
	CaseID   uint64 `json:"case_id"`
	EventID  uint64 `json:"event_id"`
	// Reason: content_changed (the stored hash is not the hash of the
	// event's content), chain_broken (prev_hash is not the hash of the event
	// before it: an event was removed, inserted or reordered) or
	// missing_hash.
	Reason string `json:"reason"`
}

// AuditReport is the result of VerifyAudit.
type AuditReport struct {
	OK            bool        `json:"ok"`
	EventsChecked int64       `json:"events_checked"`
	CasesChecked  int64       `json:"cases_checked"`
	BrokenEvents  int64       `json:"broken_events"`
	FirstBroken   *AuditBreak `json:"first_broken"`
}

// auditCaseBatch is how many cases one verification query reads the events of.
const auditCaseBatch = 500

// VerifyAudit walks every chain: case by case (cases in id order within
// each kind, auditCaseBatch cases per query), each case's events in id
// order, streaming rows, so memory does not grow with the database. It
// recomputes every hash and checks every link; FirstBroken is the first
// failure met in that order.
func (s *Store) VerifyAudit(ctx context.Context) (AuditReport, error) {
	rep := AuditReport{OK: true}
	db := s.db.WithContext(ctx)
	var kinds []string
	if err := db.Model(&Event{}).Distinct("case_kind").Order("case_kind").Pluck("case_kind", &kinds).Error; err != nil {
		return rep, formatError(err)
	}
	for _, kind := range kinds {
		var after uint64
		for {
			var ids []uint64
			if err := db.Model(&Event{}).Distinct("case_id").Where("case_kind = ? AND case_id > ?", kind, after).
				Order("case_id").Limit(auditCaseBatch).Pluck("case_id", &ids).Error; err != nil {
				return rep, formatError(err)
			}
			if len(ids) == 0 {
				break
			}
			if err := s.verifyCases(db, kind, ids, &rep); err != nil {
				return rep, formatError(err)
			}
			rep.CasesChecked += int64(len(ids))
			after = ids[len(ids)-1]
			if len(ids) < auditCaseBatch {
				break
			}
		}
	}
	return rep, nil
}

func (s *Store) verifyCases(db *gorm.DB, kind string, ids []uint64, rep *AuditReport) error {
	rows, err := db.Model(&Event{}).Where("case_kind = ? AND case_id IN ?", kind, ids).Order("case_id, id").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur uint64
	prev := ""
	for rows.Next() {
		var ev Event
		if err := db.ScanRows(rows, &ev); err != nil {
			return err
		}
		if ev.CaseID != cur {
			cur, prev = ev.CaseID, ""
		}
		rep.EventsChecked++
		reason := ""
		switch {
		case ev.Hash == "":
			reason = "missing_hash"
		case ev.PrevHash != prev:
			reason = "chain_broken"
		case eventHash(&ev, ev.PrevHash) != ev.Hash:
			reason = "content_changed"
		}
		if reason != "" {
			rep.OK = false
			rep.BrokenEvents++
			if rep.FirstBroken == nil {
				rep.FirstBroken = &AuditBreak{CaseKind: ev.CaseKind, CaseID: ev.CaseID, EventID: ev.ID, Reason: reason}
			}
		}
		// Continue from what is stored, so one bad event is reported once
		// rather than breaking every link after it.
		prev = ev.Hash
	}
	return rows.Err()
}

// backfillEventHashes chains the events written before the chain existed
// (migration 0005), case by case in id order, in batches.
func backfillEventHashes(tx *gorm.DB) error {
	var kinds []string
	if err := tx.Table("events").Distinct("case_kind").Pluck("case_kind", &kinds).Error; err != nil {
		return err
	}
	for _, kind := range kinds {
		var after uint64
		for {
			var ids []uint64
			if err := tx.Table("events").Distinct("case_id").Where("case_kind = ? AND case_id > ? AND hash = ?", kind, after, "").
				Order("case_id").Limit(auditCaseBatch).Pluck("case_id", &ids).Error; err != nil {
				return err
			}
			if len(ids) == 0 {
				break
			}
			var evs []Event
			if err := tx.Table("events").Where("case_kind = ? AND case_id IN ?", kind, ids).Order("case_id, id").Find(&evs).Error; err != nil {
				return err
			}
			prev := map[uint64]string{}
			for i := range evs {
				ev := &evs[i]
				h := eventHash(ev, prev[ev.CaseID])
				if err := tx.Table("events").Where("id = ?", ev.ID).
					Updates(map[string]any{"prev_hash": prev[ev.CaseID], "hash": h}).Error; err != nil {
					return fmt.Errorf("chain event %d: %w", ev.ID, err)
				}
				prev[ev.CaseID] = h
			}
			after = ids[len(ids)-1]
		}
	}
	return nil
}
