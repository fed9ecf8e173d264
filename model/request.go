package model

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// NewRequest is a request as filed.
type NewRequest struct {
	Title, Content, Category string
	EnterpriseID             uint64
	RegionCode               string
	FiledBy                  uint64
	FilerRole                workflow.Role
	StationID                uint64
	// FileIDs are uploads of the filer's to attach (checked by attachFiles).
	FileIDs []string
	// ConsultationID: the issue was raised at this 政企协商会 (channel
	// consultation); the meeting must be published or held.
	ConsultationID uint64
}

// The channels a request comes by.
const (
	ChannelDirect       = "direct"
	ChannelConsultation = "consultation"
)

// Idempotency carries an Idempotency-Key and the hash of the body it came with.
type Idempotency struct {
	Key      string
	BodyHash string
}

// StoredResponse is a remembered first answer.
type StoredResponse struct {
	Status int
	Body   []byte
}

// RefNo is the human reference of a request (QH-2026-000123): the year it was
// filed (Asia/Shanghai) and its id. Derived, so filing needs no counter row.
func RefNo(prefix string, id uint64, created time.Time, loc *time.Location) string {
	return fmt.Sprintf("%s-%d-%06d", prefix, created.In(loc).Year(), id)
}

// ParseRefNo returns the id inside a reference such as QH-2026-000123.
func ParseRefNo(prefix, s string) (uint64, bool) {
	var year int
	var id uint64
	if _, err := fmt.Sscanf(s, prefix+"-%d-%d", &year, &id); err != nil || id == 0 {
		return 0, false
	}
	return id, true
}

