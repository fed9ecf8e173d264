package model

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// NewLead is a lead as reported (docs/design.md#lead-loop). For an anonymous lead
// CreateLead stores none of the reporter fields.
type NewLead struct {
	Content, Evidence     string
	OccurredAt            *time.Time
	RegionCode            string
	EnterpriseID          uint64 // the enterprise concerned; 0 = none
	SubjectDepartmentCode string
	SubjectName           string
	SubjectUsername       string
	RuleCode              string
	Anonymous             bool
	ReporterID            uint64
	ReporterRole          workflow.Role
	StationID             uint64
	// FileIDs are uploads of the reporter's to attach (attachFiles); an
	// anonymous lead's lose their uploader.
	FileIDs []string
}

// ReceiptPrefix starts every receipt (查询码) of an anonymous lead.
const ReceiptPrefix = "XSQ"

// receiptEncoding is base32 without the letters people confuse (no I, L, O, U).
var receiptEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// newReceipt returns a fresh receipt: 120 random bits written as
// XSQ-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX.
func newReceipt() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	s := receiptEncoding.EncodeToString(b[:])
	parts := []string{ReceiptPrefix}
	for i := 0; i < len(s); i += 4 {
		parts = append(parts, s[i:i+4])
	}
	return strings.Join(parts, "-")
}

// receiptHash normalises a receipt as people may type it (any case, with or
// without dashes and spaces) and hashes it. Only the hash is stored, so the
// table alone gives no one a working receipt.
func receiptHash(receipt string) string {
	r := strings.ToUpper(receipt)
	// Crockford's reading: O is 0, I and L are 1.
	r = strings.NewReplacer("-", "", " ", "", "\u3000", "", "O", "0", "I", "1", "L", "1").Replace(r)
	sum := sha256.Sum256([]byte(r))
	return hex.EncodeToString(sum[:])
}

// RectifyMaxDays is the longest rectification period a decision may set,
// in working days.
func (s *Store) RectifyMaxDays() int { return s.ref.Raw.LeadLimits.RectifyMaxDays }

// FeedbackDue returns when the feedback to the named reporter of a closed
// lead is due (docs/design.md#deadlines: 15 working days after closure), or nil.
func (s *Store) FeedbackDue(l *Lead) *time.Time {
	if l.FeedbackDueAt != nil {
		return l.FeedbackDueAt
	}
	// a lead closed before the feedback step was recorded (migration 0062)
	if l.Anonymous || l.ClosedAt == nil {
		return nil
	}
	lim := s.ref.Raw.LeadLimits.Feedback
	if !s.opt.DemoLimit.IsZero() {
		lim = s.opt.DemoLimit
	}
	d := s.cal.Due(*l.ClosedAt, lim).UTC().Truncate(time.Millisecond)
	return &d
}

// CreateLead files a lead and writes its first event in one transaction. It
// returns the receipt of an anonymous lead (shown to the reporter once; only
// its hash is kept), "" for a named one. The subject account is the account
// whose username is in.SubjectUsername, if there is one.
func (s *Store) CreateLead(ctx context.Context, in NewLead) (*Lead, string, error) {
	var created *Lead
	var receipt string
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.Now()
		if in.Anonymous {
			now = s.reportDay(now)
		}
		id, err := newLeadID(tx, in.Anonymous)
		if err != nil {
			return err
		}
		l := &Lead{ID: id,
			Content: in.Content, Evidence: in.Evidence, OccurredAt: in.OccurredAt, RegionCode: in.RegionCode,
			Anonymous: in.Anonymous, SubjectName: in.SubjectName, SubjectUsername: NormalizeUsername(in.SubjectUsername),
			Status: string(workflow.LeadReportedStatus), StepStartedAt: now, Version: 1, CreatedAt: now, UpdatedAt: now,
		}
		if in.EnterpriseID != 0 {
			l.EnterpriseID = &in.EnterpriseID
		}
		if in.SubjectDepartmentCode != "" {
			l.SubjectDepartmentCode = &in.SubjectDepartmentCode
		}
		if in.RuleCode != "" {
			l.RuleCode = &in.RuleCode
		}
		if l.SubjectUsername != "" {
			var a Account
			err := tx.Where("username = ?", l.SubjectUsername).Take(&a).Error
			switch {
			case err == nil:
				l.SubjectAccountID = &a.ID
			case !errors.Is(err, gorm.ErrRecordNotFound):
				return err
			}
		}
		ev := &Event{CaseKind: string(workflow.KindLead), Action: string(workflow.LeadReported),
			ToStatus: l.Status, At: now, Payload: "{}", RegionCode: l.RegionCode}
		if in.Anonymous {
			receipt = newReceipt()
			h := receiptHash(receipt)
			l.ReceiptHash = &h
			ev.ActorRole = AnonymousRole
		} else {
			l.ReporterAccountID = &in.ReporterID
			l.ReporterRole = string(in.ReporterRole)
			if in.StationID != 0 {
				l.StationID = &in.StationID
			}
			ev.ActorID, ev.ActorRole = in.ReporterID, string(in.ReporterRole)
		}
		l.DueAt, l.DueWorking = workflow.Lead.StepDeadline(workflow.LeadReportedStatus, now, s.leadEnv(now))
		if err := tx.Create(l).Error; err != nil {
			return err
		}
		ev.CaseID = l.ID
		refs, err := attachFiles(tx, Actor{AccountID: in.ReporterID}, workflow.KindLead, l.ID, ev.Action, in.FileIDs, in.Anonymous, now)
		if err != nil {
			return err
		}
		ev.Payload = payloadJSON(filesPayload(nil, refs))
		if err := s.insertEvents(tx, ev); err != nil {
			return err
		}
		created = l
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return created, receipt, nil
}

