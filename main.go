// Command qinqing serves the 亲清 government–enterprise closed loop: enterprise
// requests (企呼我应), leads, deadlines and the 亲清健康指数, over REST.
//
//	qinqing [-config configs/config.yaml]     serve (the default)
//	qinqing [-config …] audit verify          check every timeline's hash chain
//	qinqing seed --requests N --leads N       fill the database with synthetic data (seed.go)
//	qinqing [-config …] admin reset-password USER   a new one-time password (main_admin.go)
//
// Configuration is YAML plus QINQING_* environment overrides (README).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai without relying on the host's zoneinfo

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"qinqing/api"
	"qinqing/configs"
	"qinqing/model"
	"qinqing/policy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "qinqing:", err)
		os.Exit(1)
	}
}

// run is the whole program; main only adds signals and the exit code.
// ready, when set, is told the address the server listens on.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdout io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("qinqing", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { printUsage(stdout) }
	path := fs.String("config", "", "YAML configuration file (default: QINQING_CONFIG, else configs/config.yaml if present, else the embedded default)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if rest := fs.Args(); len(rest) > 0 && rest[0] == "seed" {
		err := runSeed(ctx, rest[1:], *path, lookup, stdout)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "help" {
		printUsage(stdout)
		return nil
	}
	if len(rest) > 0 && rest[0] != "serve" && rest[0] != "audit" && rest[0] != "admin" {
		return fmt.Errorf("unknown command %q (qinqing --help lists them)", rest[0])
	}
	if *path == "" {
		if p, ok := lookup("QINQING_CONFIG"); ok && p != "" {
			*path = p
		} else if _, err := os.Stat("configs/config.yaml"); err == nil {
			*path = "configs/config.yaml"
		}
	}
	cfg, err := configs.Load(*path, lookup)
	if err != nil {
		return err
	}
	if len(rest) > 0 && rest[0] == "audit" {
		return runAudit(ctx, cfg, rest[1:], stdout)
	}
	if len(rest) > 0 && rest[0] == "admin" {
		return runAdmin(ctx, cfg, rest[1:], stdout)
	}
	log := newLogger(stdout, cfg.LogLevel)
	app, err := build(ctx, cfg, log, lookup, stdout)
	if err != nil {
		return err
	}
	defer app.close()
	return app.serve(ctx, ready)
}

// newLogger writes logfmt lines (slog's text handler): the message in
// Chinese for the people who read them, the keys in English for the
// machines, and every time (the line's own and any time attribute) in
// Beijing time, +08:00, whatever the host's time zone (README "Logs").
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l, ReplaceAttr: beijingTimes}))
}

// logZone is the logs' time zone: China Standard Time (no daylight saving).
var logZone = time.FixedZone("CST", 8*60*60)

func beijingTimes(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindTime {
		a.Value = slog.TimeValue(a.Value.Time().In(logZone))
	}
	return a
}

// app is the wired service.
type app struct {
	cfg    configs.Config
	log    *slog.Logger
	store  *model.Store
	server *api.Server
	close  func()
	report func(model.ScanResult, model.DeadlineCounts)
}

// build wires the service from its configuration: reference data, calendar,
// database (migrated, reference data loaded, admin ensured), policy, API.
func build(ctx context.Context, cfg configs.Config, log *slog.Logger, lookup func(string) (string, bool), stdout io.Writer) (*app, error) {
	raw, err := configs.LoadReference()
	if err != nil {
		return nil, err
	}
	ref, err := model.NewReference(raw)
	if err != nil {
		return nil, err
	}
	for _, y := range ref.Calendar.UnpublishedYears(time.Now()) {
		log.Warn("工作日历缺少该年度的国务院节假日安排，仅按周末计算，请在 configs/calendar.yaml 中补充", "year", y)
	}
	if !cfg.DemoLimit.IsZero() {
		log.Warn("已设置 QINQING_DEMO_LIMIT：所有办理期限均被替换（演示模式）", "limit", cfg.DemoLimit.String())
	}
	secret, err := jwtSecret(cfg)
	if err != nil {
		return nil, err
	}
	authz, err := policy.New(ref.Parents)
	if err != nil {
		return nil, err
	}
	store, err := model.OpenStoreLogged(ctx, cfg, ref, time.Now, log)
	if err != nil {
		return nil, err
	}
	closeDB := func() { _ = store.Close() }
	hasher := model.DefaultHasher()
	if err := ensureAdmin(ctx, store, hasher, raw, lookup, stdout, log); err != nil {
		closeDB()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := api.New(api.Deps{Store: store, Ref: ref, Authz: authz, Config: cfg, Hasher: hasher, JWTSecret: secret,
		Logger: log, Registry: reg, Clock: time.Now})
	if err != nil {
		closeDB()
		return nil, err
	}
	deadlines := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "qinqing_deadline_items",
		Help: "Open items past their deadline (state=overdue) or due soon (state=due_soon), by kind."}, []string{"kind", "state"})
	scans := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qinqing_scanner_marked_total",
		Help: "Steps the deadline scanner marked, by what it did."}, []string{"what"})
	reg.MustRegister(deadlines, scans)
	report := func(r model.ScanResult, c model.DeadlineCounts) {
		for kind, n := range c {
			deadlines.WithLabelValues(kind, "overdue").Set(float64(n.Overdue))
			deadlines.WithLabelValues(kind, "due_soon").Set(float64(n.DueSoon))
		}
		scans.WithLabelValues("overdue").Add(float64(r.Overdue))
		scans.WithLabelValues("supervised").Add(float64(r.Supervised))
		scans.WithLabelValues("due_soon").Add(float64(r.DueSoon))
		scans.WithLabelValues("expired").Add(float64(r.Expired))
	}
	return &app{cfg: cfg, log: log, store: store, server: srv, close: closeDB, report: report}, nil
}