// CreateRequest files a request and writes its first event in one
// transaction. With idem set, a retry with the same key and body returns the
// first answer (stored) and creates nothing; another body gives
// ErrIdempotencyMismatch. render turns the new request into the answer to
// remember.
func (s *Store) CreateRequest(ctx context.Context, in NewRequest, idem *Idempotency,
	render func(*Request) (int, []byte, error)) (*Request, *StoredResponse, error) {
	var created *Request
	// A retry with a key already used is found by the unique index on the
	// key when its row is inserted: the transaction rolls back and the
	// first answer is read below. Reading it first would cost every filing
	// a round trip to spare the rare retry some work.
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.Now()
		r := &Request{
			Title: in.Title, Content: in.Content, Category: in.Category,
			EnterpriseID: in.EnterpriseID, RegionCode: in.RegionCode,
			FiledBy: in.FiledBy, FilerRole: string(in.FilerRole),
			Status: string(workflow.Submitted), StepStartedAt: now, RoundStartedAt: now,
			Version: 1, CreatedAt: now, UpdatedAt: now,
		}
		if in.StationID != 0 {
			r.StationID = &in.StationID
		}
		r.Channel = ChannelDirect
		if in.ConsultationID != 0 {
			r.Channel, r.ConsultationID = ChannelConsultation, &in.ConsultationID
		}
		r.DueAt, r.DueWorking = workflow.Request.StepDeadline(workflow.Submitted, now, s.requestEnv(r.Category, now))
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		created = r
		// The key before the files: a retry finds its key taken (and gets
		// the first answer) rather than its files attached already. An
		// automatic assignment below rewrites its answer.
		var key *IdempotencyKey
		if idem != nil {
			status, body, err := render(r)
			if err != nil {
				return err
			}
			key = &IdempotencyKey{AccountID: in.FiledBy, Key: idem.Key, BodyHash: idem.BodyHash,
				Status: status, Response: string(body), CreatedAt: now}
			if err := tx.Create(key).Error; err != nil {
				return err
			}
		}
		refs, err := attachFiles(tx, Actor{AccountID: in.FiledBy}, workflow.KindRequest, r.ID, string(workflow.EventCreated), in.FileIDs, false, now)
		if err != nil {
			return err
		}
		ev := &Event{CaseKind: string(workflow.KindRequest), CaseID: r.ID, Action: string(workflow.EventCreated),
			ToStatus: r.Status, ActorID: in.FiledBy, ActorRole: string(in.FilerRole), At: now,
			Payload: payloadJSON(filesPayload(nil, refs)), RegionCode: r.RegionCode, chain: chainKnown} // the first of its case
		// The first event's hash needs the id the insert gave: the row's
		// chain_head stays NULL and the first transition reads it.
		if err := s.insertEvents(tx, ev); err != nil {
			return err
		}
		if in.ConsultationID != 0 {
			if err := s.recordIssue(tx, in, r, now); err != nil {
				return err
			}
		}
		sug, ok := s.ref.Suggest(r.Category, r.RegionCode)
		if !ok || !sug.Auto {
			return nil
		}
		if err := s.autoAssign(tx, r, ev.Hash, sug, now); err != nil {
			return err
		}
		if key == nil {
			return nil
		}
		status, body, err := render(r)
		if err != nil {
			return err
		}
		return tx.Model(key).Updates(map[string]any{"status": status, "response": string(body)}).Error
	})
	if errors.Is(err, ErrConflict) && idem != nil {
		// The key was used before (a retry, or a concurrent request that
		// won the race): answer as the first did.
		prev, err2 := findIdem(s.db.WithContext(ctx), in.FiledBy, idem)
		if err2 != nil {
			return nil, nil, formatError(err2)
		}
		if prev != nil {
			return nil, prev, nil
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return created, nil, nil
}

func findIdem(tx *gorm.DB, account uint64, idem *Idempotency) (*StoredResponse, error) {
	var row IdempotencyKey
	err := tx.Where("account_id = ? AND idem_key = ?", account, idem.Key).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if row.BodyHash != idem.BodyHash {
		return nil, ErrIdempotencyMismatch
	}
	return &StoredResponse{Status: row.Status, Body: []byte(row.Response)}, nil
}

// requestScope is the visibility rule of docs/design.md#roles as a query
// condition: a department sees the requests of its unit and those its unit
// co-handles (协办). For a list use listRequestsPlain, which reads the two
// apart (an OR would read the primary key backwards for a sparse unit).
func requestScope(q *gorm.DB, sc Scope) *gorm.DB {
	if sc.Role == workflow.RoleDepartment {
		return q.Where("((department_code = ? AND unit_region_code IN ?) OR id IN (SELECT request_id FROM request_co_units WHERE department_code = ? AND unit_region_code IN ?))",
			sc.DepartmentCode, nonEmpty(sc.Regions), sc.DepartmentCode, nonEmpty(sc.Regions))
	}
	return requestUnitScope(q, sc)
}

// coHandledScope is the requests sc's unit co-handles.
func coHandledScope(q *gorm.DB, sc Scope) *gorm.DB {
	return q.Where("id IN (SELECT request_id FROM request_co_units WHERE department_code = ? AND unit_region_code IN ?)",
		sc.DepartmentCode, nonEmpty(sc.Regions))
}

// requestUnitScope is requestScope with a department's own unit's requests
// only: its deadline board and worklist (deadlines and indicators stay with
// the lead unit, 主办).
func requestUnitScope(q *gorm.DB, sc Scope) *gorm.DB {
	switch sc.Role {
	case workflow.RoleEnterprise:
		return q.Where("enterprise_id = ?", sc.EnterpriseID)
	case workflow.RoleStation:
		return q.Where("station_id = ?", sc.StationID)
	case workflow.RoleACFIC, workflow.RoleInspector:
		return q.Where("region_code IN ?", nonEmpty(sc.Regions))
	case workflow.RoleDepartment:
		return q.Where("department_code = ? AND unit_region_code IN ?", sc.DepartmentCode, nonEmpty(sc.Regions))
	case workflow.RoleSystem:
		return q
	}
	return q.Where("1 = 0")
}

// byIDScope is requestScope for reading one request by id: a scope of
// regions (工商联, inspectors) is checked on the row read instead of by an IN
// list of every region it covers. A city's 工商联 sent all 29 region codes
// with each read, and MariaDB took more than twice as long over that read
// as over the same read by id alone.
func byIDScope(q *gorm.DB, sc Scope) (*gorm.DB, func(region string) bool) {
	switch sc.Role {
	case workflow.RoleACFIC, workflow.RoleInspector:
		return q, func(code string) bool { return slices.Contains(sc.Regions, code) }
	}
	return requestScope(q, sc), func(string) bool { return true }
}

// FindRequest returns the request when the scope may see it; ErrNotFound
// when it does not exist or lies outside the scope.
func (s *Store) FindRequest(ctx context.Context, sc Scope, id uint64) (*Request, error) {
	var r Request
	q, sees := byIDScope(s.db.WithContext(ctx), sc)
	if err := q.Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, formatError(err)
	}
	if !sees(r.RegionCode) {
		return nil, ErrNotFound
	}
	return &r, nil
}

