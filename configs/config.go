package configs

// The service configuration: the embedded config.yaml, a YAML file given at
// start, and QINQING_* environment overrides, decoded into Config and
// validated by Load.

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"qinqing/workflow"
)

// Config is the service configuration.
type Config struct {
	// Addr is the listen address (addr, QINQING_ADDR; default ":8080").
	Addr string
	// DataDir holds the embedded SQLite database (data_dir,
	// QINQING_DATA_DIR; default "data").
	DataDir string
	// DB selects and configures the database.
	DB DBConfig
	// AdminPassword is the password of the admin account created on first
	// start (admin_password, QINQING_ADMIN_PASSWORD); empty means generate.
	AdminPassword string
	// JWTSecret signs access tokens (jwt_secret, QINQING_JWT_SECRET). Load
	// does not generate one: the caller decides what an empty secret means.
	JWTSecret string
	// TokenTTL is the lifetime of an access token (token_ttl,
	// QINQING_TOKEN_TTL; default 15m).
	TokenTTL time.Duration
	// ScanInterval is the deadline scanner's period (scan_interval,
	// QINQING_SCAN_INTERVAL; default 1m).
	ScanInterval time.Duration
	// CredentialCache is how long an instance may answer from its memory
	// that an access token's account and session are live, instead of
	// reading them (credential_cache, QINQING_CREDENTIAL_CACHE; default 1s,
	// 0 reads them on every request, at most 1m). A logout, a password
	// change or a disabled account on this instance takes effect at the
	// next request whatever the value; on other instances within it.
	CredentialCache time.Duration
	// FiguresCache is how long the console may show figures it computed
	// over many rows (the deadline board's counts, the statistics page)
	// before computing them again (figures_cache; default 30s, 0 computes
	// them on every page, at most 10m). A write through this instance
	// makes them stale at once; writes through other instances show
	// within this time.
	FiguresCache time.Duration
	// RateLimit is the per-account request rate limit (rate_limit,
	// QINQING_RATE_LIMIT; default 20 rps, burst 40).
	RateLimit RateLimit
	// DemoLimit, when set, replaces every deadline limit (demo_limit,
	// QINQING_DEMO_LIMIT); for demonstrations and black-box tests.
	DemoLimit workflow.Limit
	// DueSoon is how close a deadline is before an item counts as due soon
	// (due_soon, QINQING_DUE_SOON; default 1wd).
	DueSoon workflow.Limit
	// RequestTimeout bounds the handling of one HTTP request
	// (request_timeout, QINQING_REQUEST_TIMEOUT; default 10s).
	RequestTimeout time.Duration
	// ExportTimeout bounds one ledger export (GET /requests/export.xlsx,
	// /leads/export.xlsx), which may hold a million rows and is answered
	// only once built (export_timeout, QINQING_EXPORT_TIMEOUT; default 10m).
	ExportTimeout time.Duration
	// HashWait is how long a sign-in or password change waits for a free
	// password-hashing slot before answering 503 with Retry-After
	// (hash_wait, QINQING_HASH_WAIT; default 2s). The slots are few (the
	// cores less one, fewer when argon2's memory cost is high), so a burst of
	// sign-ins cannot take the process's memory and CPU from everyone else.
	HashWait time.Duration
	// MetricsToken, when set, is the bearer token /metrics requires
	// (metrics_token, QINQING_METRICS_TOKEN; at least 32 characters).
	// When empty, /metrics answers only requests from the loopback
	// address that carry no forwarding header (a scraper on the host).
	MetricsToken string
	// TrustedProxies are the IP addresses or CIDR prefixes of reverse
	// proxies whose forwarding headers are trusted (trusted_proxies,
	// QINQING_TRUSTED_PROXIES as a comma-separated list).
	TrustedProxies []string
	// LogLevel is debug, info, warn or error (log_level, QINQING_LOG_LEVEL;
	// default info).
	LogLevel string
	// Webhooks receive events (webhooks).
	Webhooks []Webhook
	// Pprof serves net/http/pprof (pprof, QINQING_PPROF).
	Pprof bool
	// Files configures attachments (files).
	Files Files
	// Notify configures the notices sent outside the app (notify).
	Notify Notify
}

