package model

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"qinqing/workflow"
)

// One transition of a case, for both kinds: read the row the scope may see,
// check the caller's guard, let workflow.Apply decide everything the action
// does, and write that outcome (the conditional update on the version, the
// event, and for a lead the record that its actor is shown it) in one
// transaction. Nothing here decides what an action does.

// Guard carries what the caller decided before the store call, as plain
// values: where the policy lets the actor take the action, the regions the
// unit named by the command may handle, and the errors of the checks that
// need no row. The store applies it to the row it reads, in the contract's
// order: a case out of sight is ErrNotFound (404), one outside the grant
// ErrForbidden (403), a stale expected version ErrVersionConflict (409),
// then the workflow's verdict, then the guard's field errors (400).
type Guard struct {
	// Grant is where the policy allows the action.
	Grant RegionSet
	// Jurisdiction, when its Field is set, must hold the case's region.
	Jurisdiction Jurisdiction
	// Invalid are field errors found before the call (reference data,
	// limits); they are reported once the workflow accepted the command.
	Invalid []workflow.FieldError
}

// RegionSet is a set of region codes, or every region.
type RegionSet struct {
	all   bool
	codes map[string]bool
}

// AllRegions is the set of every region.
func AllRegions() RegionSet { return RegionSet{all: true} }

// Regions is the set of the given regions (none: the empty set).
func Regions(codes ...string) RegionSet {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return RegionSet{codes: m}
}

// Has reports whether code is in the set.
func (r RegionSet) Has(code string) bool { return r.all || r.codes[code] }

// Jurisdiction is a condition on the case's region that a command brings:
// the unit it names must have jurisdiction over the case (its region must
// be in Regions), else Field is invalid with Message.
type Jurisdiction struct {
	Field, Message string
	Regions        RegionSet
}

// caseRow is what the shared transition code needs of a stored case.
type caseRow interface {
	*Request | *Lead
	key() (workflow.Kind, uint64)
	version() int
	region() string
	status() string
}

func (r *Request) key() (workflow.Kind, uint64) { return workflow.KindRequest, r.ID }
func (r *Request) version() int                 { return r.Version }
func (r *Request) region() string               { return r.RegionCode }
func (l *Lead) key() (workflow.Kind, uint64)    { return workflow.KindLead, l.ID }
func (l *Lead) version() int                    { return l.Version }
func (l *Lead) region() string                  { return l.RegionCode }
func (r *Request) status() string               { return r.Status }
func (l *Lead) status() string                  { return l.Status }

// caseKind is how one kind of case takes part in a transition.
type caseKind[T caseRow] struct {
	machine *workflow.Machine
	// read reads the case in tx as the scope sees it, with the hash of its
	// newest event when the row keeps it (nil: chainEvents reads it).
	read func(s *Store, tx *gorm.DB, sc Scope, id uint64) (T, *string, error)
	// item and env are what workflow.Apply needs of the case.
	item func(s *Store, x T, now time.Time) workflow.Item
	env  func(s *Store, x T, now time.Time) workflow.Env
	// actor is a as the workflow sees it for x (parties, recusal).
	actor func(a Actor, x T) workflow.Actor
	// keepsHead: the row keeps its newest event hash (chain_head).
	keepsHead bool
	// after runs in the transaction once the change is written.
	after func(s *Store, tx *gorm.DB, actor Actor, x T, a workflow.Action, now time.Time) error
}

// transition applies cmd to case id for actor; see Guard for the order of
// refusals. A stale expected version, or another writer in between, gives
// ErrVersionConflict. The answer is the case as written.
func transition[T caseRow](s *Store, ctx context.Context, k *caseKind[T], sc Scope, actor Actor, id uint64,
	cmd workflow.Command, expected *int, g Guard) (T, error) {
	var out, none T
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		x, head, err := k.read(s, tx, sc, id)
		if err != nil {
			return err
		}
		if !g.Grant.Has(x.region()) {
			return ErrForbidden
		}
		if expected != nil && *expected != x.version() {
			return ErrVersionConflict
		}
		now := s.Now()
		o, err := k.machine.Apply(k.item(s, x, now), k.actor(actor, x), cmd, k.env(s, x, now))
		if err != nil {
			return err
		}
		if err := g.check(k.machine, cmd.Action, x.region()); err != nil {
			return err
		}
		kind, _ := x.key()
		refs, err := attachFiles(tx, actor, kind, id, string(o.Event.Action), cmd.FileIDs, false, now)
		if err != nil {
			return err
		}
		o.Event.Payload = filesPayload(o.Event.Payload, refs)
		ev := recordEvent(x, o.Event, actor, now)
		if k.keepsHead {
			ev.PrevHash, ev.chain = "", chainKnown
			if head != nil {
				ev.PrevHash = *head
			}
		}
		if err := s.commitChange(tx, x, id, x.version(), outcomeColumns(o, now), ev, k.keepsHead); err != nil {
			return err
		}
		if k.after != nil {
			if err := k.after(s, tx, actor, x, cmd.Action, now); err != nil {
				return err
			}
		}
		out = x
		return nil
	})
	if err != nil {
		return none, err
	}
	return out, nil
}