// RequestFilter filters ListRequests. Nil slices and pointers mean "any".
type RequestFilter struct {
	Status         []string
	RegionCodes    []string
	DepartmentCode string
	Overdue        *bool
	Supervised     *bool
	Q              string
	Category       string
	// CreatedFrom and CreatedTo bound the filing time: from ≤ created_at < to
	// (zero: unbounded).
	CreatedFrom, CreatedTo time.Time
	Page                   Page
	// CoHandled, for a department: true lists only the requests its unit
	// co-handles (协办), false only its own unit's; nil both.
	CoHandled *bool

	// filed is the range of ids filed in [CreatedFrom, CreatedTo), found by
	// ListRequests (zero: not looked up).
	filed [2]uint64
	// hasCoUnits is CoHandled for a scope other than a department's: the
	// requests with (true) or without (false) co-handling units.
	hasCoUnits *bool
}

// ListRequests lists the requests the scope may see that match f, newest first.
// When the filter and scope pin the rows to a few (region_code, status) pairs
// it reads one index range per pair in one statement (list_pairs.go);
// otherwise it runs the plain keyset query. Both return the same page.
//
// A filing-date filter is read through idx_requests_created first: the
// lowest and highest id filed in the period bound the list to that stretch
// of ids (a condition every matching row meets, whatever the order ids were
// given in), so the list starts reading there instead of walking back from
// the newest request through every later one.
func (s *Store) ListRequests(ctx context.Context, sc Scope, f RequestFilter) ([]Request, uint64, error) {
	now := s.Now()
	if sc.Role != workflow.RoleDepartment && f.CoHandled != nil {
		f.hasCoUnits, f.CoHandled = f.CoHandled, nil
	}
	if !f.CreatedFrom.IsZero() || !f.CreatedTo.IsZero() {
		q := s.db.WithContext(ctx).Model(&Request{})
		if !f.CreatedFrom.IsZero() {
			q = q.Where("created_at >= ?", f.CreatedFrom.UTC())
		}
		if !f.CreatedTo.IsZero() {
			q = q.Where("created_at < ?", f.CreatedTo.UTC())
		}
		var r struct{ Lo, Hi *uint64 }
		if err := q.Select("MIN(id) AS lo, MAX(id) AS hi").Scan(&r).Error; err != nil {
			return nil, 0, formatError(err)
		}
		if r.Lo == nil || r.Hi == nil {
			return nil, 0, nil // nothing was filed in the period
		}
		f.filed = [2]uint64{*r.Lo, *r.Hi}
	}
	if pairs, ok := s.listPairs(sc, f); ok {
		return s.listRequestsByPairs(ctx, pairs, f, now)
	}
	return s.listRequestsPlain(ctx, sc, f, now)
}

// listRequestsPlain is ListRequests as one keyset query over every match.
func (s *Store) listRequestsPlain(ctx context.Context, sc Scope, f RequestFilter, now time.Time) ([]Request, uint64, error) {
	db := s.db.WithContext(ctx).Model(&Request{})
	if sc.Role == workflow.RoleACFIC || sc.Role == workflow.RoleInspector {
		// A regional scope reaches the plain query when the filter is wide
		// (more (region, status) pairs than maxListPairs: the whole city
		// without a status filter), so most rows match and reading the
		// primary key backwards meets a page at once. SQLite's planner
		// would rather read idx_requests_region_status for every region
		// and sort the million matches (0.4–0.7 s); MySQL reads the key
		// backwards by itself.
		db = db.Table(notIndexed(db, "requests"))
	}
	if sc.Role == workflow.RoleDepartment && f.CoHandled == nil {
		// Its own unit's requests and those it co-handles, each by its own
		// index, merged.
		own := f
		own.CoHandled = new(false)
		a, _, err := s.listRequestsPlain(ctx, sc, own, now)
		if err != nil {
			return nil, 0, err
		}
		co := f
		co.CoHandled = new(true)
		b, _, err := s.listRequestsPlain(ctx, sc, co, now)
		if err != nil {
			return nil, 0, err
		}
		all := append(a, b...)
		slices.SortFunc(all, func(x, y Request) int { return cmp.Compare(y.ID, x.ID) })
		all = slices.CompactFunc(all, func(x, y Request) bool { return x.ID == y.ID })
		size := f.Page.size()
		if len(all) > size {
			return all[:size], all[size-1].ID, nil
		}
		return all, 0, nil
	}
	var q *gorm.DB
	switch {
	case sc.Role == workflow.RoleDepartment && *f.CoHandled:
		q = coHandledScope(db, sc)
	default:
		q = requestUnitScope(db, sc)
	}
	if f.Status != nil {
		q = q.Where("status IN ?", nonEmpty(f.Status))
	}
	if f.RegionCodes != nil {
		q = q.Where("region_code IN ?", nonEmpty(f.RegionCodes))
	}
	for _, c := range requestFilterConds(f, now) {
		q = q.Where(c.sql, c.args...)
	}
	var out []Request
	next, err := pageQuery(q, f.Page, &out, func(i int) uint64 { return out[i].ID })
	return out, next, err
}