// Notify configures the channels a notice may also be sent by, per account
// preference (docs/design.md#notice-channels). An empty URL or address turns
// the channel off.
type Notify struct {
	// SMSURL is the SMS gateway: each message is POSTed to it as JSON,
	// signed with SMSSecret (notify.sms_url, QINQING_SMS_URL;
	// notify.sms_secret, QINQING_SMS_SECRET, at least 32 characters).
	SMSURL, SMSSecret string
	// SMTPAddr (host:port) relays e-mail from SMTPFrom, authenticating
	// with SMTPUsername and SMTPPassword when set (notify.smtp_*,
	// QINQING_SMTP_ADDR, _FROM, _USERNAME, _PASSWORD).
	SMTPAddr, SMTPFrom, SMTPUsername, SMTPPassword string
}

// Files configures attachments (docs/design.md#attachments).
type Files struct {
	// Store is where the contents are kept, as a gocloud.dev/blob URL
	// (files.store, QINQING_FILES_STORE): file:///srv/qinqing/files, or
	// s3://bucket?region=…&endpoint=…&use_path_style=true for any
	// S3-compatible store shared by several instances. Empty: the folder
	// "files" under the data directory.
	Store string
	// MaxSize is the largest upload in bytes (files.max_size,
	// QINQING_FILES_MAX_SIZE; default 20 MiB).
	MaxSize int64
	// OrphanTTL is how long an upload may stay unreferenced before it is
	// deleted (files.orphan_ttl, QINQING_FILES_ORPHAN_TTL; default 24h).
	OrphanTTL time.Duration
}

// StoreURL is the blob URL of the attachments' store: Store, or the folder
// "files" under dataDir.
func (f Files) StoreURL(dataDir string) (string, error) {
	if f.Store != "" {
		return f.Store, nil
	}
	dir, err := filepath.Abs(filepath.Join(dataDir, "files"))
	if err != nil {
		return "", err
	}
	// The folder is the owner's alone, however it was made (the contents
	// are written 0644 by the blob driver).
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String() + "?no_tmp_dir=true&metadata=skip", nil
}

// Database drivers.
const (
	DriverSQLite = "sqlite"
	DriverMySQL  = "mysql"
)

// DBConfig selects and configures the database.
type DBConfig struct {
	// Driver is DriverSQLite or DriverMySQL (db.driver, QINQING_DB_DRIVER).
	Driver string
	// DSN is the data source name (db.dsn, QINQING_DB_DSN). Load fills it
	// for SQLite when empty; MySQL requires it.
	DSN string
	// MaxOpenConns caps the connection pool; 0 leaves the driver default
	// (db.max_open_conns, QINQING_DB_MAX_OPEN_CONNS).
	MaxOpenConns int
}

// RateLimit is a token-bucket rate limit per account. RPS 0 turns it off.
type RateLimit struct {
	RPS   float64
	Burst int
}

// Webhook is an outbound notification target.
type Webhook struct {
	// URL receives a POST of each event (http or https).
	URL string
	// Secret is the HMAC-SHA256 key the body is signed with.
	Secret string
	// Events are the event names to send; empty sends every event.
	Events []string
}

// Built-in defaults; config.yaml writes the same values out.
const (
	defaultAddr           = ":8080"
	defaultDataDir        = "data"
	defaultTokenTTL       = 15 * time.Minute
	defaultScanInterval   = time.Minute
	defaultCredCache      = time.Second
	maxCredCache          = time.Minute
	defaultFiguresCache   = 30 * time.Second
	maxFiguresCache       = 10 * time.Minute
	defaultRPS            = 20
	defaultRequestTimeout = 10 * time.Second
	defaultExportTimeout  = 10 * time.Minute
	defaultHashWait       = 2 * time.Second
	defaultLogLevel       = "info"
	defaultFilesMaxSize   = 20 << 20
	defaultOrphanTTL      = 24 * time.Hour
)

// defaults returns the built-in configuration before DSN filling.
func defaults() Config {
	return Config{
		Addr:            defaultAddr,
		DataDir:         defaultDataDir,
		DB:              DBConfig{Driver: DriverSQLite},
		TokenTTL:        defaultTokenTTL,
		ScanInterval:    defaultScanInterval,
		CredentialCache: defaultCredCache,
		FiguresCache:    defaultFiguresCache,
		RateLimit:       RateLimit{RPS: defaultRPS, Burst: defaultBurst(defaultRPS)},
		DueSoon:         workflow.Limit{WorkingDays: 1},
		RequestTimeout:  defaultRequestTimeout,
		ExportTimeout:   defaultExportTimeout,
		HashWait:        defaultHashWait,
		LogLevel:        defaultLogLevel,
		Files:           Files{MaxSize: defaultFilesMaxSize, OrphanTTL: defaultOrphanTTL},
	}
}