// Anonymous leads cannot be tied to whoever reported them by their id,
// their place in any order, or their time (docs/design.md#unlinkability):
//
//   - their ids are random in [AnonymousLeadIDs, 2·AnonymousLeadIDs), a space
//     of their own, so an anonymous lead's id says nothing of when it was
//     filed relative to any other lead; named leads take the next id below
//     AnonymousLeadIDs (explicitly: the databases' own counters would jump
//     past the first random id);
//   - their report time (created_at, the report event's time, the start of
//     the first step and so its deadline) is the start of the day, Beijing
//     time, on which they were filed;
//   - event ids are never shown (the API and webhooks give opaque ones), and
//     the report event of an anonymous lead is not sent to webhooks.
const AnonymousLeadIDs uint64 = 1 << 52

// reportDay is the start of now's day in the calendar's time zone, in UTC.
func (s *Store) reportDay(now time.Time) time.Time {
	t := now.In(s.cal.Location())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()).UTC()
}

// newLeadID returns the id of a new lead: random in the anonymous space,
// else the next named id (a locking read on MySQL, so two filings wait for
// each other instead of taking one id; SQLite's write transactions are
// serial anyway).
func newLeadID(tx *gorm.DB, anonymous bool) (uint64, error) {
	if anonymous {
		var b [8]byte
		_, _ = rand.Read(b[:])
		return AnonymousLeadIDs + binary.BigEndian.Uint64(b[:])%AnonymousLeadIDs, nil
	}
	q := "SELECT COALESCE(MAX(id), 0) FROM leads WHERE id < ?"
	if tx.Dialector.Name() == "mysql" {
		q += " FOR UPDATE"
	}
	var last uint64
	if err := tx.Raw(q, AnonymousLeadIDs).Scan(&last).Error; err != nil {
		return 0, err
	}
	return last + 1, nil
}

// AnonymousRole is the actor role of the event that records an anonymous report.
const AnonymousRole = "anonymous"

// leadScope is the visibility rule of docs/design.md#lead-loop as a query condition:
// inspectors see the leads of their region and below; a department sees
// only the leads whose rectification is charged to its own unit (its
// department in its own region, not below); a station or an enterprise sees only the leads it
// reported under its name (anonymous ones only through their receipt). The
// account named as a lead's subject never sees it (recusal), checked now
// against the account: by id (the account matched when the subject was
// named, whatever it is called since) and by username (an account created
// or renamed to the name later); nor does an inspector who declared a
// conflict with it (回避, lead_recusals).
func leadScope(q *gorm.DB, sc Scope) *gorm.DB {
	if sc.Role != workflow.RoleSystem {
		q = notRecused(q, sc.AccountID, sc.Username)
	}
	switch sc.Role {
	case workflow.RoleInspector:
		return q.Where("region_code IN ?", nonEmpty(sc.Regions))
	case workflow.RoleDepartment:
		// its own unit's task only (its department in its own region): a
		// city department does not see the district units' tasks
		return q.Where("rectify_department_code = ? AND rectify_region_code = ? AND status IN ?", sc.DepartmentCode,
			sc.HomeRegion, []string{string(workflow.LeadRectifying), string(workflow.LeadVerifying), string(workflow.LeadClosed)})
	case workflow.RoleEnterprise:
		return q.Where("anonymous = ? AND reporter_role = ? AND reporter_account_id = ?", false, string(workflow.RoleEnterprise), sc.AccountID)
	case workflow.RoleStation:
		return q.Where("anonymous = ? AND station_id = ?", false, sc.StationID)
	case workflow.RoleSystem:
		return q
	}
	return q.Where("1 = 0")
}