// check reports the guard's field errors, with the jurisdiction's when the
// case's region is outside it, in the order of the action's fields.
func (g Guard) check(m *workflow.Machine, a workflow.Action, region string) error {
	errs := slices.Clone(g.Invalid)
	if j := g.Jurisdiction; j.Field != "" && !j.Regions.Has(region) {
		errs = append(errs, workflow.FieldError{Field: j.Field, Message: j.Message})
	}
	if len(errs) == 0 {
		return nil
	}
	order := m.Fields(a)
	slices.SortStableFunc(errs, func(x, y workflow.FieldError) int {
		return fieldRank(order, x.Field) - fieldRank(order, y.Field)
	})
	return &workflow.ValidationError{Errors: errs}
}

func fieldRank(order []string, f string) int {
	if i := slices.Index(order, f); i >= 0 {
		return i
	}
	return len(order)
}

// outcomeColumns is the column update that writes o: the status, the
// deadline, the closing time and the fields the action records.
func outcomeColumns(o workflow.Outcome, now time.Time) map[string]any {
	upd := map[string]any{"status": string(o.To)}
	d := o.Deadline
	switch d.Change {
	case workflow.DeadlineStarted:
		upd["due_at"], upd["due_working"], upd["step_started_at"] = d.DueAt, d.Working, d.StartedAt
		upd["overdue"], upd["due_soon"] = false, false
	case workflow.DeadlineMoved:
		upd["due_at"], upd["due_working"], upd["due_soon"] = d.DueAt, d.Working, false
		if d.ClearsOverdue {
			upd["overdue"] = false
		}
	case workflow.DeadlineCleared:
		upd["due_at"], upd["overdue"], upd["due_soon"] = nil, false, false
	}
	if o.Closes {
		upd["closed_at"] = now
	}
	for k, v := range o.Set {
		upd[k] = v
	}
	return upd
}

// recordEvent is the event row of r on case x, by actor at now.
func recordEvent[T caseRow](x T, r workflow.Record, actor Actor, now time.Time) *Event {
	kind, id := x.key()
	return &Event{CaseKind: string(kind), CaseID: id, Action: string(r.Action), FromStatus: string(r.From),
		ToStatus: string(r.To), ActorID: actor.AccountID, ActorRole: string(actor.Role), At: now,
		Payload: payloadJSON(r.Payload), Step: r.Step, StepDueAt: r.StepDueAt, OnTime: r.OnTime,
		WorkingSeconds: r.WorkingSeconds, RegionCode: x.region()}
}

// payloadJSON is an event payload as stored (keys sorted, "{}" when empty).
func payloadJSON(p map[string]any) string {
	if len(p) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// requests is the request loop's part in a transition.
var requests = &caseKind[*Request]{
	machine: workflow.Request,
	read:    readRequestHead,
	item:    func(s *Store, r *Request, now time.Time) workflow.Item { return r.item(now) },
	env: func(s *Store, r *Request, now time.Time) workflow.Env {
		env := s.requestEnv(r.Category, now)
		if sug, ok := s.ref.Suggest(r.Category, r.RegionCode); ok {
			env.Dispatch = &sug
		}
		return env
	},
	actor: func(a Actor, r *Request) workflow.Actor {
		return RequestActor(a, r)
	},
	keepsHead: true,
	after: func(s *Store, tx *gorm.DB, actor Actor, r *Request, a workflow.Action, now time.Time) error {
		switch a {
		case workflow.Merge:
			if err := s.linkMerged(tx, actor, r, now); err != nil {
				return err
			}
		case workflow.Assign, workflow.Return:
			if err := s.syncCoUnits(tx, r); err != nil {
				return err
			}
		}
		c := newNoticeCache()
		if err := s.notifyRequest(tx, c, now, actor, r, a); err != nil {
			return err
		}
		return c.flush(tx)
	},
}

// readRequestHead reads request id in tx as sc sees it, with the hash of
// its newest event: the row keeps it (chain_head), except a row last
// changed before it did, whose newest event is then read.
func readRequestHead(s *Store, tx *gorm.DB, sc Scope, id uint64) (*Request, *string, error) {
	var r Request
	q, sees := byIDScope(tx, sc)
	res := q.Where("id = ?", id).Limit(1).Find(&r)
	if res.Error != nil {
		return nil, nil, res.Error
	}
	if res.RowsAffected == 0 || !sees(r.RegionCode) {
		return nil, nil, gorm.ErrRecordNotFound
	}
	if r.ChainHead != nil {
		head := *r.ChainHead
		return &r, &head, nil
	}
	var hashes []string
	if err := tx.Model(&Event{}).Where("case_kind = ? AND case_id = ?", string(workflow.KindRequest), id).
		Order("id DESC").Limit(1).Pluck("hash", &hashes).Error; err != nil {
		return nil, nil, err
	}
	if len(hashes) == 0 {
		return &r, nil, nil
	}
	return &r, &hashes[0], nil
}

// leads is the lead loop's part in a transition: its actor is shown the
// lead in the answer, which is recorded as a read.
var leads = &caseKind[*Lead]{
	machine: workflow.Lead,
	read: func(s *Store, tx *gorm.DB, sc Scope, id uint64) (*Lead, *string, error) {
		var l Lead
		if err := leadScope(tx, sc).Where("id = ?", id).Take(&l).Error; err != nil {
			return nil, nil, err
		}
		return &l, nil, nil
	},
	item:  func(s *Store, l *Lead, now time.Time) workflow.Item { return l.item(now) },
	env:   func(s *Store, l *Lead, now time.Time) workflow.Env { return s.leadEnv(now) },
	actor: LeadActor,
	after: func(s *Store, tx *gorm.DB, actor Actor, l *Lead, a workflow.Action, now time.Time) error {
		switch a {
		case workflow.LeadSetSubject:
			// the account of the name as it is now (none: the name is kept
			// as written, and matched against accounts at every read)
			var id *uint64
			var acc Account
			err := tx.Where("username = ?", l.SubjectUsername).Take(&acc).Error
			switch {
			case err == nil:
				id = &acc.ID
			case !errors.Is(err, gorm.ErrRecordNotFound):
				return err
			}
			if err := tx.Model(&Lead{}).Where("id = ?", l.ID).Update("subject_account_id", id).Error; err != nil {
				return err
			}
			l.SubjectAccountID = id
		case workflow.LeadRecuse:
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&LeadRecusal{LeadID: l.ID, AccountID: actor.AccountID, CreatedAt: now}).Error; err != nil {
				return err
			}
		}
		c := newNoticeCache()
		if err := s.notifyLead(tx, c, now, actor, l, a); err != nil {
			return err
		}
		if err := c.flush(tx); err != nil {
			return err
		}
		return tx.Create(&LeadRead{LeadID: l.ID, AccountID: actor.AccountID, Role: string(actor.Role), What: ReadTransition, At: now}).Error
	},
}

