package model

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

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
	// rootInsp, in root, approves the proposed disposals (报批).
	rootInsp uint64
	root     string
	res      *SeedResult
	schemas  sync.Map // gorm's parsed models, for setColumns
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
	defer s.clearRecipients()
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
				c.rootInsp, c.root = c.insp[r.Code], r.Code
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

// caseSim drives one synthetic case through its loop in memory. Every step
// is workflow.Apply at the simulated time, written onto the row as the store
// writes an outcome (the same columns, set the way gorm sets them), and its
// event is kept; steps left open past their deadline are marked as the
// scanner marks them. So the seed cannot drift from the rules.
type caseSim[T caseRow] struct {
	c   *seedCtx
	k   *caseKind[T]
	x   T
	evs []*Event
	t   time.Time // the simulated now: when the last step happened
	err error     // the first refusal (a bug in the simulation)
}

// act takes cmd as actor at time at.
func (m *caseSim[T]) act(actor Actor, at time.Time, cmd workflow.Command) bool {
	if m.err != nil {
		return false
	}
	s := m.c.s
	o, err := m.k.machine.Apply(m.k.item(s, m.x, at), m.k.actor(actor, m.x), cmd, m.k.env(s, m.x, at))
	if err != nil {
		kind, id := m.x.key()
		m.err = fmt.Errorf("%s %d: %s at %s: %w", kind, id, cmd.Action, m.x.status(), err)
		return false
	}
	cols := outcomeColumns(o, at)
	cols["version"], cols["updated_at"] = m.x.version()+1, at
	m.set(cols)
	m.evs = append(m.evs, recordEvent(m.x, o.Event, actor, at))
	m.t = at
	return true
}

// overdue marks the open step overdue as the scanner would have when its
// deadline passed: the marks, the overdue event and, for a request not yet
// under 督办, the automatic 督办.
func (m *caseSim[T]) overdue() {
	it := m.k.item(m.c.s, m.x, m.c.now)
	if it.DueAt == nil || !it.DueAt.Before(m.c.now) || it.Marked {
		return
	}
	set, recs := workflow.Overdue(m.k.machine, it, m.c.s.cal.Location())
	set["version"] = m.x.version() + 1
	m.set(set)
	for _, r := range recs {
		m.evs = append(m.evs, recordEvent(m.x, r, Actor{Role: workflow.RoleSystem}, *it.DueAt))
	}
}

// set writes columns onto the row by their names, as gorm's Updates does.
func (m *caseSim[T]) set(cols map[string]any) {
	if m.err == nil {
		m.err = m.c.setColumns(m.x, cols)
	}
}

// setColumns sets the fields of dst (a pointer to a model) named by cols.
func (c *seedCtx) setColumns(dst any, cols map[string]any) error {
	sch, err := schema.Parse(dst, &c.schemas, c.s.db.NamingStrategy)
	if err != nil {
		return err
	}
	rv := reflect.ValueOf(dst).Elem()
	for name, v := range cols {
		f := sch.LookUpField(name)
		if f == nil {
			return fmt.Errorf("seed: %s has no column %s", sch.Table, name)
		}
		if err := f.Set(context.Background(), rv, v); err != nil {
			return fmt.Errorf("seed: set %s.%s: %w", sch.Table, name, err)
		}
	}
	return nil
}

// reqSim is a request being simulated.
type reqSim struct {
	caseSim[*Request]
	stuckK int // the step at which the request stalls (-1: none)
	k      int // steps attempted
}

// next tries to finish the current step d after the last one. It returns
// false when the step is still open now (or stalls): the request stays in
// its status, marked overdue and escalated once its deadline has passed,
// and a window for evaluation that has ended closes as 未评价.
func (m *reqSim) next(d time.Duration) bool {
	at := m.t.Add(d)
	m.k++
	if !at.After(m.c.now) && m.k != m.stuckK {
		m.t = at
		return true
	}
	if m.x.Status == string(workflow.Responded) {
		if due := m.x.DueAt; due != nil && due.Before(m.c.now) {
			m.act(Actor{Role: workflow.RoleSystem}, *due, workflow.Command{Action: workflow.ExpireEvaluation})
		}
		return false
	}
	m.overdue()
	return false
}