// notRecused keeps the leads account (named username) is not recused from.
func notRecused(q *gorm.DB, account uint64, username string) *gorm.DB {
	q = q.Where("(subject_account_id IS NULL OR subject_account_id <> ?)", account)
	if u := NormalizeUsername(username); u != "" {
		q = q.Where("subject_username <> ?", u)
	}
	return q.Where("NOT EXISTS (SELECT 1 FROM lead_recusals WHERE lead_recusals.lead_id = leads.id AND lead_recusals.account_id = ?)", account)
}

// FindLead returns the lead when the scope may see it; ErrNotFound when it
// does not exist or lies outside the scope.
func (s *Store) FindLead(ctx context.Context, sc Scope, id uint64) (*Lead, error) {
	var l Lead
	if err := leadScope(s.db.WithContext(ctx), sc).Where("id = ?", id).Take(&l).Error; err != nil {
		return nil, formatError(err)
	}
	return &l, nil
}

// FindLeadByReceipt returns the anonymous lead whose receipt this is, or
// ErrNotFound. The subject of the lead is refused like everyone else.
func (s *Store) FindLeadByReceipt(ctx context.Context, sc Scope, receipt string) (*Lead, error) {
	var l Lead
	q := notRecused(s.db.WithContext(ctx).Model(&Lead{}).Where("receipt_hash = ? AND anonymous = ?", receiptHash(receipt), true),
		sc.AccountID, sc.Username)
	if err := q.Take(&l).Error; err != nil {
		return nil, formatError(err)
	}
	return &l, nil
}

// LeadFilter filters ListLeads. Nil slices and pointers mean "any".
type LeadFilter struct {
	Status      []string
	RegionCodes []string
	Overdue     *bool
	Disposal    []string
	Page        Page
}

// ListLeads lists the leads the scope may see that match f, newest first.
func (s *Store) ListLeads(ctx context.Context, sc Scope, f LeadFilter) ([]Lead, uint64, error) {
	db := s.db.WithContext(ctx).Model(&Lead{})
	if sc.Role == workflow.RoleInspector && f.Status == nil && f.RegionCodes == nil && f.Disposal == nil && f.Overdue == nil {
		// An inspector's whole queue: most leads of its regions match, so
		// reading the primary key backwards meets a page at once; SQLite's
		// planner would read every region's leads through an index and
		// sort them (0.7–2 s for the city on 100,000 leads). MySQL reads
		// the key backwards by itself.
		db = db.Table(notIndexed(db, "leads"))
	}
	q := leadScope(db, sc)
	if f.Status != nil {
		q = q.Where("status IN ?", nonEmpty(f.Status))
	}
	if f.RegionCodes != nil {
		q = q.Where("region_code IN ?", nonEmpty(f.RegionCodes))
	}
	if f.Disposal != nil {
		q = q.Where("disposal IN ?", nonEmpty(f.Disposal))
	}
	if f.Overdue != nil {
		open := statusStrings(workflow.Lead.OpenStatuses())
		if *f.Overdue {
			q = q.Where("status IN ? AND (overdue = ? OR due_at < ?)", open, true, s.Now())
		} else {
			q = q.Where("NOT (status IN ? AND (overdue = ? OR due_at < ?))", open, true, s.Now())
		}
	}
	var out []Lead
	next, err := pageQuery(q, f.Page, &out, func(i int) uint64 { return out[i].ID })
	return out, next, err
}

// IsOverdue reports whether l is past its current deadline at now.
func (l *Lead) IsOverdue(now time.Time) bool {
	st, _ := workflow.Lead.State(workflow.Status(l.Status))
	if !st.Open {
		return false
	}
	return l.Overdue || (l.DueAt != nil && now.After(*l.DueAt))
}