// TransitionRequest applies cmd to request id for actor (see Guard).
func (s *Store) TransitionRequest(ctx context.Context, sc Scope, actor Actor, id uint64, cmd workflow.Command,
	expected *int, g Guard) (*Request, error) {
	return transition(s, ctx, requests, sc, actor, id, cmd, expected, g)
}

// TransitionLead applies cmd to lead id for actor (see Guard), and records
// that the actor is shown the lead in the answer.
func (s *Store) TransitionLead(ctx context.Context, sc Scope, actor Actor, id uint64, cmd workflow.Command,
	expected *int, g Guard) (*Lead, error) {
	return transition(s, ctx, leads, sc, actor, id, cmd, expected, g)
}

// requestEnv is what workflow.Apply needs to know of a request's deadlines.
func (s *Store) requestEnv(category string, now time.Time) workflow.Env {
	return workflow.Env{Now: now, Calendar: s.cal,
		Limits: workflow.Limits{Steps: s.ref.Categories[category].Limits.Steps(), Override: s.opt.DemoLimit}}
}

// leadEnv is what workflow.Apply needs to know of a lead's deadlines.
func (s *Store) leadEnv(now time.Time) workflow.Env {
	return workflow.Env{Now: now, Calendar: s.cal,
		Limits:   workflow.Limits{Steps: s.ref.Raw.LeadLimits.Steps(), Override: s.opt.DemoLimit},
		Approval: s.ref.Raw.LeadLimits.Approval}
}

// item is what the workflow engine needs to know of r at now.
func (r *Request) item(now time.Time) workflow.Item {
	return workflow.Item{Status: workflow.Status(r.Status), PendingExtension: r.PendingExtensionDays > 0,
		ExtensionDays: r.PendingExtensionDays, Overdue: r.IsOverdue(now), Marked: r.Overdue,
		DueAt: r.DueAt, StepStartedAt: r.StepStartedAt, RoundStartedAt: r.RoundStartedAt, CreatedAt: r.CreatedAt,
		Assigned: r.FirstAssignedAt != nil, Supervised: r.Supervised,
		LateSteps: r.LateSteps, ReturnCount: r.ReturnCount, ReopenCount: r.ReopenCount}
}

// item is what the workflow engine needs to know of l at now.
func (l *Lead) item(now time.Time) workflow.Item {
	it := workflow.Item{Status: workflow.Status(l.Status), Overdue: l.IsOverdue(now), Marked: l.Overdue,
		DueAt: l.DueAt, StepStartedAt: l.StepStartedAt, CreatedAt: l.CreatedAt, RectifyDays: l.RectifyDays,
		Named: !l.Anonymous && l.ReporterAccountID != nil, FeedbackGiven: l.FeedbackRecordedAt != nil, ClosedAt: l.ClosedAt}
	if l.Disposal != nil {
		it.Disposal = *l.Disposal
	}
	if l.Proposal != nil {
		// a proposal the lead holds was written by workflow.Proposal.Encode
		it.Proposal, _ = workflow.ParseProposal(*l.Proposal)
	}
	return it
}
