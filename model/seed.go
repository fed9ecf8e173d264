package model

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"time"

	"gorm.io/gorm"

	"qinqing/configs"
	"qinqing/workflow"
)

// SeedOptions sizes a synthetic data set (for measuring at scale).
type SeedOptions struct {
	Requests    int // enterprise requests (default 1,000,000)
	Leads       int // leads, written only when the leads table exists (default 100,000)
	Enterprises int // enterprises, one enterprise account each (default 20,000)
	Months      int // requests and leads are spread over this many months before now (default 18)
	// PasswordHash is given to every seeded account (hash the password once).
	PasswordHash string
	// Tag prefixes usernames so that a database can be seeded twice; random when empty.
	Tag string
	// Seed makes the data reproducible (0: random).
	Seed uint64
	// Batch is the number of rows per multi-row INSERT (default 1000; on
	// SQLite at most 1,200 values per statement, see batch).
	Batch int
	// Progress, when set, is told how far each stage got.
	Progress func(stage string, done, total int)
}

// SeedResult counts what Seed wrote.
type SeedResult struct {
	Tag                                 string
	Enterprises, Stations, Accounts     int
	Requests, RequestEvents             int
	Leads, LeadEvents                   int
	FirstRequestID, LastRequestID       uint64
	LeadsSkipped                        string // why leads were not written, if they were not
	Elapsed                             time.Duration
	OpenRequests, OverdueRequests       int
	ClosedRequests, RejectedOrWithdrawn int
}

// SeedUsername is the username Seed gives an account: kind is "ent" (key:
// the enterprise's 1-based number), "acfic", "insp", "station" (key: a region
// code) or "dept" (key: department code + "-" + region code).
func SeedUsername(tag, kind, key string) string { return tag + "-" + kind + "-" + key }

// seedCtx carries what the generators share.
type seedCtx struct {
	s         *Store
	opt       SeedOptions
	rng       *mrand.Rand
	now       time.Time
	start     time.Time
	leaves    []string          // regions enterprises sit in (everything but the root)
	unitOf    map[string]string // region → the region of the unit that handles it (its county)
	depts     []string
	cats      []string
	ents      []seedEnt
	acfic     map[string]uint64 // region → acfic account
	insp      map[string]uint64 // region → inspector account
	station   map[string]uint64 // region → station account
	stationID map[string]uint64 // region → station id
	dept      map[string]uint64 // dept-region → department account
	rootACFIC uint64
	res       *SeedResult
}

type seedEnt struct {
	id, account uint64
	region      string
}

// Seed fills the database with a realistic synthetic data set: enterprises
// over every region, department/acfic/inspector/station accounts, requests
// spread over all statuses and Months months with consistent columns and
// timelines, and (when the table exists) leads. It writes with multi-row
// INSERTs in a few large transactions.
func (s *Store) Seed(ctx context.Context, opt SeedOptions) (SeedResult, error) {
	t0 := time.Now()
	if opt.Requests < 0 || opt.Leads < 0 || opt.Enterprises < 0 {
		return SeedResult{}, fmt.Errorf("seed: negative size")
	}
	if opt.Months <= 0 {
		opt.Months = 18
	}
	if opt.Enterprises == 0 {
		opt.Enterprises = 20000
	}
	if opt.Batch <= 0 {
		opt.Batch = 1000
	}
	if opt.Tag == "" {
		var b [3]byte
		_, _ = rand.Read(b[:])
		opt.Tag = "s" + hex.EncodeToString(b[:])
	}
	if opt.PasswordHash == "" {
		return SeedResult{}, fmt.Errorf("seed: a password hash is required")
	}
	seed := opt.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		for _, x := range b {
			seed = seed<<8 | uint64(x)
		}
	}
	res := &SeedResult{Tag: opt.Tag}
	now := s.Now()
	c := &seedCtx{s: s, opt: opt, rng: mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: now,
		start: now.AddDate(0, -opt.Months, 0), unitOf: map[string]string{}, acfic: map[string]uint64{},
		insp: map[string]uint64{}, station: map[string]uint64{}, stationID: map[string]uint64{}, dept: map[string]uint64{}, res: res}
	for _, r := range s.ref.RegionList {
		if r.ParentCode == "" {
			continue
		}
		c.leaves = append(c.leaves, r.Code)
		u := r.Code
		if r.Level == configs.LevelTown {
			u = r.ParentCode
		}
		c.unitOf[r.Code] = u
	}
	for _, d := range s.ref.DeptList {
		c.depts = append(c.depts, d.Code)
	}
	for _, k := range s.ref.CatList {
		c.cats = append(c.cats, k.Code)
	}
	if len(c.leaves) == 0 || len(c.depts) == 0 || len(c.cats) == 0 {
		return *res, fmt.Errorf("seed: reference data is empty")
	}
	if err := c.orgs(ctx); err != nil {
		return *res, fmt.Errorf("seed organisations: %w", err)
	}
	if err := c.requests(ctx); err != nil {
		return *res, fmt.Errorf("seed requests: %w", err)
	}
	if opt.Leads > 0 {
		if !s.db.Migrator().HasTable("leads") {
			res.LeadsSkipped = "the leads table does not exist"
		} else if err := c.leads(ctx); err != nil {
			return *res, fmt.Errorf("seed leads: %w", err)
		}
	}
	res.Elapsed = time.Since(t0)
	return *res, nil
}