// jwtSecret returns the signing key: the configured one; on MySQL there is no
// default (every instance must share a secret the operator sets); on the
// embedded default one is generated once and kept in the data directory.
func jwtSecret(cfg configs.Config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		if len(cfg.JWTSecret) < 32 {
			return nil, errors.New("QINQING_JWT_SECRET must be at least 32 characters")
		}
		return []byte(cfg.JWTSecret), nil
	}
	if cfg.DB.Driver != configs.DriverSQLite {
		return nil, errors.New("QINQING_JWT_SECRET is required with a MySQL database (all instances must share it)")
	}
	p := filepath.Join(cfg.DataDir, "jwt_secret")
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		if err := os.Chmod(p, 0o600); err != nil {
			return nil, err
		}
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(raw[:])
	if err := os.WriteFile(p, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("keep JWT secret: %w", err)
	}
	return []byte(s), nil
}

// ensureAdmin creates the admin account on first start, with
// QINQING_ADMIN_PASSWORD or a generated password printed once. When the
// admin exists already, the variable is ignored, and the log says so.
func ensureAdmin(ctx context.Context, store *model.Store, h model.PasswordHasher, ref configs.Reference,
	lookup func(string) (string, bool), stdout io.Writer, log *slog.Logger) error {
	pw, given := lookup("QINQING_ADMIN_PASSWORD")
	if !given || pw == "" {
		var err error
		if pw, err = model.OneTimePassword(); err != nil {
			return err
		}
		given = false
	}
	if len(pw) < 8 {
		return errors.New("QINQING_ADMIN_PASSWORD must be at least 8 characters")
	}
	root := ref.Regions[0].Code
	ensure := store.EnsureAdmin
	if !given {
		// A generated password is to be replaced at the first sign-in.
		ensure = store.EnsureAdminGenerated
	}
	created, err := ensure(ctx, h, pw, root)
	if err != nil {
		return fmt.Errorf("create admin: %w", err)
	}
	switch {
	case created && given:
		log.Info("已用 QINQING_ADMIN_PASSWORD 创建管理员账号 admin", "username", "admin")
	case created:
		fmt.Fprintf(stdout, "\n首次启动：已创建管理员账号 admin，初始密码（只显示这一次）：%s\n\n", pw)
	case given:
		log.Warn("管理员账号 admin 已存在，QINQING_ADMIN_PASSWORD 未使用；忘记密码请运行 qinqing admin reset-password admin",
			"username", "admin", "env", "QINQING_ADMIN_PASSWORD")
	}
	return nil
}

// serve listens until ctx ends, then shuts down gracefully: in-flight
// requests finish (up to 20 s) before the database closes.
func (a *app) serve(ctx context.Context, ready func(string)) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           a.server.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if a.cfg.Pprof {
		// Profiling listens on the loopback interface only, never on the
		// API's address, and only when the configuration asks for it.
		pl, err := net.Listen("tcp", "127.0.0.1:6060")
		if err != nil {
			return fmt.Errorf("pprof listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		ps := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = ps.Serve(pl) }()
		defer ps.Close()
		// The block and mutex profiles stay empty unless sampled: every
		// wait of 10 µs or more, every 10th contended mutex.
		runtime.SetBlockProfileRate(10000)
		runtime.SetMutexProfileFraction(10)
		defer runtime.SetBlockProfileRate(0)
		defer runtime.SetMutexProfileFraction(0)
		a.log.Warn("已在 127.0.0.1:6060 开启 pprof 性能分析", "addr", "127.0.0.1:6060")
	}
	// The deadline scanner, the webhook dispatcher and the sender of
	// notices by SMS and e-mail run until the server
	// has stopped, then end before the database closes.
	jobs, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); a.store.RunScanner(jobs, a.cfg.ScanInterval, a.log, a.report) }()
	go func() { defer wg.Done(); model.NewDispatcher(a.store, a.log).Run(jobs, time.Second) }()
	go func() { defer wg.Done(); model.NewChannelSender(a.store, a.cfg.Notify, a.log).Run(jobs, 5*time.Second) }()
	defer func() { stopJobs(); wg.Wait() }()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	a.log.Info("服务已启动", "addr", ln.Addr().String(), "db", a.cfg.DB.Driver)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("正在停止服务")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