// sqlCond is one condition of a WHERE clause with its arguments (gorm's
// placeholders: a slice argument of "IN ?" becomes a list).
type sqlCond struct {
	sql  string
	args []any
}

// requestFilterConds are the conditions of f other than status and region,
// which both list paths apply as they are.
func requestFilterConds(f RequestFilter, now time.Time) []sqlCond {
	var cs []sqlCond
	if f.hasCoUnits != nil {
		op := "="
		if *f.hasCoUnits {
			op = "<>"
		}
		cs = append(cs, sqlCond{"co_units " + op + " ?", []any{""}})
	}
	if f.DepartmentCode != "" {
		cs = append(cs, sqlCond{"department_code = ?", []any{f.DepartmentCode}})
	}
	if f.Supervised != nil {
		cs = append(cs, sqlCond{"supervised = ?", []any{*f.Supervised}})
	}
	if f.Overdue != nil {
		open := statusStrings(workflow.Request.OpenStatuses())
		if *f.Overdue {
			cs = append(cs, sqlCond{"status IN ? AND due_at < ?", []any{open, now}})
		} else {
			cs = append(cs, sqlCond{"NOT (status IN ? AND due_at < ?)", []any{open, now}})
		}
	}
	if f.Q != "" {
		like := "%" + escapeLike(f.Q) + "%"
		cs = append(cs, sqlCond{"title LIKE ? ESCAPE '!'", []any{like}})
	}
	if f.Category != "" {
		cs = append(cs, sqlCond{"category = ?", []any{f.Category}})
	}
	if !f.CreatedFrom.IsZero() {
		cs = append(cs, sqlCond{"created_at >= ?", []any{f.CreatedFrom.UTC()}})
	}
	if !f.CreatedTo.IsZero() {
		cs = append(cs, sqlCond{"created_at < ?", []any{f.CreatedTo.UTC()}})
	}
	if f.filed != [2]uint64{} {
		cs = append(cs, sqlCond{"id >= ? AND id <= ?", []any{f.filed[0], f.filed[1]}})
	}
	return cs
}

func escapeLike(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s)
}

// statusStrings is a list of statuses (or actions) as the database stores them.
func statusStrings[T ~string](st []T) []string {
	out := make([]string, len(st))
	for i, s := range st {
		out[i] = string(s)
	}
	return out
}

// IsOverdue reports whether r is past its current deadline at now.
func (r *Request) IsOverdue(now time.Time) bool {
	if r.Overdue {
		return true
	}
	st, _ := workflow.Request.State(workflow.Status(r.Status))
	return st.Open && r.DueAt != nil && now.After(*r.DueAt)
}

// Actor is the account acting, as the workflow engine and the timeline need it.
type Actor struct {
	AccountID      uint64
	Username       string
	Role           workflow.Role
	RegionCode     string
	DepartmentCode string
	StationID      uint64
	EnterpriseID   uint64
}

func requestParties(a Actor, r *Request) []workflow.Party {
	var ps []workflow.Party
	if a.Role == workflow.RoleEnterprise && a.EnterpriseID == r.EnterpriseID {
		ps = append(ps, workflow.PartyFilingEnterprise, workflow.PartyFiler)
	}
	if a.Role == workflow.RoleStation && r.StationID != nil && a.StationID == *r.StationID {
		ps = append(ps, workflow.PartyFiler)
	}
	if a.Role == workflow.RoleDepartment && r.DepartmentCode != nil && r.UnitRegionCode != nil &&
		a.DepartmentCode == *r.DepartmentCode && a.RegionCode == *r.UnitRegionCode {
		ps = append(ps, workflow.PartyAssignedUnit)
	}
	if a.Role == workflow.RoleDepartment && r.CoUnits != "" &&
		slices.Contains(workflow.DecodeUnits(r.CoUnits), workflow.Unit{DepartmentCode: a.DepartmentCode, RegionCode: a.RegionCode}) {
		ps = append(ps, workflow.PartyCoUnit)
	}
	return ps
}