func (c *seedCtx) progress(stage string, done, total int) {
	if c.opt.Progress != nil {
		c.opt.Progress(stage, done, total)
	}
}

// batch is the rows per INSERT for a table of cols columns.
func (c *seedCtx) batch(cols int) int {
	b := c.opt.Batch
	// The SQLite driver binds parameters in time quadratic in their number
	// per statement (go-sqlite conn.bind): keep its statements small.
	if !IsMySQL(c.s.db) && b*cols > 1200 {
		b = max(1, 1200/cols)
	}
	return b
}

func (c *seedCtx) pick(xs []string) string { return xs[c.rng.IntN(len(xs))] }

// between returns a duration uniformly in [lo, hi).
func (c *seedCtx) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(c.rng.Int64N(int64(hi-lo)))
}

func maxID(tx *gorm.DB, table string) (uint64, error) {
	var n *uint64
	if err := tx.Table(table).Select("MAX(id)").Scan(&n).Error; err != nil {
		return 0, err
	}
	if n == nil {
		return 0, nil
	}
	return *n, nil
}

// uscc builds a valid 统一社会信用代码 from a region and a serial number.
func seedUSCC(region string, serial uint64) string {
	b := []byte("91")
	digits := region
	for _, ch := range digits {
		if ch < '0' || ch > '9' {
			digits = "330200"
			break
		}
	}
	b = append(b, digits[:6]...)
	org := make([]byte, 9)
	for i := 8; i >= 0; i-- {
		org[i] = usccCharset[serial%31]
		serial /= 31
	}
	b = append(b, org...)
	sum := 0
	for i := 0; i < 17; i++ {
		sum += indexByte(usccCharset, b[i]) * usccWeights[i]
	}
	return string(append(b, usccCharset[(31-sum%31)%31]))
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// orgs writes the stations, enterprises and accounts.
func (c *seedCtx) orgs(ctx context.Context) error {
	s, opt := c.s, c.opt
	return s.inTx(ctx, func(tx *gorm.DB) error {
		now := c.now
		var stations []*Station
		for _, r := range c.leaves {
			stations = append(stations, &Station{Name: "亲清家园服务站（" + s.ref.Regions[r].Name + "）", RegionCode: r,
				Address: s.ref.Regions[r].Name + "政务服务中心", CreatedAt: now})
		}
		if err := tx.CreateInBatches(stations, c.batch(5)).Error; err != nil {
			return err
		}
		for _, st := range stations {
			c.stationID[st.RegionCode] = st.ID
		}
		c.res.Stations = len(stations)
		base, err := maxID(tx, "enterprises")
		if err != nil {
			return err
		}
		serialBase := c.rng.Uint64N(1 << 40)
		ents := make([]*Enterprise, 0, opt.Enterprises)
		for i := 0; i < opt.Enterprises; i++ {
			r := c.pick(c.leaves)
			ents = append(ents, &Enterprise{ID: base + uint64(i) + 1, USCC: seedUSCC(r, serialBase+uint64(i)),
				Name: fmt.Sprintf("宁波%s科技有限公司%d", s.ref.Regions[r].Name, i+1), RegionCode: r,
				ContactName: "联系人" + strconv.Itoa(i%1000), ContactPhone: fmt.Sprintf("1380000%04d", i%10000),
				CreatedAt: c.start, UpdatedAt: c.start})
		}
		if err := tx.CreateInBatches(ents, c.batch(8)).Error; err != nil {
			return err
		}
		c.res.Enterprises = len(ents)
		abase, err := maxID(tx, "accounts")
		if err != nil {
			return err
		}
		next := abase
		var accts []*Account
		add := func(kind, key, role, region string, f func(a *Account)) uint64 {
			next++
			a := &Account{ID: next, Username: SeedUsername(opt.Tag, kind, key), PasswordHash: opt.PasswordHash, Role: role,
				RegionCode: region, DisplayName: kind + " " + key, CreatedAt: now, UpdatedAt: now}
			if f != nil {
				f(a)
			}
			accts = append(accts, a)
			return next
		}
		c.ents = make([]seedEnt, len(ents))
		for i, e := range ents {
			id := e.ID
			c.ents[i] = seedEnt{id: id, region: e.RegionCode,
				account: add("ent", strconv.Itoa(i+1), string(workflow.RoleEnterprise), e.RegionCode, func(a *Account) { a.EnterpriseID = &id })}
		}
		for _, r := range s.ref.RegionList {
			c.acfic[r.Code] = add("acfic", r.Code, string(workflow.RoleACFIC), r.Code, nil)
			c.insp[r.Code] = add("insp", r.Code, string(workflow.RoleInspector), r.Code, nil)
			if sid, ok := c.stationID[r.Code]; ok {
				c.station[r.Code] = add("station", r.Code, string(workflow.RoleStation), r.Code, func(a *Account) { a.StationID = &sid })
			}
			if r.ParentCode == "" {
				c.rootACFIC = c.acfic[r.Code]
			}
			for _, d := range c.depts {
				code := d
				c.dept[d+"-"+r.Code] = add("dept", d+"-"+r.Code, string(workflow.RoleDepartment), r.Code, func(a *Account) { a.DepartmentCode = &code })
			}
		}
		if err := tx.CreateInBatches(accts, c.batch(12)).Error; err != nil {
			return err
		}
		c.res.Accounts = len(accts)
		c.progress("organisations", len(ents), len(ents))
		return nil
	})
}

// chunk is how many requests (or leads) go into one transaction.
const seedChunk = 50000

// reqSim builds one request and its timeline.
type reqSim struct {
	c      *seedCtx
	r      *Request
	evs    []*Event
	step   time.Time // when the current step started
	t      time.Time
	stuckK int // the step index at which the request stalls (-1: none)
	k      int // steps taken
}

func (m *reqSim) event(action workflow.Action, to workflow.Status, actor uint64, role workflow.Role, at time.Time, payload map[string]any) *Event {
	p := "{}"
	if payload != nil {
		b, _ := json.Marshal(payload)
		p = string(b)
	}
	ev := &Event{CaseKind: string(workflow.KindRequest), CaseID: m.r.ID, Action: string(action), FromStatus: m.r.Status,
		ToStatus: string(to), ActorID: actor, ActorRole: string(role), At: at, Payload: p, RegionCode: m.r.RegionCode}
	m.evs = append(m.evs, ev)
	return ev
}

// due is the current step's deadline.
func (m *reqSim) due() (*time.Time, bool) {
	return m.c.s.requestDue(m.r.Category, workflow.Status(m.r.Status), m.step)
}

// next tries to finish the current step after d. It returns false when the
// step is still open now (the request stays in its status, with its deadline,
// marked overdue and escalated as the scanner would have done).
func (m *reqSim) next(d time.Duration) bool {
	at := m.t.Add(d)
	m.k++
	if at.After(m.c.now) || m.k == m.stuckK {
		due, working := m.due()
		if m.r.Status == string(workflow.Responded) && due != nil && due.Before(m.c.now) {
			m.expire(*due) // the scanner closes it as 未评价 when the window ends
			return false
		}
		m.r.DueAt, m.r.DueWorking = due, working
		m.r.StepStartedAt = m.step
		if due != nil && due.Before(m.c.now) {
			st, _ := workflow.Request.State(workflow.Status(m.r.Status))
			m.r.Overdue = true
			m.r.LateSteps++
			ev := m.event(workflow.EventOverdue, workflow.Status(m.r.Status), 0, workflow.RoleSystem, *due,
				map[string]any{"step": st.Step, "due_at": due.In(beijing).Format(time.RFC3339)})
			ev.Step, ev.StepDueAt = st.Step, due
			if !m.r.Supervised {
				m.r.Supervised = true
				m.event(workflow.Supervise, workflow.Status(m.r.Status), 0, workflow.RoleSystem, *due,
					map[string]any{"note": "逾期未办，系统自动督办", "automatic": true})
			}
		}
		return false
	}
	m.t = at
	return true
}

// complete records the end of the current step at m.t with the given action.
func (m *reqSim) complete(action workflow.Action, to workflow.Status, actor uint64, role workflow.Role, payload map[string]any) *Event {
	due, _ := m.due()
	st, _ := workflow.Request.State(workflow.Status(m.r.Status))
	ev := m.event(action, to, actor, role, m.t, payload)
	ev.Step, ev.StepDueAt = st.Step, due
	onTime := due == nil || !m.t.After(*due)
	ev.OnTime = &onTime
	ev.WorkingSeconds = int64(m.c.s.cal.WorkingTime(m.step, m.t) / time.Second)
	if !onTime && (st.Step == "accept" || st.Step == "claim" || st.Step == "respond") {
		m.r.LateSteps++
	}
	m.r.Status = string(to)
	m.r.Version++
	m.r.UpdatedAt = m.t
	m.step = m.t
	m.r.StepStartedAt = m.t
	return ev
}

// expire closes a responded request whose evaluation window ended at due.
func (m *reqSim) expire(due time.Time) {
	m.t = due
	ev := m.event(workflow.ExpireEvaluation, workflow.Closed, 0, workflow.RoleSystem, m.t, nil)
	ev.Step = "evaluate"
	m.r.Status = string(workflow.Closed)
	m.r.Version++
	m.r.UpdatedAt = m.t
	m.close()
}

func (m *reqSim) close() {
	t := m.t
	m.r.ClosedAt, m.r.DueAt, m.r.Overdue = &t, nil, false
}

func (c *seedCtx) simulateRequest(id uint64, created time.Time) *reqSim {
	rng := c.rng
	e := c.ents[rng.IntN(len(c.ents))]
	cat := c.pick(c.cats)
	r := &Request{ID: id, Title: fmt.Sprintf("关于%s的诉求（%d）", c.s.ref.Categories[cat].Name, id),
		Content: "企业反映：" + c.s.ref.Categories[cat].Name + "方面的问题，请协调解决。", Category: cat,
		EnterpriseID: e.id, RegionCode: e.region, FiledBy: e.account, FilerRole: string(workflow.RoleEnterprise),
		Status: string(workflow.Submitted), StepStartedAt: created, RoundStartedAt: created,
		Version: 1, CreatedAt: created, UpdatedAt: created}
	m := &reqSim{c: c, r: r, step: created, t: created, stuckK: -1}
	if rng.Float64() < 0.12 { // stalls somewhere: the backlog the scanner and the board see
		m.stuckK = 1 + rng.IntN(3)
	}
	m.event(workflow.EventCreated, workflow.Submitted, e.account, workflow.RoleEnterprise, created, nil)
	acfic := c.acfic[c.unitOf[e.region]]
	fate := rng.Float64()
	reopened := false
	for round := 0; ; round++ {
		// accept (受理): reject, or assign to a unit
		if !m.next(c.between(30*time.Minute, 72*time.Hour)) {
			return m
		}
		if round == 0 && fate < 0.03 {
			m.complete(workflow.Reject, workflow.Rejected, acfic, workflow.RoleACFIC, map[string]any{"reason": "不属于受理范围"})
			m.close()
			return m
		}
		d, u := c.pick(c.depts), c.unitOf[e.region]
		m.complete(workflow.Assign, workflow.Assigned, acfic, workflow.RoleACFIC, map[string]any{"department_code": d, "region_code": u})
		r.DepartmentCode, r.UnitRegionCode = &d, &u
		r.RoundStartedAt = m.t
		if r.FirstAssignedAt == nil {
			t := m.t
			r.FirstAssignedAt = &t
		}
		unit := c.dept[d+"-"+u]
		// claim (签收), or return (退回) once in a while
		if !m.next(c.between(time.Hour, 48*time.Hour)) {
			return m
		}
		if round == 0 && fate >= 0.03 && fate < 0.07 {
			m.complete(workflow.Return, workflow.Submitted, unit, workflow.RoleDepartment, map[string]any{"reason": "不属于本单位职责"})
			r.DepartmentCode, r.UnitRegionCode = nil, nil
			r.ReturnCount++
			continue
		}
		m.complete(workflow.Claim, workflow.InProgress, unit, workflow.RoleDepartment, nil)
		if rng.Float64() < 0.05 { // 工商联 supervises a slow one
			sup := m.t.Add(c.between(time.Hour, 24*time.Hour))
			if sup.Before(c.now) {
				m.event(workflow.Supervise, workflow.InProgress, acfic, workflow.RoleACFIC, sup, map[string]any{"note": "请加快办理"})
				r.Supervised = true
				r.Version++
			}
		}
		for {
			// respond (答复), or the enterprise withdraws
			if !m.next(c.between(24*time.Hour, 20*24*time.Hour)) {
				return m
			}
			if fate >= 0.07 && fate < 0.10 {
				m.complete(workflow.Withdraw, workflow.Withdrawn, e.account, workflow.RoleEnterprise, map[string]any{"reason": "问题已自行解决"})
				m.close()
				return m
			}
			ev := m.complete(workflow.Respond, workflow.Responded, unit, workflow.RoleDepartment, map[string]any{"response": "已答复"})
			ev.WorkingSeconds = int64(c.s.cal.WorkingTime(r.RoundStartedAt, m.t) / time.Second)
			r.Response = "已按政策答复企业。"
			// evaluate (评价), or the window ends (未评价)
			if fate >= 0.88 {
				due, _ := m.due()
				if due == nil || due.After(c.now) {
					r.DueAt, r.DueWorking = m.due()
					return m
				}
				m.expire(*due)
				return m
			}
			if !m.next(c.between(time.Hour, 6*24*time.Hour)) {
				return m
			}
			score := 3 + rng.IntN(3)
			if !reopened && rng.Float64() < 0.06 {
				score = 1 + rng.IntN(2)
			}
			r.EvaluationScore, r.EvaluationComment = &score, "评价"+strconv.Itoa(score)
			t := m.t
			r.EvaluatedAt = &t
			if score < workflow.SatisfiedScore {
				ev := m.complete(workflow.Evaluate, workflow.InProgress, e.account, workflow.RoleEnterprise, map[string]any{"score": score})
				ev.OnTime, ev.WorkingSeconds, ev.StepDueAt = nil, 0, nil
				reopened = true
				r.ReopenCount++
				r.RoundStartedAt = m.t
				continue
			}
			ev = m.complete(workflow.Evaluate, workflow.Closed, e.account, workflow.RoleEnterprise, map[string]any{"score": score})
			ev.OnTime, ev.WorkingSeconds, ev.StepDueAt = nil, 0, nil
			m.close()
			return m
		}
	}
}

// requests writes the requests and their events, seedChunk per transaction.
func (c *seedCtx) requests(ctx context.Context) error {
	n := c.opt.Requests
	if n == 0 {
		return nil
	}
	base, err := maxID(c.s.db.WithContext(ctx), "requests")
	if err != nil {
		return err
	}
	c.res.FirstRequestID = base + 1
	span := c.now.Sub(c.start)
	for lo := 0; lo < n; lo += seedChunk {
		hi := min(n, lo+seedChunk)
		reqs := make([]*Request, 0, hi-lo)
		evs := make([]*Event, 0, 4*(hi-lo))
		for i := lo; i < hi; i++ {
			// ids follow filing time, as they do in production
			created := c.start.Add(time.Duration(float64(span) * (float64(i) + c.rng.Float64()) / float64(n))).Truncate(time.Millisecond)
			m := c.simulateRequest(base+uint64(i)+1, created)
			seedChain(m.evs)
			if len(m.evs) > 0 {
				h := m.evs[len(m.evs)-1].Hash
				m.r.ChainHead = &h
			}
			reqs = append(reqs, m.r)
			evs = append(evs, m.evs...)
			switch workflow.Status(m.r.Status) {
			case workflow.Closed:
				c.res.ClosedRequests++
			case workflow.Rejected, workflow.Withdrawn:
				c.res.RejectedOrWithdrawn++
			default:
				c.res.OpenRequests++
				if m.r.Overdue {
					c.res.OverdueRequests++
				}
			}
		}
		err := c.s.inTx(ctx, func(tx *gorm.DB) error {
			if err := tx.CreateInBatches(reqs, c.batch(36)).Error; err != nil {
				return err
			}
			return tx.CreateInBatches(evs, c.batch(15)).Error
		})
		if err != nil {
			return err
		}
		c.res.Requests += len(reqs)
		c.res.RequestEvents += len(evs)
		c.res.LastRequestID = base + uint64(hi)
		c.progress("requests", hi, n)
	}
	return nil
}

// leads writes leads and their events: reported → registered →
// investigating → decided (closed, or rectifying → verifying → closed).
func (c *seedCtx) leads(ctx context.Context) error {
	n := c.opt.Leads
	base, err := maxID(c.s.db.WithContext(ctx), "leads")
	if err != nil {
		return err
	}
	span := c.now.Sub(c.start)
	s := c.s
	closing := []string{workflow.DisposalTransfer, workflow.DisposalNoIssue, workflow.DisposalShelved}
	rectify := []string{workflow.DisposalTalkReminder, workflow.DisposalWrittenInquiry, workflow.DisposalPreliminaryVerification}
	for lo := 0; lo < n; lo += seedChunk {
		hi := min(n, lo+seedChunk)
		leads := make([]*Lead, 0, hi-lo)
		var evs []*Event
		for i := lo; i < hi; i++ {
			rng := c.rng
			created := c.start.Add(time.Duration(float64(span) * (float64(i) + rng.Float64()) / float64(n))).Truncate(time.Millisecond)
			region := c.pick(c.leaves)
			l := &Lead{ID: base + uint64(i) + 1, Content: "群众反映某单位工作人员办事拖延。", RegionCode: region,
				SubjectName: "某单位工作人员", Status: string(workflow.LeadReportedStatus), StepStartedAt: created,
				Version: 1, CreatedAt: created, UpdatedAt: created}
			if rng.IntN(3) == 0 {
				l.Anonymous = true
				h := hex.EncodeToString([]byte(fmt.Sprintf("%s-%016d", c.opt.Tag, l.ID)))
				l.ReceiptHash = &h
			} else {
				acct, sid := c.station[region], c.stationID[region]
				l.ReporterAccountID, l.ReporterRole, l.StationID = &acct, string(workflow.RoleStation), &sid
			}
			insp := c.insp[c.unitOf[region]]
			firstEv := len(evs)
			t, step := created, created
			stuck := -1
			if rng.Float64() < 0.1 {
				stuck = 1 + rng.IntN(4)
			}
			k := 0
			ev := func(action workflow.Action, to workflow.Status, actor uint64, role string, at time.Time) *Event {
				e := &Event{CaseKind: string(workflow.KindLead), CaseID: l.ID, Action: string(action), FromStatus: l.Status,
					ToStatus: string(to), ActorID: actor, ActorRole: role, At: at, Payload: "{}", RegionCode: region}
				evs = append(evs, e)
				return e
			}
			first := ev(workflow.LeadReported, workflow.LeadReportedStatus, 0, AnonymousRole, created)
			if !l.Anonymous {
				first.ActorID, first.ActorRole = *l.ReporterAccountID, l.ReporterRole
			}
			// advance finishes the current step after d, or leaves it open.
			advance := func(d time.Duration, action workflow.Action, to workflow.Status, actor uint64, role string) bool {
				at := t.Add(d)
				k++
				due, working := s.leadDue(workflow.Status(l.Status), step, l.RectifyDays)
				if at.After(c.now) || k == stuck {
					l.DueAt, l.DueWorking, l.StepStartedAt = due, working, step
					l.Overdue = due != nil && due.Before(c.now)
					return false
				}
				st, _ := workflow.Lead.State(workflow.Status(l.Status))
				e := ev(action, to, actor, role, at)
				e.Step, e.StepDueAt = st.Step, due
				onTime := due == nil || !at.After(*due)
				e.OnTime = &onTime
				e.WorkingSeconds = int64(s.cal.WorkingTime(step, at) / time.Second)
				t, step = at, at
				l.Status, l.Version, l.UpdatedAt, l.StepStartedAt = string(to), l.Version+1, at, at
				return true
			}
			closeLead := func() { at := t; l.ClosedAt, l.DueAt, l.Overdue = &at, nil, false }
			func() {
				if rng.Float64() < 0.05 {
					if advance(c.between(time.Hour, 72*time.Hour), workflow.LeadDismiss, workflow.LeadDismissed, insp, string(workflow.RoleInspector)) {
						closeLead()
					}
					return
				}
				if !advance(c.between(time.Hour, 72*time.Hour), workflow.LeadRegister, workflow.LeadRegistered, insp, string(workflow.RoleInspector)) {
					return
				}
				if !advance(c.between(24*time.Hour, 10*24*time.Hour), workflow.LeadInvestigate, workflow.LeadInvestigating, insp, string(workflow.RoleInspector)) {
					return
				}
				if rng.IntN(3) == 0 {
					d := c.pick(closing)
					if advance(c.between(24*time.Hour, 10*24*time.Hour), workflow.LeadDecide, workflow.LeadClosed, insp, string(workflow.RoleInspector)) {
						l.Disposal, l.Assessment = &d, "经核实，作出处置决定。"
						closeLead()
					}
					return
				}
				d, dept, unit := c.pick(rectify), c.pick(c.depts), c.unitOf[region]
				if !advance(c.between(24*time.Hour, 10*24*time.Hour), workflow.LeadDecide, workflow.LeadRectifying, insp, string(workflow.RoleInspector)) {
					return
				}
				l.Disposal, l.Assessment = &d, "存在问题，责令整改。"
				l.RectifyDepartmentCode, l.RectifyRegionCode, l.RectifyDays = &dept, &unit, 20
				l.RectifyDueAt, _ = s.leadDue(workflow.LeadRectifying, t, 20)
				if !advance(c.between(5*24*time.Hour, 30*24*time.Hour), workflow.CompleteRectification, workflow.LeadVerifying,
					c.dept[dept+"-"+unit], string(workflow.RoleDepartment)) {
					return
				}
				at := t
				l.RectifyReport, l.RectifiedAt = "已完成整改。", &at
				if !advance(c.between(24*time.Hour, 10*24*time.Hour), workflow.LeadVerify, workflow.LeadClosed, insp, string(workflow.RoleInspector)) {
					return
				}
				ok, vt := true, t
				l.VerifyAccepted, l.VerifyResult, l.VerifiedAt = &ok, "整改到位。", &vt
				closeLead()
			}()
			seedChain(evs[firstEv:])
			leads = append(leads, l)
		}
		err := c.s.inTx(ctx, func(tx *gorm.DB) error {
			if err := tx.CreateInBatches(leads, c.batch(45)).Error; err != nil {
				return err
			}
			return tx.CreateInBatches(evs, c.batch(15)).Error
		})
		if err != nil {
			return err
		}
		c.res.Leads += len(leads)
		c.res.LeadEvents += len(evs)
		c.progress("leads", hi, n)
	}
	return nil
}

// seedChain links the events of one case, in insertion (id) order, as
// insertEvents does for the audit chain.
func seedChain(evs []*Event) {
	prev := ""
	for _, ev := range evs {
		ev.PrevHash = prev
		ev.Hash = eventHash(ev, prev)
		prev = ev.Hash
	}
}
