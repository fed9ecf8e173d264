// Command bench measures qinqing against ceilings taken in the same run
// (the design of docs/benchmark.md#method). It starts the service in-process on
// 127.0.0.1, on a fresh database (a temporary SQLite file, or a scratch MySQL
// database it creates and drops), seeds it with the seeding code of `qinqing
// seed`, then runs every row as interleaved pairs A (service), B (ceiling)
// with a closed-loop Go load generator, and prints median ratios.
//
//	go run ./bench -db sqlite|mysql [-dsn …] [-pairs 5] [-duration 5s] [-requests 1000000] [-smoke]
//
// -smoke (what CI runs): tiny data, one pair of 1 s per row; it fails only on
// the correctness checks or when a row does not run, never on a ratio.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"

	"qinqing/api"
	"qinqing/configs"
	"qinqing/model"
	"qinqing/policy"
)

type options struct {
	driver, dsn string
	pairs       int
	duration    time.Duration
	requests    int
	leads       int
	enterprises int
	conc        int
	smoke       bool
	rows        string
	cpuprofile  string
	scanItems   int
	keep        bool
	reuse       string
	// secret is the JWT key of the instances (random when nil); instances
	// of one run share it (the galera row).
	secret []byte
	// galeraPorts are the SQL ports of the local cluster's nodes.
	galeraPorts string
	// sweep is the client counts of row N; sweepPairs and sweepDuration
	// its pairs per point and the length of each run.
	sweep         string
	sweepPairs    int
	sweepDuration time.Duration
	// rawBusy: the SQLite ceilings do not queue their write transactions
	// before BEGIN but wait in SQLite's busy handler.
	rawBusy bool
}