// defaultBurst is the burst used when only a rate is given: two seconds'
// worth of requests, at least one.
func defaultBurst(rps float64) int { return max(1, int(math.Ceil(2*rps))) }

// SQLiteDSN returns the DSN used for SQLite when none is configured: the file
// qinqing.db under dataDir, in WAL mode, with a busy timeout, foreign keys on
// and write transactions that take the lock up front (so two writers queue
// instead of failing with SQLITE_BUSY on upgrade).
func SQLiteDSN(dataDir string) string {
	return "file:" + filepath.ToSlash(filepath.Join(dataDir, "qinqing.db")) +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// fileConfig is config.yaml as written: durations and limits stay text so
// that errors can name the key, and empty values mean "default".
type fileConfig struct {
	Addr    string `yaml:"addr"`
	DataDir string `yaml:"data_dir"`
	DB      struct {
		Driver       string `yaml:"driver"`
		DSN          string `yaml:"dsn"`
		MaxOpenConns int    `yaml:"max_open_conns"`
	} `yaml:"db"`
	AdminPassword string `yaml:"admin_password"`
	JWTSecret     string `yaml:"jwt_secret"`
	TokenTTL      string `yaml:"token_ttl"`
	ScanInterval  string `yaml:"scan_interval"`
	CredCache     string `yaml:"credential_cache"`
	FiguresCache  string `yaml:"figures_cache"`
	RateLimit     *struct {
		RPS   float64 `yaml:"rps"`
		Burst int     `yaml:"burst"`
	} `yaml:"rate_limit"`
	DemoLimit      string   `yaml:"demo_limit"`
	DueSoon        string   `yaml:"due_soon"`
	RequestTimeout string   `yaml:"request_timeout"`
	ExportTimeout  string   `yaml:"export_timeout"`
	HashWait       string   `yaml:"hash_wait"`
	MetricsToken   string   `yaml:"metrics_token"`
	TrustedProxies []string `yaml:"trusted_proxies"`
	LogLevel       string   `yaml:"log_level"`
	Webhooks       []struct {
		URL    string   `yaml:"url"`
		Secret string   `yaml:"secret"`
		Events []string `yaml:"events"`
	} `yaml:"webhooks"`
	Pprof bool `yaml:"pprof"`
	Files struct {
		Store     string `yaml:"store"`
		MaxSize   int64  `yaml:"max_size"`
		OrphanTTL string `yaml:"orphan_ttl"`
	} `yaml:"files"`
	Notify struct {
		SMSURL       string `yaml:"sms_url"`
		SMSSecret    string `yaml:"sms_secret"`
		SMTPAddr     string `yaml:"smtp_addr"`
		SMTPFrom     string `yaml:"smtp_from"`
		SMTPUsername string `yaml:"smtp_username"`
		SMTPPassword string `yaml:"smtp_password"`
	} `yaml:"notify"`
}

// Load reads the YAML configuration at path (the embedded default
// config.yaml when path is ""), applies QINQING_* environment overrides
// through lookup (os.LookupEnv in main, a map in tests; nil means none),
// fills defaults and validates. An override set to the empty string is
// ignored. Unknown YAML keys are an error, and every error names the file
// and key or the environment variable at fault.
func Load(path string, lookup func(string) (string, bool)) (Config, error) {
	name := path
	var data []byte
	var err error
	if path == "" {
		name = configFile
		data, err = files.ReadFile(configFile)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return load(name, data, lookup)
}

// load is Load over the bytes of the file name.
func load(name string, data []byte, lookup func(string) (string, bool)) (Config, error) {
	var f fileConfig
	if err := decodeStrict(data, &f); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	c := defaults()
	if err := c.applyFile(f); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if lookup != nil {
		if err := c.applyEnv(lookup); err != nil {
			return Config{}, err
		}
	}
	if c.DB.Driver == DriverSQLite && c.DB.DSN == "" {
		c.DB.DSN = SQLiteDSN(c.DataDir)
	}
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// applyFile overlays the values set in the file on c. Errors name the key.
func (c *Config) applyFile(f fileConfig) error {
	setString(&c.Addr, f.Addr)
	setString(&c.DataDir, f.DataDir)
	setString(&c.DB.Driver, f.DB.Driver)
	setString(&c.DB.DSN, f.DB.DSN)
	c.DB.MaxOpenConns = f.DB.MaxOpenConns
	setString(&c.AdminPassword, f.AdminPassword)
	setString(&c.JWTSecret, f.JWTSecret)
	setString(&c.LogLevel, f.LogLevel)
	setString(&c.MetricsToken, f.MetricsToken)
	c.Pprof = f.Pprof
	c.TrustedProxies = slices.Clone(f.TrustedProxies)
	for _, d := range []struct {
		key string
		val string
		dst *time.Duration
	}{
		{"token_ttl", f.TokenTTL, &c.TokenTTL},
		{"scan_interval", f.ScanInterval, &c.ScanInterval},
		{"request_timeout", f.RequestTimeout, &c.RequestTimeout},
		{"export_timeout", f.ExportTimeout, &c.ExportTimeout},
		{"hash_wait", f.HashWait, &c.HashWait},
	} {
		if err := setDuration(d.dst, d.key, d.val); err != nil {
			return err
		}
	}
	if err := setDurationOrZero(&c.CredentialCache, "credential_cache", f.CredCache); err != nil {
		return err
	}
	if err := setDurationOrZero(&c.FiguresCache, "figures_cache", f.FiguresCache); err != nil {
		return err
	}
	if err := setLimit(&c.DemoLimit, "demo_limit", f.DemoLimit); err != nil {
		return err
	}
	if err := setLimit(&c.DueSoon, "due_soon", f.DueSoon); err != nil {
		return err
	}
	if f.RateLimit != nil {
		rl := RateLimit{RPS: f.RateLimit.RPS, Burst: f.RateLimit.Burst}
		if rl.RPS > 0 && rl.Burst == 0 {
			rl.Burst = defaultBurst(rl.RPS)
		}
		c.RateLimit = rl
	}
	for _, w := range f.Webhooks {
		c.Webhooks = append(c.Webhooks, Webhook{URL: w.URL, Secret: w.Secret, Events: slices.Clone(w.Events)})
	}
	setString(&c.Files.Store, f.Files.Store)
	setString(&c.Notify.SMSURL, f.Notify.SMSURL)
	setString(&c.Notify.SMSSecret, f.Notify.SMSSecret)
	setString(&c.Notify.SMTPAddr, f.Notify.SMTPAddr)
	setString(&c.Notify.SMTPFrom, f.Notify.SMTPFrom)
	setString(&c.Notify.SMTPUsername, f.Notify.SMTPUsername)
	setString(&c.Notify.SMTPPassword, f.Notify.SMTPPassword)
	if f.Files.MaxSize != 0 {
		c.Files.MaxSize = f.Files.MaxSize
	}
	return setDuration(&c.Files.OrphanTTL, "files.orphan_ttl", f.Files.OrphanTTL)
}

// applyEnv overlays the QINQING_* variables found by lookup on c. Errors
// name the variable.
func (c *Config) applyEnv(lookup func(string) (string, bool)) error {
	get := func(name string) (string, bool) {
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	for _, s := range []struct {
		name string
		dst  *string
	}{
		{"QINQING_ADDR", &c.Addr},
		{"QINQING_DATA_DIR", &c.DataDir},
		{"QINQING_DB_DRIVER", &c.DB.Driver},
		{"QINQING_DB_DSN", &c.DB.DSN},
		{"QINQING_ADMIN_PASSWORD", &c.AdminPassword},
		{"QINQING_JWT_SECRET", &c.JWTSecret},
		{"QINQING_LOG_LEVEL", &c.LogLevel},
		{"QINQING_METRICS_TOKEN", &c.MetricsToken},
		{"QINQING_FILES_STORE", &c.Files.Store},
		{"QINQING_SMS_URL", &c.Notify.SMSURL},
		{"QINQING_SMS_SECRET", &c.Notify.SMSSecret},
		{"QINQING_SMTP_ADDR", &c.Notify.SMTPAddr},
		{"QINQING_SMTP_FROM", &c.Notify.SMTPFrom},
		{"QINQING_SMTP_USERNAME", &c.Notify.SMTPUsername},
		{"QINQING_SMTP_PASSWORD", &c.Notify.SMTPPassword},
	} {
		if v, ok := get(s.name); ok {
			*s.dst = v
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"QINQING_TOKEN_TTL", &c.TokenTTL},
		{"QINQING_SCAN_INTERVAL", &c.ScanInterval},
		{"QINQING_REQUEST_TIMEOUT", &c.RequestTimeout},
		{"QINQING_EXPORT_TIMEOUT", &c.ExportTimeout},
		{"QINQING_HASH_WAIT", &c.HashWait},
		{"QINQING_FILES_ORPHAN_TTL", &c.Files.OrphanTTL},
	} {
		if v, ok := get(d.name); ok {
			if err := setDuration(d.dst, d.name, v); err != nil {
				return err
			}
		}
	}
	if v, ok := get("QINQING_CREDENTIAL_CACHE"); ok {
		if err := setDurationOrZero(&c.CredentialCache, "QINQING_CREDENTIAL_CACHE", v); err != nil {
			return err
		}
	}
	if v, ok := get("QINQING_DEMO_LIMIT"); ok {
		if err := setLimit(&c.DemoLimit, "QINQING_DEMO_LIMIT", v); err != nil {
			return err
		}
	}
	if v, ok := get("QINQING_DUE_SOON"); ok {
		if err := setLimit(&c.DueSoon, "QINQING_DUE_SOON", v); err != nil {
			return err
		}
	}
	if v, ok := get("QINQING_RATE_LIMIT"); ok {
		rl, err := parseRateLimit(v)
		if err != nil {
			return fmt.Errorf("QINQING_RATE_LIMIT: %w", err)
		}
		c.RateLimit = rl
	}
	if v, ok := get("QINQING_FILES_MAX_SIZE"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("QINQING_FILES_MAX_SIZE: want a number of bytes > 0, got %q", v)
		}
		c.Files.MaxSize = n
	}
	if v, ok := get("QINQING_DB_MAX_OPEN_CONNS"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("QINQING_DB_MAX_OPEN_CONNS: want a whole number ≥ 0, got %q", v)
		}
		c.DB.MaxOpenConns = n
	}
	if v, ok := get("QINQING_TRUSTED_PROXIES"); ok {
		c.TrustedProxies = nil
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
		if err := validateProxies("QINQING_TRUSTED_PROXIES", c.TrustedProxies); err != nil {
			return err
		}
	}
	if v, ok := get("QINQING_PPROF"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("QINQING_PPROF: want true or false, got %q", v)
		}
		c.Pprof = b
	}
	return nil
}

// parseRateLimit parses "20" (20 rps, burst 40), "20:50" (20 rps, burst 50)
// or "0" (off).
func parseRateLimit(s string) (RateLimit, error) {
	rs, bs, hasBurst := strings.Cut(s, ":")
	rps, err := strconv.ParseFloat(strings.TrimSpace(rs), 64)
	if err != nil || rps < 0 || math.IsNaN(rps) || math.IsInf(rps, 0) {
		return RateLimit{}, fmt.Errorf("want requests per second ≥ 0 (e.g. 20, 20:50 or 0 for off), got %q", s)
	}
	if rps == 0 {
		return RateLimit{}, nil
	}
	rl := RateLimit{RPS: rps, Burst: defaultBurst(rps)}
	if hasBurst {
		b, err := strconv.Atoi(strings.TrimSpace(bs))
		if err != nil || b < 1 {
			return RateLimit{}, fmt.Errorf("want a burst ≥ 1 after the colon, got %q", s)
		}
		rl.Burst = b
	}
	return rl, nil
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// setDuration parses a positive duration into dst unless v is empty.
func setDuration(dst *time.Duration, name, v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%s: invalid duration %q (want e.g. 30s, 15m, 1h)", name, v)
	}
	if d <= 0 {
		return fmt.Errorf("%s: must be greater than zero, got %q", name, v)
	}
	*dst = d
	return nil
}

// setDurationOrZero parses a duration that may be 0 into dst unless v is
// empty.
func setDurationOrZero(dst *time.Duration, name, v string) error {
	if strings.TrimSpace(v) == "0" {
		*dst = 0
		return nil
	}
	if d, err := time.ParseDuration(strings.TrimSpace(v)); err == nil && d == 0 {
		*dst = 0
		return nil
	}
	return setDuration(dst, name, v)
}

// setLimit parses a deadline limit into dst unless v is empty.
func setLimit(dst *workflow.Limit, name, v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	l, err := workflow.ParseLimit(v)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	*dst = l
	return nil
}

func validateProxies(name string, proxies []string) error {
	for i, p := range proxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			return fmt.Errorf("%s[%d]: %q is not an IP address or CIDR prefix", name, i, p)
		}
	}
	return nil
}