// RequestActor is a as the engine sees it for r.
func RequestActor(a Actor, r *Request) workflow.Actor {
	return workflow.Actor{Role: a.Role, Parties: requestParties(a, r)}
}

// AvailableRequestActions lists what a may do to r now (state machine only;
// the api intersects it with the policy).
func (s *Store) AvailableRequestActions(a Actor, r *Request) []workflow.Transition {
	return workflow.Request.Available(r.item(s.Now()), RequestActor(a, r))
}

// ListEvents returns the timeline of a case, oldest first, skipping the
// first skip events; next is the skip of the following page (0: none). The
// position, not the event's row id, pages: row ids are one sequence over
// every case and are never shown (OpaqueEventID).
func (s *Store) ListEvents(ctx context.Context, kind workflow.Kind, caseID uint64, skip uint64, size int) ([]Event, uint64, error) {
	var out []Event
	q := s.db.WithContext(ctx).Where("case_kind = ? AND case_id = ?", string(kind), caseID)
	if size <= 0 {
		size = 20
	}
	if err := q.Order("id ASC").Offset(int(min(skip, 1<<31))).Limit(size + 1).Find(&out).Error; err != nil {
		return nil, 0, formatError(err)
	}
	if len(out) > size {
		out = out[:size]
		return out, skip + uint64(size), nil
	}
	return out, 0, nil
}

// autoAssign assigns the new request r, whose first event has hash head, to
// the unit the 派单目录 names for its category (an entry marked auto), as
// the system, in the filing's transaction: the request is filed already
// assigned, and the timeline shows the two steps.
func (s *Store) autoAssign(tx *gorm.DB, r *Request, head string, sug workflow.Suggestion, now time.Time) error {
	cmd := workflow.Command{Action: workflow.Assign, DepartmentCode: sug.DepartmentCode, RegionCode: sug.RegionCode,
		Note: "按派单目录自动交办", Present: []string{"department_code", "region_code", "note"}}
	env := s.requestEnv(r.Category, now)
	env.Dispatch = &sug
	o, err := workflow.Request.Apply(r.item(now), RequestActor(systemActor(), r), cmd, env)
	if err != nil {
		return err
	}
	ev := recordEvent(r, o.Event, systemActor(), now)
	ev.PrevHash, ev.chain = head, chainKnown
	if err := s.commitChange(tx, r, r.ID, r.Version, outcomeColumns(o, now), ev, true); err != nil {
		return err
	}
	if err := tx.Take(r, r.ID).Error; err != nil {
		return err
	}
	c := newNoticeCache()
	if err := s.notifyRequest(tx, c, now, systemActor(), r, workflow.Assign); err != nil {
		return err
	}
	return c.flush(tx)
}

// linkMerged completes the merge of r (already written as merged into
// r.MergedInto): the request it went into must be another of the same
// enterprise that is not itself merged, withdrawn or rejected; that
// request gains a merged_from event naming r (so the link goes both ways
// in the timelines) and a new version.
func (s *Store) linkMerged(tx *gorm.DB, actor Actor, r *Request, now time.Time) error {
	if r.MergedInto == nil {
		return workflow.Invalid("target_id", "为必填字段")
	}
	target, head, err := readRequestHead(s, tx, Scope{Role: workflow.RoleSystem}, *r.MergedInto)
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return workflow.Invalid("target_id", "目标诉求不存在或无权查看")
	case err != nil:
		return err
	case target.ID == r.ID:
		return workflow.Invalid("target_id", "不能合并到诉求本身")
	case target.EnterpriseID != r.EnterpriseID:
		return workflow.Invalid("target_id", "只能合并到同一企业的诉求；不同企业反映的同一问题各自办理答复")
	}
	if !workflow.MergeTarget(workflow.Status(target.Status)) {
		return workflow.Invalid("target_id", "目标诉求已合并、撤回或不予受理，不能再并入")
	}
	st := workflow.Status(target.Status)
	ev := recordEvent(target, workflow.Record{Action: workflow.EventMergedFrom, From: st, To: st,
		Payload: map[string]any{"source_id": strconv.FormatUint(r.ID, 10)}}, actor, now)
	ev.PrevHash, ev.chain = "", chainKnown
	if head != nil {
		ev.PrevHash = *head
	}
	return s.commitChange(tx, target, target.ID, target.Version, map[string]any{}, ev, true)
}