func main() {
	var o options
	flag.StringVar(&o.driver, "db", "sqlite", "database: sqlite, mysql, or galera (two instances on the local cluster, rows C and T, beside one MariaDB server)")
	flag.StringVar(&o.dsn, "dsn", "", "MySQL server DSN; a scratch database is created on it and dropped (default root@tcp(127.0.0.1:3306)/test)")
	flag.IntVar(&o.pairs, "pairs", 5, "interleaved pairs (service, ceiling) per row")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each run")
	flag.IntVar(&o.requests, "requests", 1000000, "requests to seed")
	flag.IntVar(&o.leads, "leads", -1, "leads to seed (default requests/10)")
	flag.IntVar(&o.enterprises, "enterprises", 0, "enterprises to seed (default requests/50, 100..20000)")
	flag.IntVar(&o.conc, "c", 16, "concurrency of the closed-loop runs")
	flag.BoolVar(&o.smoke, "smoke", false, "tiny data, one 1 s pair per row; fail only on correctness (CI)")
	flag.StringVar(&o.rows, "rows", "C,T,N,L,A,S,H,Z,P,W,X", "rows to run (N: the concurrency sweep of C, T and R)")
	flag.StringVar(&o.sweep, "sweep", "1,4,16,64", "row N: client counts")
	flag.IntVar(&o.sweepPairs, "sweep-pairs", 3, "row N: interleaved pairs per operation and client count")
	flag.DurationVar(&o.sweepDuration, "sweep-duration", 3*time.Second, "row N: length of each run")
	flag.BoolVar(&o.rawBusy, "raw-busy", false, "SQLite: the ceilings' write transactions wait in SQLite's busy handler instead of a queue before BEGIN")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "directory: write a CPU profile of each row's first service run")
	flag.IntVar(&o.scanItems, "scan-items", 100000, "open overdue items for the S row")
	flag.BoolVar(&o.keep, "keep", false, "keep the scratch database")
	flag.StringVar(&o.reuse, "reuse", "", "measure a database kept by -keep instead of seeding a new one (MySQL: its name; SQLite: its directory); it is never dropped")
	flag.StringVar(&o.galeraPorts, "galera-ports", "3311,3312,3313", "-db galera: SQL ports of the local cluster's nodes on 127.0.0.1")
	flag.Parse()
	if o.smoke {
		o.requests, o.pairs, o.duration, o.enterprises = 2000, 1, time.Second, 100
		o.sweepPairs, o.sweepDuration = 1, 200*time.Millisecond
		if o.leads < 0 {
			o.leads = 200
		}
	}
	if o.leads < 0 {
		o.leads = o.requests / 10
	}
	if o.enterprises == 0 {
		o.enterprises = min(20000, max(100, o.requests/50))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := benchMain(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// env is the service under test and what the rows need of it.
type env struct {
	o        options
	cfg      configs.Config
	ref      *model.Reference
	db       *gorm.DB
	raw      *sql.DB // a second pool on the same database, same settings: the ceilings
	store    *model.Store
	authz    *policy.Authorizer
	base     string // the service, rate limit off
	baseRL   string // the same service with the rate limit on (a huge limit)
	baseBare string // a bare gin route
	cl       *client
	seed     model.SeedResult
	password string
	tokens   map[string]token
	checks   []check
	// bases and raws, when set, are several instances of the service and
	// raw pools through several database nodes; worker w uses number
	// w mod len (the galera row).
	bases []string
	raws  []*sql.DB
	// rawWrites queues the ceilings' write transactions on SQLite, as
	// a program with one writer connection at a time would (nil: none).
	rawWrites *sync.Mutex
}

// rawWriter waits for the ceilings' turn to write and returns the release.
func (e *env) rawWriter() func() {
	if e.rawWrites == nil {
		return func() {}
	}
	e.rawWrites.Lock()
	return e.rawWrites.Unlock
}

// svcURL is the service worker w sends to.
func (e *env) svcURL(w int) string {
	if len(e.bases) > 0 {
		return e.bases[w%len(e.bases)]
	}
	return e.base
}

// rawDB is the raw pool of worker w.
func (e *env) rawDB(w int) *sql.DB {
	if len(e.raws) > 0 {
		return e.raws[w%len(e.raws)]
	}
	return e.raw
}

// conflictOr is the outcome of a failed raw COMMIT: a deadlock, or on
// Galera a certification conflict with a write through another node, is
// the ceiling's 409 (tolerated); anything else an error.
func conflictOr(err error) (outcome, error) {
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1213 {
		return opTolerated, nil
	}
	return opError, err
}

type token struct {
	tok string
	at  time.Time
}

type check struct {
	name string
	ok   bool
	info string
}

func (e *env) check(name string, ok bool, format string, args ...any) {
	e.checks = append(e.checks, check{name, ok, fmt.Sprintf(format, args...)})
	mark := "ok  "
	if !ok {
		mark = "FAIL"
	}
	fmt.Printf("  check %s %s: %s\n", mark, name, fmt.Sprintf(format, args...))
}

func benchMain(ctx context.Context, o options) (int, error) {
	if o.driver == "galera" {
		return galeraMain(ctx, o)
	}
	dsn, cleanup, err := scratchDB(o)
	if err != nil {
		return 1, err
	}
	defer cleanup()
	e, closeEnv, err := start(ctx, o, dsn)
	if err != nil {
		return 1, err
	}
	defer closeEnv()
	host, _ := os.Hostname()
	fmt.Printf("qinqing bench — %s, db=%s, GOMAXPROCS=%d, host %s, %s\n", time.Now().Format(time.RFC3339), o.driver,
		runtimeProcs(), host, strings.TrimSpace(cpuModel()))
	fmt.Printf("pairs=%d duration=%s c=%d requests=%d leads=%d enterprises=%d smoke=%v\n",
		o.pairs, o.duration, o.conc, o.requests, o.leads, o.enterprises, o.smoke)

	t0 := time.Now()
	last := time.Time{}
	hash, err := model.DefaultHasher().Hash(e.password)
	if err != nil {
		return 1, err
	}
	if o.reuse != "" {
		if err := e.adopt(ctx, hash); err != nil {
			return 1, err
		}
		return e.runRows(ctx)
	}
	e.seed, err = e.store.Seed(ctx, model.SeedOptions{Requests: o.requests, Leads: o.leads, Enterprises: o.enterprises,
		PasswordHash: hash, Seed: 42, Progress: func(stage string, done, total int) {
			if done == total || time.Since(last) > 5*time.Second {
				last = time.Now()
				fmt.Printf("  seed %-13s %9d / %-9d %6.1fs\n", stage, done, total, time.Since(t0).Seconds())
			}
		}})
	if err != nil {
		return 1, err
	}
	s := e.seed
	rows := s.Enterprises + s.Stations + s.Accounts + s.Requests + s.RequestEvents + s.Leads + s.LeadEvents
	fmt.Printf("seeded %d rows in %s (%.0f rows/s): requests %d (open %d, overdue %d), request events %d, leads %d, lead events %d%s\n",
		rows, s.Elapsed.Round(time.Millisecond), float64(rows)/s.Elapsed.Seconds(), s.Requests, s.OpenRequests, s.OverdueRequests,
		s.RequestEvents, s.Leads, s.LeadEvents, skipped(s.LeadsSkipped))
	if o.driver == "mysql" {
		for _, t := range []string{"requests", "events", "leads", "accounts", "enterprises"} {
			_, _ = e.raw.ExecContext(ctx, "ANALYZE TABLE "+t)
		}
	}
	// SQLite: what the service's scanner does at start and hourly.
	if err := e.store.Analyze(ctx); err != nil {
		return 1, err
	}
	fmt.Printf("VmHWM after seeding: %s\n", vmHWM())
	return e.runRows(ctx)
}

// adopt takes over a database seeded by an earlier run (-reuse): the seed's
// tag from its usernames, and this run's password for its accounts.
func (e *env) adopt(ctx context.Context, hash string) error {
	var names []string
	if err := e.db.WithContext(ctx).Model(&model.Account{}).Where("username LIKE ?", "%-ent-1").Limit(1).
		Pluck("username", &names).Error; err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("-reuse %s: no seeded accounts found", e.o.reuse)
	}
	e.seed.Tag = strings.TrimSuffix(names[0], "-ent-1")
	if err := e.db.WithContext(ctx).Model(&model.Account{}).Where("username LIKE ?", e.seed.Tag+"-%").
		Update("password_hash", hash).Error; err != nil {
		return err
	}
	var n int64
	e.db.WithContext(ctx).Model(&model.Request{}).Count(&n)
	fmt.Printf("reusing %s: seed tag %s, %d requests\n", e.o.reuse, e.seed.Tag, n)
	return nil
}

// runRows runs the chosen rows, prints the table and returns the exit code.
func (e *env) runRows(ctx context.Context) (int, error) {
	o := e.o
	var results []rowResult
	want := map[string]bool{}
	for _, r := range strings.Split(o.rows, ",") {
		want[strings.TrimSpace(strings.ToUpper(r))] = true
	}
	for _, r := range []struct {
		name string
		fn   func(context.Context) (rowResult, error)
	}{{"C", e.rowC}, {"T", e.rowT}, {"N", nil}, {"L", e.rowL}, {"A", e.rowA}, {"S", e.rowS}, {"H", e.rowH}, {"Z", e.rowZ}, {"P", e.rowP}, {"W", e.rowW}, {"X", e.rowX}} {
		if !want[r.name] {
			continue
		}
		if ctx.Err() != nil {
			return 1, ctx.Err()
		}
		fmt.Printf("\n== row %s\n", r.name)
		if r.name == "N" {
			rs, err := e.rowN(ctx)
			results = append(results, rs...)
			if err != nil {
				results = append(results, rowResult{name: "N", failed: err.Error()})
				fmt.Printf("  row N failed: %v\n", err)
			}
			continue
		}
		res, err := r.fn(ctx)
		if err != nil {
			res.name, res.failed = r.name, err.Error()
			fmt.Printf("  row %s failed: %v\n", r.name, err)
		}
		results = append(results, res)
	}
	printTable(os.Stdout, o, results)
	code := 0
	for _, c := range e.checks {
		if !c.ok {
			code = 1
		}
	}
	for _, r := range results {
		if r.failed != "" {
			code = 1
		}
	}
	if code != 0 {
		fmt.Println("\nRESULT: FAILED (a correctness check failed or a row did not run)")
	} else {
		fmt.Println("\nRESULT: every row ran and every correctness check passed")
	}
	return code, nil
}

func skipped(why string) string {
	if why == "" {
		return ""
	}
	return " (leads skipped: " + why + ")"
}

// scratchDB returns the DSN of a fresh database and how to remove it.
func scratchDB(o options) (string, func(), error) {
	switch o.driver {
	case "sqlite":
		if o.reuse != "" {
			// A directory kept by -keep; never removed.
			return configs.SQLiteDSN(o.reuse), func() {}, nil
		}
		dir, err := os.MkdirTemp("", "qinqing-bench-")
		if err != nil {
			return "", nil, err
		}
		return configs.SQLiteDSN(dir), func() {
			if !o.keep {
				_ = os.RemoveAll(dir)
			} else {
				fmt.Println("kept", dir)
			}
		}, nil
	case "mysql":
		if o.reuse != "" {
			return reuseDSN(o)
		}
		base := o.dsn
		if base == "" {
			base = os.Getenv("QINQING_TEST_MYSQL_DSN")
		}
		if base == "" {
			base = "root@tcp(127.0.0.1:3306)/test"
		}
		root, err := sql.Open("mysql", base)
		if err != nil {
			return "", nil, err
		}
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := "qq_bench_" + hex.EncodeToString(b[:])
		if _, err := root.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
			root.Close()
			return "", nil, fmt.Errorf("create scratch database: %w", err)
		}
		slash := strings.LastIndex(base, "/")
		rest := ""
		if q := strings.IndexByte(base[slash:], '?'); q >= 0 {
			rest = base[slash+q:]
		}
		params := "charset=utf8mb4&collation=utf8mb4_unicode_ci&parseTime=true&loc=UTC&time_zone=%27%2B00%3A00%27"
		if rest == "" {
			rest = "?" + params
		} else {
			rest += "&" + params
		}
		return base[:slash+1] + name + rest, func() {
			if o.keep {
				fmt.Println("kept database", name)
			} else {
				_, _ = root.Exec("DROP DATABASE IF EXISTS " + name)
			}
			root.Close()
		}, nil
	}
	return "", nil, fmt.Errorf("unknown -db %q (sqlite or mysql)", o.driver)
}