// validate checks the merged configuration. Errors name the YAML key (and
// the environment variable that can also set it).
func (c *Config) validate() error {
	c.LogLevel = strings.ToLower(c.LogLevel)
	switch {
	case c.Addr == "":
		return errors.New("addr is required")
	case c.DataDir == "":
		return errors.New("data_dir is required")
	case c.MetricsToken != "" && len(c.MetricsToken) < 32:
		return errors.New("metrics_token (QINQING_METRICS_TOKEN): at least 32 characters")
	case c.DB.Driver != DriverSQLite && c.DB.Driver != DriverMySQL:
		return fmt.Errorf("db.driver (QINQING_DB_DRIVER): %q is not sqlite or mysql", c.DB.Driver)
	case c.DB.Driver == DriverMySQL && c.DB.DSN == "":
		return errors.New("db.dsn (QINQING_DB_DSN) is required when db.driver is mysql")
	case c.Notify.SMSURL != "" && len(c.Notify.SMSSecret) < 32:
		return errors.New("notify.sms_secret (QINQING_SMS_SECRET): at least 32 characters when notify.sms_url is set")
	case c.Notify.SMTPAddr != "" && c.Notify.SMTPFrom == "":
		return errors.New("notify.smtp_from (QINQING_SMTP_FROM) is required when notify.smtp_addr is set")
	case c.Files.MaxSize <= 0:
		return fmt.Errorf("files.max_size (QINQING_FILES_MAX_SIZE): must be > 0 bytes, got %d", c.Files.MaxSize)
	case c.DB.MaxOpenConns < 0:
		return fmt.Errorf("db.max_open_conns: must be ≥ 0, got %d", c.DB.MaxOpenConns)
	case c.RateLimit.RPS < 0 || math.IsNaN(c.RateLimit.RPS) || math.IsInf(c.RateLimit.RPS, 0):
		return fmt.Errorf("rate_limit.rps: must be ≥ 0, got %v", c.RateLimit.RPS)
	case c.RateLimit.RPS > 0 && c.RateLimit.Burst < 1:
		return fmt.Errorf("rate_limit.burst: must be ≥ 1 when rps is set, got %d", c.RateLimit.Burst)
	case c.RateLimit.Burst < 0:
		return fmt.Errorf("rate_limit.burst: must be ≥ 0, got %d", c.RateLimit.Burst)
	case c.DueSoon.IsZero():
		return errors.New("due_soon is required")
	case c.CredentialCache > maxCredCache:
		return fmt.Errorf("credential_cache (QINQING_CREDENTIAL_CACHE): at most %s, got %s", maxCredCache, c.CredentialCache)
	case c.FiguresCache < 0 || c.FiguresCache > maxFiguresCache:
		return fmt.Errorf("figures_cache: between 0 and %s, got %s", maxFiguresCache, c.FiguresCache)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level (QINQING_LOG_LEVEL): %q is not debug, info, warn or error", c.LogLevel)
	}
	if err := validateProxies("trusted_proxies", c.TrustedProxies); err != nil {
		return err
	}
	for i, w := range c.Webhooks {
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("webhooks[%d].url: %q is not an http(s) URL", i, w.URL)
		}
		if w.Secret == "" {
			return fmt.Errorf("webhooks[%d].secret is required (bodies are signed with HMAC-SHA256)", i)
		}
		for j, e := range w.Events {
			if strings.TrimSpace(e) == "" {
				return fmt.Errorf("webhooks[%d].events[%d] is empty", i, j)
			}
			if slices.Contains(w.Events[:j], e) {
				return fmt.Errorf("webhooks[%d].events: %q listed twice", i, e)
			}
		}
	}
	return nil
}

// Limits returns the deadline limits to use for cat: its own, or DemoLimit
// for every step when that is set.
func (c Config) Limits(cat Category) CategoryLimits {
	if c.DemoLimit.IsZero() {
		return cat.Limits
	}
	d := c.DemoLimit
	return CategoryLimits{Accept: d, Claim: d, Respond: d, Evaluate: d}
}