// RepeatCandidates are the requests sc may see that could repeat r: of the
// same enterprise, or of the same category in the same region, filed since
// (at most limit of each, newest first), r excluded. The texts are compared
// by the caller (workflow.Similarity).
func (s *Store) RepeatCandidates(ctx context.Context, sc Scope, r *Request, since time.Time, limit int) ([]Request, error) {
	cols := []string{"id", "title", "content", "category", "enterprise_id", "region_code", "status", "created_at", "merged_into"}
	var byEnt, byMatter []Request
	db := s.db.WithContext(ctx)
	if err := requestScope(db.Model(&Request{}), sc).Select(cols).
		Where("enterprise_id = ? AND created_at >= ? AND id <> ?", r.EnterpriseID, since.UTC(), r.ID).
		Order("id DESC").Limit(limit).Find(&byEnt).Error; err != nil {
		return nil, formatError(err)
	}
	if err := requestScope(db.Model(&Request{}), sc).Select(cols).
		Where("region_code = ? AND category = ? AND enterprise_id <> ? AND created_at >= ? AND id <> ?",
			r.RegionCode, r.Category, r.EnterpriseID, since.UTC(), r.ID).
		Order("id DESC").Limit(limit).Find(&byMatter).Error; err != nil {
		return nil, formatError(err)
	}
	return append(byEnt, byMatter...), nil
}

// syncCoUnits makes request_co_units list the co-handling units r.CoUnits
// names (after an assignment or a return), in r's transaction.
func (s *Store) syncCoUnits(tx *gorm.DB, r *Request) error {
	if err := tx.Where("request_id = ?", r.ID).Delete(&RequestCoUnit{}).Error; err != nil {
		return err
	}
	units := workflow.DecodeUnits(r.CoUnits)
	if len(units) == 0 {
		return nil
	}
	for _, u := range units {
		// A co-handling unit has jurisdiction where the enterprise is: its
		// region is the request's or one above it.
		if _, ok := s.ref.Tree.Distance(r.RegionCode, u.RegionCode); !ok {
			return workflow.Invalid("co_units", "协办单位对该企业所在地没有管辖权："+u.DepartmentCode+"@"+u.RegionCode)
		}
	}
	rows := make([]RequestCoUnit, len(units))
	for i, u := range units {
		rows[i] = RequestCoUnit{RequestID: r.ID, DepartmentCode: u.DepartmentCode, UnitRegionCode: u.RegionCode}
	}
	return tx.Create(&rows).Error
}

// recordIssue writes, on the meeting an issue was raised at, the event that
// names the request it became. The meeting must be published or held: one
// UPDATE checks that and takes the meeting's row (its version goes up: it
// has a new event), so issues raised at once wait for each other rather
// than conflict, and a cancellation in between makes one of the two fail.
func (s *Store) recordIssue(tx *gorm.DB, in NewRequest, r *Request, now time.Time) error {
	open := []string{string(workflow.MeetingPublished), string(workflow.MeetingHeld)}
	res := tx.Model(&Consultation{}).Where("id = ? AND status IN ?", in.ConsultationID, open).
		Updates(map[string]any{"version": gorm.Expr("version + 1"), "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return workflow.ErrInvalidTransition
	}
	var m Consultation
	if err := tx.Where("id = ?", in.ConsultationID).Take(&m).Error; err != nil {
		return err
	}
	return s.insertEvents(tx, &Event{CaseKind: string(workflow.KindConsultation), CaseID: m.ID, Action: string(workflow.MeetingRaiseIssue),
		FromStatus: m.Status, ToStatus: m.Status, ActorID: in.FiledBy, ActorRole: string(in.FilerRole), At: now,
		Payload:    payloadJSON(map[string]any{"request_id": strconv.FormatUint(r.ID, 10), "enterprise_id": strconv.FormatUint(r.EnterpriseID, 10)}),
		RegionCode: m.RegionCode, chain: chainExisting})
}