// reuseDSN names the kept database o.reuse on the server of o.dsn.
func reuseDSN(o options) (string, func(), error) {
	base := o.dsn
	if base == "" {
		base = os.Getenv("QINQING_TEST_MYSQL_DSN")
	}
	if base == "" {
		base = "root@tcp(127.0.0.1:3306)/test"
	}
	c, err := mysql.ParseDSN(base)
	if err != nil {
		return "", nil, err
	}
	c.DBName = o.reuse
	c.ParseTime = true
	c.Loc = time.UTC
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["time_zone"] = "'+00:00'"
	c.Collation = "utf8mb4_unicode_ci"
	return c.FormatDSN(), func() {}, nil
}

// start builds the service as main.go's build() does (no scanner: the S
// row runs it on purpose), with the rate limit off, and serves it, a twin
// with the rate limit on, and a bare gin route on 127.0.0.1.
func start(ctx context.Context, o options, dsn string) (*env, func(), error) {
	cfg, err := configs.Load("", func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, nil, err
	}
	cfg.DB.Driver, cfg.DB.DSN = o.driver, dsn
	cfg.RateLimit = configs.RateLimit{RPS: 0}
	rawRef, err := configs.LoadReference()
	if err != nil {
		return nil, nil, err
	}
	ref, err := model.NewReference(rawRef)
	if err != nil {
		return nil, nil, err
	}
	store, err := model.OpenStore(ctx, cfg, ref, time.Now)
	if err != nil {
		return nil, nil, err
	}
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	closers = append(closers, func() { _ = store.Close() })
	rawG, err := model.Open(cfg.DB.Driver, cfg.DB.DSN, model.ConnOptions{MaxOpenConns: cfg.DB.MaxOpenConns, BackgroundCheckpoint: true})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	raw, _ := rawG.DB()
	closers = append(closers, func() { _ = raw.Close() })
	authz, err := policy.New(ref.Parents)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	var pw [9]byte
	_, _ = rand.Read(pw[:])
	password := "bench-" + hex.EncodeToString(pw[:])
	hasher := model.DefaultHasher()
	if _, err := store.EnsureAdmin(ctx, hasher, password, ref.RegionList[0].Code); err != nil {
		closeAll()
		return nil, nil, err
	}
	secret := o.secret
	if secret == nil {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	mk := func(c configs.Config) (http.Handler, error) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		srv, err := api.New(api.Deps{Store: store, Ref: ref, Authz: authz, Config: c, Hasher: hasher,
			JWTSecret: []byte(hex.EncodeToString(secret)), Logger: log, Registry: reg, Clock: time.Now})
		if err != nil {
			return nil, err
		}
		return srv.Handler(), nil
	}
	h, err := mk(cfg)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	cfgRL := cfg
	cfgRL.RateLimit = configs.RateLimit{RPS: 1e9, Burst: 1e9}
	hRL, err := mk(cfgRL)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	bare := gin.New()
	bare.GET("/api/v1/me", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"id": "1", "username": "bench", "role": "acfic", "role_label": "工商联", "region_code": "330200"})
	})
	e := &env{o: o, cfg: cfg, ref: ref, db: store.DB(), raw: raw, store: store, authz: authz, cl: newClient(),
		password: password, tokens: map[string]token{}}
	if o.driver == "sqlite" && !o.rawBusy {
		e.rawWrites = &sync.Mutex{}
	}
	for _, x := range []struct {
		h    http.Handler
		addr *string
	}{{h, &e.base}, {hRL, &e.baseRL}, {bare, &e.baseBare}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		hs := &http.Server{Handler: x.h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 1 << 20}
		go func() { _ = hs.Serve(ln) }()
		closers = append(closers, func() { _ = hs.Close() })
		*x.addr = "http://" + ln.Addr().String()
	}
	return e, closeAll, nil
}