// command is an action with its body fields.
func command(a workflow.Action, fields map[string]any) workflow.Command {
	cmd := workflow.Command{Action: a}
	for f, v := range fields {
		cmd.Present = append(cmd.Present, f)
		switch f {
		case "score":
			cmd.Score = v.(int)
		case "days":
			cmd.Days = v.(int)
		case "accepted":
			b := v.(bool)
			cmd.Accepted = &b
		case "note":
			cmd.Note = v.(string)
		case "reason":
			cmd.Reason = v.(string)
		case "comment":
			cmd.Comment = v.(string)
		case "response":
			cmd.Response = v.(string)
		case "department_code":
			cmd.DepartmentCode = v.(string)
		case "region_code":
			cmd.RegionCode = v.(string)
		case "notes":
			cmd.Notes = v.(string)
		case "assessment":
			cmd.Assessment = v.(string)
		case "disposal":
			cmd.Disposal = v.(string)
		case "unit_region_code":
			cmd.UnitRegionCode = v.(string)
		case "transfer_to":
			cmd.TransferTo = v.(string)
		case "report":
			cmd.Report = v.(string)
		case "result":
			cmd.Result = v.(string)
		default:
			panic("seed: unknown command field " + f)
		}
	}
	slices.Sort(cmd.Present)
	return cmd
}