// LeadActor is a as the engine sees it for l: the rectifying unit's party
// (same department, same region), and whether a is named as l's subject.
func LeadActor(a Actor, l *Lead) workflow.Actor {
	wa := workflow.Actor{ID: a.AccountID, Role: a.Role, Subject: (l.SubjectAccountID != nil && *l.SubjectAccountID == a.AccountID) ||
		(l.SubjectUsername != "" && l.SubjectUsername == NormalizeUsername(a.Username))}
	if a.Role == workflow.RoleDepartment && l.RectifyDepartmentCode != nil && l.RectifyRegionCode != nil &&
		a.DepartmentCode == *l.RectifyDepartmentCode && a.RegionCode == *l.RectifyRegionCode {
		wa.Parties = append(wa.Parties, workflow.PartyRectifyingUnit)
	}
	if a.Role == workflow.RoleInspector && l.ProposedBy != nil && *l.ProposedBy != a.AccountID {
		wa.Parties = append(wa.Parties, workflow.PartyNotProposer)
	}
	return wa
}

// AvailableLeadActions lists what a may do to l now (state machine only;
// the api intersects it with the policy).
func (s *Store) AvailableLeadActions(a Actor, l *Lead) []workflow.Transition {
	return workflow.Lead.Available(l.item(s.Now()), LeadActor(a, l))
}

// What a LeadRead records.
const (
	ReadDetail     = "detail"
	ReadEvents     = "events"
	ReadTransition = "transition"
	// ReadFile: one of its files was downloaded (GET /files/{id}).
	ReadFile = "file"
)

// RecordLeadRead records that actor is being shown lead id (what: ReadDetail
// or ReadEvents). The api calls it before it answers, so an answer is never
// sent without its record.
func (s *Store) RecordLeadRead(ctx context.Context, actor Actor, id uint64, what string) error {
	r := &LeadRead{LeadID: id, AccountID: actor.AccountID, Role: string(actor.Role), What: what, At: s.Now()}
	return formatError(s.db.WithContext(ctx).Create(r).Error)
}

// LeadReadRow is a LeadRead with the reader's username.
type LeadReadRow struct {
	LeadRead
	Username    string
	DisplayName string
}

// ListLeadReads lists who read lead id, newest first.
func (s *Store) ListLeadReads(ctx context.Context, id uint64, p Page) ([]LeadReadRow, uint64, error) {
	var reads []LeadRead
	next, err := pageQuery(s.db.WithContext(ctx).Where("lead_id = ?", id), p, &reads, func(i int) uint64 { return reads[i].ID })
	if err != nil {
		return nil, 0, err
	}
	ids := make([]uint64, 0, len(reads))
	for _, r := range reads {
		ids = append(ids, r.AccountID)
	}
	names, err := s.AccountNames(ctx, ids...)
	if err != nil {
		return nil, 0, err
	}
	out := make([]LeadReadRow, len(reads))
	for i, r := range reads {
		out[i] = LeadReadRow{LeadRead: r, Username: names[r.AccountID].Username, DisplayName: names[r.AccountID].DisplayName}
	}
	return out, next, nil
}

// LeadNote is one investigation note (调查核实), with its author and time.
type LeadNote struct {
	At      time.Time
	ActorID uint64
	Notes   string
}

// LeadNotes returns the investigation notes of lead id, oldest first: the
// payloads of its investigate events, where they are kept.
func (s *Store) LeadNotes(ctx context.Context, id uint64) ([]LeadNote, error) {
	var evs []Event
	err := s.db.WithContext(ctx).Where("case_kind = ? AND case_id = ? AND action = ?",
		string(workflow.KindLead), id, string(workflow.LeadInvestigate)).Order("id ASC").Find(&evs).Error
	if err != nil {
		return nil, formatError(err)
	}
	out := make([]LeadNote, 0, len(evs))
	for _, e := range evs {
		var p struct {
			Notes string `json:"notes"`
		}
		_ = json.Unmarshal([]byte(e.Payload), &p)
		out = append(out, LeadNote{At: e.At, ActorID: e.ActorID, Notes: p.Notes})
	}
	return out, nil
}

// AccountNames returns the accounts with the given ids (id, username and
// display name only), for showing who did what.
func (s *Store) AccountNames(ctx context.Context, ids ...uint64) (map[uint64]Account, error) {
	out := map[uint64]Account{}
	if len(ids) == 0 {
		return out, nil
	}
	var accts []Account
	if err := s.db.WithContext(ctx).Select("id", "username", "display_name", "role").Where("id IN ?", ids).Find(&accts).Error; err != nil {
		return nil, formatError(err)
	}
	for _, a := range accts {
		out[a.ID] = a
	}
	return out, nil
}