// login returns a token for a seeded account (cached for 10 minutes).
func (e *env) login(username string) (string, error) {
	if t, ok := e.tokens[username]; ok && time.Since(t.at) < 10*time.Minute {
		return t.tok, nil
	}
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, username, e.password)
	st, b, err := e.cl.do("POST", e.base+"/api/v1/auth/login", "", []byte(body))
	if err != nil {
		return "", err
	}
	if st != http.StatusOK {
		return "", fmt.Errorf("login %s: HTTP %d %s", username, st, b)
	}
	var v struct {
		AccessToken string `json:"access_token"`
	}
	if err := jsonUnmarshal(b, &v); err != nil {
		return "", err
	}
	e.tokens[username] = token{v.AccessToken, time.Now()}
	return v.AccessToken, nil
}

func (e *env) user(kind, key string) string { return model.SeedUsername(e.seed.Tag, kind, key) }

func (e *env) root() string { return e.ref.RegionList[0].Code }

// pairsOf runs a (service) and b (ceiling) interleaved n times.
func pairsOf(n int, profile func(i int) func(), a, b func() run) (as, bs []run) {
	for i := 0; i < n; i++ {
		stop := profile(i)
		as = append(as, a())
		stop()
		bs = append(bs, b())
		fmt.Printf("  pair %d: service %s | ceiling %s\n", i+1, describe(as[i]), describe(bs[i]))
	}
	return as, bs
}