func (c *seedCtx) simulateRequest(id uint64, created time.Time) (*reqSim, error) {
	rng := c.rng
	e := c.ents[rng.IntN(len(c.ents))]
	cat := c.pick(c.cats)
	r := &Request{ID: id, Title: fmt.Sprintf("关于%s的诉求（%d）", c.s.ref.Categories[cat].Name, id),
		Content: "企业反映：" + c.s.ref.Categories[cat].Name + "方面的问题，请协调解决。", Category: cat,
		EnterpriseID: e.id, RegionCode: e.region, FiledBy: e.account, FilerRole: string(workflow.RoleEnterprise),
		Status: string(workflow.Submitted), StepStartedAt: created, RoundStartedAt: created,
		Version: 1, CreatedAt: created, UpdatedAt: created}
	r.DueAt, r.DueWorking = workflow.Request.StepDeadline(workflow.Submitted, created, c.s.requestEnv(cat, created))
	m := &reqSim{caseSim: caseSim[*Request]{c: c, k: requests, x: r, t: created}, stuckK: -1}
	if rng.Float64() < 0.12 { // stalls somewhere: the backlog the scanner and the board see
		m.stuckK = 1 + rng.IntN(3)
	}
	m.evs = append(m.evs, &Event{CaseKind: string(workflow.KindRequest), CaseID: id, Action: string(workflow.EventCreated),
		ToStatus: r.Status, ActorID: e.account, ActorRole: string(workflow.RoleEnterprise), At: created, Payload: "{}", RegionCode: e.region})
	ent := Actor{AccountID: e.account, Role: workflow.RoleEnterprise, RegionCode: e.region, EnterpriseID: e.id}
	u := c.unitOf[e.region]
	acfic := Actor{AccountID: c.acfic[u], Role: workflow.RoleACFIC, RegionCode: u}
	fate := rng.Float64()
	reopened := false
	func() {
		for round := 0; ; round++ {
			// accept (受理): reject, or assign to a unit
			if !m.next(c.between(30*time.Minute, 72*time.Hour)) {
				return
			}
			if round == 0 && fate < 0.03 {
				m.act(acfic, m.t, command(workflow.Reject, map[string]any{"reason": "不属于受理范围"}))
				return
			}
			d := c.pick(c.depts)
			if !m.act(acfic, m.t, command(workflow.Assign, map[string]any{"department_code": d, "region_code": u})) {
				return
			}
			unit := Actor{AccountID: c.dept[d+"-"+u], Role: workflow.RoleDepartment, RegionCode: u, DepartmentCode: d}
			// claim (签收), or return (退回) once in a while
			if !m.next(c.between(time.Hour, 48*time.Hour)) {
				return
			}
			if round == 0 && fate >= 0.03 && fate < 0.07 {
				m.act(unit, m.t, command(workflow.Return, map[string]any{"reason": "不属于本单位职责"}))
				continue
			}
			m.act(unit, m.t, command(workflow.Claim, nil))
			if rng.Float64() < 0.05 { // 工商联 supervises a slow one
				if sup := m.t.Add(c.between(time.Hour, 24*time.Hour)); sup.Before(c.now) {
					m.act(acfic, sup, command(workflow.Supervise, map[string]any{"note": "请加快办理"}))
				}
			}
			for {
				// respond (答复), or the enterprise withdraws
				if !m.next(c.between(24*time.Hour, 20*24*time.Hour)) {
					return
				}
				if fate >= 0.07 && fate < 0.10 {
					m.act(ent, m.t, command(workflow.Withdraw, map[string]any{"reason": "问题已自行解决"}))
					return
				}
				if !m.act(unit, m.t, command(workflow.Respond, map[string]any{"response": "已按政策答复企业。"})) {
					return
				}
				// evaluate (评价), or the window ends (未评价)
				if fate >= 0.88 {
					// the enterprise never evaluates: the window closes it
					// as 未评价 once it has ended
					if due := m.x.DueAt; due != nil && due.Before(c.now) {
						m.act(Actor{Role: workflow.RoleSystem}, *due, workflow.Command{Action: workflow.ExpireEvaluation})
					}
					return
				}
				if !m.next(c.between(time.Hour, 6*24*time.Hour)) {
					return
				}
				score := 3 + rng.IntN(3)
				if !reopened && rng.Float64() < 0.06 {
					score = 1 + rng.IntN(2)
				}
				m.act(ent, m.t, command(workflow.Evaluate, map[string]any{"score": score, "comment": "评价" + strconv.Itoa(score)}))
				if score >= workflow.SatisfiedScore {
					return
				}
				reopened = true // 重办: the same unit answers again
			}
		}
	}()
	return m, m.err
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
			m, err := c.simulateRequest(base+uint64(i)+1, created)
			if err != nil {
				return err
			}
			seedChain(m.evs)
			h := m.evs[len(m.evs)-1].Hash
			m.x.ChainHead = &h
			reqs = append(reqs, m.x)
			evs = append(evs, m.evs...)
			switch workflow.Status(m.x.Status) {
			case workflow.Closed:
				c.res.ClosedRequests++
			case workflow.Rejected, workflow.Withdrawn:
				c.res.RejectedOrWithdrawn++
			default:
				c.res.OpenRequests++
				if m.x.Overdue {
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

// leadSim is a lead being simulated.
type leadSim struct {
	caseSim[*Lead]
	stuck int // the step at which the lead stalls (-1: none)
	k     int // steps attempted
}

// next tries to finish the current step d after the last one; false when
// it is still open now (or stalls), marked overdue once its deadline passed.
func (m *leadSim) next(d time.Duration) bool {
	at := m.t.Add(d)
	m.k++
	if !at.After(m.c.now) && m.k != m.stuck {
		m.t = at
		return true
	}
	m.overdue()
	return false
}

func (c *seedCtx) simulateLead(id uint64, created time.Time) (*leadSim, error) {
	rng := c.rng
	region := c.pick(c.leaves)
	l := &Lead{ID: id, Content: "群众反映某单位工作人员办事拖延。", RegionCode: region,
		SubjectName: "某单位工作人员", Status: string(workflow.LeadReportedStatus), StepStartedAt: created,
		Version: 1, CreatedAt: created, UpdatedAt: created}
	l.DueAt, l.DueWorking = workflow.Lead.StepDeadline(workflow.LeadReportedStatus, created, c.s.leadEnv(created))
	first := &Event{CaseKind: string(workflow.KindLead), CaseID: id, Action: string(workflow.LeadReported),
		ToStatus: l.Status, ActorRole: AnonymousRole, At: created, Payload: "{}", RegionCode: region}
	if rng.IntN(3) == 0 {
		l.Anonymous = true
		h := hex.EncodeToString([]byte(fmt.Sprintf("%s-%016d", c.opt.Tag, l.ID)))
		l.ReceiptHash = &h
	} else {
		acct, sid := c.station[region], c.stationID[region]
		l.ReporterAccountID, l.ReporterRole, l.StationID = &acct, string(workflow.RoleStation), &sid
		first.ActorID, first.ActorRole = acct, l.ReporterRole
	}
	m := &leadSim{caseSim: caseSim[*Lead]{c: c, k: leads, x: l, t: created, evs: []*Event{first}}, stuck: -1}
	if rng.Float64() < 0.1 {
		m.stuck = 1 + rng.IntN(4)
	}
	u := c.unitOf[region]
	insp := Actor{AccountID: c.insp[u], Role: workflow.RoleInspector, RegionCode: u}
	func() {
		if rng.Float64() < 0.05 {
			if m.next(c.between(time.Hour, 72*time.Hour)) {
				m.act(insp, m.t, command(workflow.LeadDismiss, map[string]any{"reason": "不属于受理范围"}))
			}
			return
		}
		if !m.next(c.between(time.Hour, 72*time.Hour)) || !m.act(insp, m.t, command(workflow.LeadRegister, nil)) {
			return
		}
		if !m.next(c.between(24*time.Hour, 10*24*time.Hour)) ||
			!m.act(insp, m.t, command(workflow.LeadInvestigate, map[string]any{"notes": "调取办理记录，约谈相关人员。"})) {
			return
		}
		if !m.next(c.between(24*time.Hour, 10*24*time.Hour)) {
			return
		}
		if rng.IntN(3) == 0 {
			d := c.pick([]string{workflow.DisposalTransfer, workflow.DisposalNoIssue, workflow.DisposalShelved})
			f := map[string]any{"assessment": "经核实，作出处置决定。", "disposal": d}
			if d == workflow.DisposalTransfer {
				f["transfer_to"] = "宁波市纪委监委"
			}
			if m.act(insp, m.t, command(workflow.LeadDecide, f)) && m.x.Status == string(workflow.LeadPendingApproval) &&
				m.next(c.between(time.Hour, 72*time.Hour)) {
				// 报批: the city's inspector approves
				m.act(Actor{AccountID: c.rootInsp, Role: workflow.RoleInspector, RegionCode: c.root}, m.t,
					command(workflow.LeadApproveDisposal, nil))
			}
			return
		}
		dept := c.pick(c.depts)
		if !m.act(insp, m.t, command(workflow.LeadDecide, map[string]any{"assessment": "存在问题，责令整改。",
			"disposal":        c.pick([]string{workflow.DisposalTalkReminder, workflow.DisposalCaseFiling, workflow.DisposalPreliminaryVerification}),
			"department_code": dept, "unit_region_code": u, "days": 20})) {
			return
		}
		unit := Actor{AccountID: c.dept[dept+"-"+u], Role: workflow.RoleDepartment, RegionCode: u, DepartmentCode: dept}
		if !m.next(c.between(5*24*time.Hour, 30*24*time.Hour)) ||
			!m.act(unit, m.t, command(workflow.CompleteRectification, map[string]any{"report": "已完成整改。"})) {
			return
		}
		if m.next(c.between(24*time.Hour, 10*24*time.Hour)) {
			m.act(insp, m.t, command(workflow.LeadVerify, map[string]any{"accepted": true, "result": "整改到位。"}))
		}
	}()
	return m, m.err
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
	for lo := 0; lo < n; lo += seedChunk {
		hi := min(n, lo+seedChunk)
		leads := make([]*Lead, 0, hi-lo)
		var evs []*Event
		for i := lo; i < hi; i++ {
			created := c.start.Add(time.Duration(float64(span) * (float64(i) + c.rng.Float64()) / float64(n))).Truncate(time.Millisecond)
			m, err := c.simulateLead(base+uint64(i)+1, created)
			if err != nil {
				return err
			}
			seedChain(m.evs)
			leads = append(leads, m.x)
			evs = append(evs, m.evs...)
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