func describe(r run) string {
	s := fmt.Sprintf("%7.0f ops/s p50 %6s p99 %6s cpu %4.0fµs/op", r.rate(), ms(r.pct(0.5)), ms(r.pct(0.99)), float64(r.cpuPerOp())/1e3)
	if r.tolerated > 0 {
		s += fmt.Sprintf(" (%d tolerated)", r.tolerated)
	}
	if r.errs > 0 {
		s += fmt.Sprintf(" ERRORS %d: %s", r.errs, r.firstErr)
	}
	return s
}

func ms(d time.Duration) string {
	switch {
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
}

// profiler returns, for run i of row name, a function that stops the CPU
// profile it started (only the first service run of a row is profiled).
func (e *env) profiler(name string) func(i int) func() {
	return func(i int) func() {
		if e.o.cpuprofile == "" || i != 0 {
			return func() {}
		}
		_ = os.MkdirAll(e.o.cpuprofile, 0o755)
		f, err := os.Create(filepath.Join(e.o.cpuprofile, name+".pprof"))
		if err != nil {
			return func() {}
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return func() {}
		}
		return func() { pprof.StopCPUProfile(); f.Close() }
	}
}

// ranOK reports whether every run of a row did work without unexpected errors.
func ranOK(runs ...[]run) string {
	for _, rs := range runs {
		for _, r := range rs {
			if r.ops == 0 {
				return "a run completed no operation"
			}
			if r.errs > 0 {
				return fmt.Sprintf("%d unexpected outcomes (first: %s)", r.errs, r.firstErr)
			}
		}
	}
	return ""
}

func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

// resetHWM resets the peak RSS counter (Linux: clear_refs 5).
// resetHWM starts the peak-RSS count afresh: it first returns to the
// system what the seeding left behind (the harness's memory, not the
// service's), then resets VmHWM to the resident size.
func resetHWM() bool {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimLeft(v, " \t:")
		}
	}
	return ""
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

var errSkip = errors.New("skipped")

var _ = io.Discard

// gormDryRun renders a statement without running it (the raw list queries).
var gormDryRun = gorm.Session{DryRun: true}

func mustB64(s string) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return string(b)
}
