// Package configs holds qinqing's configuration and reference data: the
// default service configuration, regions, departments, request categories,
// deadline limits, the working-day calendar and the interaction lists. The
// YAML files in this directory are embedded in the binary; Load and
// LoadReference decode and validate them into typed values that main hands
// to constructors. Nothing here is kept in package state.
package configs

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"qinqing/workflow"
)

// files are the embedded YAML files. Each file is named explicitly so that a
// stray file in the directory is never embedded by accident.
//
//go:embed config.yaml regions.yaml departments.yaml categories.yaml leads.yaml calendar.yaml interaction_rules.yaml indicators.yaml
var files embed.FS

// Names of the embedded files.
const (
	configFile       = "config.yaml"
	regionsFile      = "regions.yaml"
	departmentsFile  = "departments.yaml"
	categoriesFile   = "categories.yaml"
	leadsFile        = "leads.yaml"
	calendarFile     = "calendar.yaml"
	interactionsFile = "interaction_rules.yaml"
)

// Region levels.
const (
	LevelCity   = "city"   // 宁波市, the single root
	LevelCounty = "county" // 区、县、县级市
	LevelZone   = "zone"   // functional zones counted under 市本级
	LevelTown   = "town"   // 镇、街道
)

// Category complexities.
const (
	ComplexitySimple  = "simple"
	ComplexityComplex = "complex"
)

// Interaction lists (亲清政商交往清单).
const (
	ListPositive = "positive" // 正面清单
	ListNegative = "negative" // 负面清单
	ListAdvocacy = "advocacy" // 倡导清单
)

// Region is an administrative or functional region. Regions form a tree
// rooted at the city; a grant at a region covers every region below it.
type Region struct {
	Code       string `yaml:"code" json:"code"`
	Name       string `yaml:"name" json:"name"`
	Level      string `yaml:"level" json:"level"`
	ParentCode string `yaml:"parent_code" json:"parent_code"`
}

// Department is a city-level functional department. A handling unit is a
// department in a region.
type Department struct {
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
}

// Category is a category of enterprise request (企呼我应) with its deadline
// limits.
type Category struct {
	Code       string         `json:"code"`
	Name       string         `json:"name"`
	Complexity string         `json:"complexity"` // ComplexitySimple or ComplexityComplex
	Limits     CategoryLimits `json:"limits"`
}

// CategoryLimits are the deadline limits of a request's steps.
type CategoryLimits struct {
	Accept   workflow.Limit `json:"accept"`   // 受理: submitted → assigned or rejected
	Claim    workflow.Limit `json:"claim"`    // 签收: assigned → in_progress
	Respond  workflow.Limit `json:"respond"`  // 答复: in_progress → responded
	Evaluate workflow.Limit `json:"evaluate"` // evaluation window; then closed as 未评价
}

// Steps maps the request steps (workflow.State.Step) to their limits.
func (l CategoryLimits) Steps() map[string]workflow.Limit {
	return map[string]workflow.Limit{"accept": l.Accept, "claim": l.Claim, "respond": l.Respond, "evaluate": l.Evaluate}
}

// LeadLimits are the deadline limits of the lead loop.
type LeadLimits struct {
	Register workflow.Limit `json:"register"` // 受理登记 after the report
	Decide   workflow.Limit `json:"decide"`   // 评估决策 after receipt
	Verify   workflow.Limit `json:"verify"`   // 监督回访 after rectification is completed
	Feedback workflow.Limit `json:"feedback"` // feedback to a named reporter after closure
	// RectifyMaxDays is the largest rectification period, in working days,
	// that may be set at decision.
	RectifyMaxDays int `json:"rectify_max_days"`
}

// Steps maps the lead steps (workflow.State.Step) to their limits; the
// rectification period is set by each decision.
func (l LeadLimits) Steps() map[string]workflow.Limit {
	return map[string]workflow.Limit{"register": l.Register, "decide": l.Decide, "verify": l.Verify}
}

// InteractionRule is one item of the 亲清政商交往 interaction lists, which a
// lead may cite.
type InteractionRule struct {
	Code  string `yaml:"code" json:"code"`
	List  string `yaml:"list" json:"list"` // ListPositive, ListNegative or ListAdvocacy
	Title string `yaml:"title" json:"title"`
}

// Reference is the reference data loaded at start.
type Reference struct {
	// Regions in file order: the city first.
	Regions []Region
	// RegionAliases maps retired region codes to current ones; aliases are
	// never units themselves.
	RegionAliases map[string]string
	Departments   []Department
	Categories    []Category
	LeadLimits    LeadLimits
	// Calendar is the official schedule, for workflow.NewCalendar.
	Calendar         []workflow.CalendarYear
	InteractionRules []InteractionRule
}

// Category returns the category with the given code.
func (r Reference) Category(code string) (Category, bool) {
	i := slices.IndexFunc(r.Categories, func(c Category) bool { return c.Code == code })
	if i < 0 {
		return Category{}, false
	}
	return r.Categories[i], true
}

// LoadReference decodes the embedded reference files and validates them:
// codes are present and unique, every parent region exists, there is exactly
// one root, levels nest (city > county, zone > town), aliases point at units,
// every category has its four limits and every limit is greater than zero,
// and the calendar is consistent. Errors name the file and the offending
// entry.
func LoadReference() (Reference, error) { return loadReference(files) }

// loadReference is LoadReference over any file system, so tests can feed it
// broken files.
func loadReference(fsys fs.FS) (Reference, error) {
	var ref Reference
	var err error
	if ref.Regions, ref.RegionAliases, err = loadRegions(fsys); err != nil {
		return Reference{}, err
	}
	if ref.Departments, err = loadDepartments(fsys); err != nil {
		return Reference{}, err
	}
	if ref.Categories, err = loadCategories(fsys); err != nil {
		return Reference{}, err
	}
	if ref.LeadLimits, err = loadLeadLimits(fsys); err != nil {
		return Reference{}, err
	}
	if ref.Calendar, err = loadCalendar(fsys); err != nil {
		return Reference{}, err
	}
	if ref.InteractionRules, err = loadInteractionRules(fsys); err != nil {
		return Reference{}, err
	}
	return ref, nil
}

// decodeFile strictly decodes the YAML file name of fsys into out: unknown
// keys are an error, and so is an empty file.
func decodeFile(fsys fs.FS, name string, out any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := decodeStrict(data, out); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: empty file", name)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// decodeStrict decodes one YAML document, rejecting unknown keys. An empty
// document returns io.EOF.
func decodeStrict(data []byte, out any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(out)
}

// regionRank orders region levels for the nesting check.
func regionRank(level string) int {
	switch level {
	case LevelCity:
		return 0
	case LevelCounty, LevelZone:
		return 1
	case LevelTown:
		return 2
	}
	return -1
}

func loadRegions(fsys fs.FS) ([]Region, map[string]string, error) {
	var f struct {
		Regions []Region          `yaml:"regions"`
		Aliases map[string]string `yaml:"aliases"`
	}
	if err := decodeFile(fsys, regionsFile, &f); err != nil {
		return nil, nil, err
	}
	fail := func(format string, args ...any) ([]Region, map[string]string, error) {
		return nil, nil, fmt.Errorf(regionsFile+": "+format, args...)
	}
	byCode := make(map[string]Region, len(f.Regions))
	for i, r := range f.Regions {
		switch {
		case r.Code == "":
			return fail("regions[%d] (%s): code is required", i, r.Name)
		case strings.ContainsAny(r.Code, " \t\r\n"):
			return fail("region %q: code contains white space", r.Code)
		case r.Name == "":
			return fail("region %q: name is required", r.Code)
		case regionRank(r.Level) < 0:
			return fail("region %q: level %q is not one of city, county, zone, town", r.Code, r.Level)
		}
		if _, dup := byCode[r.Code]; dup {
			return fail("region %q: code listed twice", r.Code)
		}
		byCode[r.Code] = r
	}
	roots := 0
	for _, r := range f.Regions {
		if r.ParentCode == "" {
			roots++
			if r.Level != LevelCity {
				return fail("region %q: only the city may have no parent", r.Code)
			}
			continue
		}
		p, ok := byCode[r.ParentCode]
		if !ok {
			return fail("region %q: parent %q does not exist", r.Code, r.ParentCode)
		}
		// Ranks strictly increase downwards, which also rules out cycles.
		if regionRank(p.Level) >= regionRank(r.Level) {
			return fail("region %q (%s): parent %q is a %s", r.Code, r.Level, p.Code, p.Level)
		}
	}
	if roots != 1 {
		return fail("want exactly one root region (parent_code empty), found %d", roots)
	}
	aliases := make(map[string]string, len(f.Aliases))
	for from, to := range f.Aliases {
		if _, ok := byCode[from]; ok {
			return fail("alias %q: is a region code itself", from)
		}
		if _, ok := byCode[to]; !ok {
			return fail("alias %q: target %q does not exist", from, to)
		}
		aliases[from] = to
	}
	return f.Regions, aliases, nil
}

func loadDepartments(fsys fs.FS) ([]Department, error) {
	var f struct {
		Departments []Department `yaml:"departments"`
	}
	if err := decodeFile(fsys, departmentsFile, &f); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(f.Departments))
	for i, d := range f.Departments {
		switch {
		case d.Code == "":
			return nil, fmt.Errorf("%s: departments[%d] (%s): code is required", departmentsFile, i, d.Name)
		case d.Name == "":
			return nil, fmt.Errorf("%s: department %q: name is required", departmentsFile, d.Code)
		case seen[d.Code]:
			return nil, fmt.Errorf("%s: department %q: code listed twice", departmentsFile, d.Code)
		}
		seen[d.Code] = true
	}
	if len(f.Departments) == 0 {
		return nil, fmt.Errorf("%s: no departments", departmentsFile)
	}
	return f.Departments, nil
}

// parseLimit parses a required reference limit; where names the file, entry
// and key for the error.
func parseLimit(where, s string) (workflow.Limit, error) {
	if strings.TrimSpace(s) == "" {
		return workflow.Limit{}, fmt.Errorf("%s: limit is required", where)
	}
	l, err := workflow.ParseLimit(s)
	if err != nil {
		return workflow.Limit{}, fmt.Errorf("%s: %w", where, err)
	}
	return l, nil
}

func loadCategories(fsys fs.FS) ([]Category, error) {
	type limits struct {
		Accept   string `yaml:"accept"`
		Claim    string `yaml:"claim"`
		Respond  string `yaml:"respond"`
		Evaluate string `yaml:"evaluate"`
	}
	var f struct {
		Categories []struct {
			Code       string `yaml:"code"`
			Name       string `yaml:"name"`
			Complexity string `yaml:"complexity"`
			Limits     limits `yaml:"limits"`
		} `yaml:"categories"`
	}
	if err := decodeFile(fsys, categoriesFile, &f); err != nil {
		return nil, err
	}
	if len(f.Categories) == 0 {
		return nil, fmt.Errorf("%s: no categories", categoriesFile)
	}
	out := make([]Category, 0, len(f.Categories))
	seen := make(map[string]bool, len(f.Categories))
	for i, c := range f.Categories {
		switch {
		case c.Code == "":
			return nil, fmt.Errorf("%s: categories[%d] (%s): code is required", categoriesFile, i, c.Name)
		case c.Name == "":
			return nil, fmt.Errorf("%s: category %q: name is required", categoriesFile, c.Code)
		case seen[c.Code]:
			return nil, fmt.Errorf("%s: category %q: code listed twice", categoriesFile, c.Code)
		case c.Complexity != ComplexitySimple && c.Complexity != ComplexityComplex:
			return nil, fmt.Errorf("%s: category %q: complexity %q is not simple or complex", categoriesFile, c.Code, c.Complexity)
		}
		seen[c.Code] = true
		cat := Category{Code: c.Code, Name: c.Name, Complexity: c.Complexity}
		where := func(key string) string {
			return fmt.Sprintf("%s: category %q: limits.%s", categoriesFile, c.Code, key)
		}
		var err error
		if cat.Limits.Accept, err = parseLimit(where("accept"), c.Limits.Accept); err != nil {
			return nil, err
		}
		if cat.Limits.Claim, err = parseLimit(where("claim"), c.Limits.Claim); err != nil {
			return nil, err
		}
		if cat.Limits.Respond, err = parseLimit(where("respond"), c.Limits.Respond); err != nil {
			return nil, err
		}
		if cat.Limits.Evaluate, err = parseLimit(where("evaluate"), c.Limits.Evaluate); err != nil {
			return nil, err
		}
		out = append(out, cat)
	}
	return out, nil
}

func loadLeadLimits(fsys fs.FS) (LeadLimits, error) {
	var f struct {
		Register       string `yaml:"register"`
		Decide         string `yaml:"decide"`
		Verify         string `yaml:"verify"`
		Feedback       string `yaml:"feedback"`
		RectifyMaxDays int    `yaml:"rectify_max_days"`
	}
	if err := decodeFile(fsys, leadsFile, &f); err != nil {
		return LeadLimits{}, err
	}
	var l LeadLimits
	var err error
	where := func(key string) string { return leadsFile + ": " + key }
	if l.Register, err = parseLimit(where("register"), f.Register); err != nil {
		return LeadLimits{}, err
	}
	if l.Decide, err = parseLimit(where("decide"), f.Decide); err != nil {
		return LeadLimits{}, err
	}
	if l.Verify, err = parseLimit(where("verify"), f.Verify); err != nil {
		return LeadLimits{}, err
	}
	if l.Feedback, err = parseLimit(where("feedback"), f.Feedback); err != nil {
		return LeadLimits{}, err
	}
	if f.RectifyMaxDays <= 0 {
		return LeadLimits{}, fmt.Errorf("%s: rectify_max_days: must be greater than zero, got %d", leadsFile, f.RectifyMaxDays)
	}
	l.RectifyMaxDays = f.RectifyMaxDays
	return l, nil
}

func loadCalendar(fsys fs.FS) ([]workflow.CalendarYear, error) {
	var f struct {
		Years []workflow.CalendarYear `yaml:"years"`
	}
	if err := decodeFile(fsys, calendarFile, &f); err != nil {
		return nil, err
	}
	for _, y := range f.Years {
		if strings.TrimSpace(y.Source) == "" {
			return nil, fmt.Errorf("%s: calendar year %d: source is required", calendarFile, y.Year)
		}
	}
	// NewCalendar checks the dates; its errors name the year and date.
	if _, err := workflow.NewCalendar(nil, f.Years); err != nil {
		return nil, fmt.Errorf("%s: %w", calendarFile, err)
	}
	return f.Years, nil
}

func loadInteractionRules(fsys fs.FS) ([]InteractionRule, error) {
	var f struct {
		Rules []InteractionRule `yaml:"rules"`
	}
	if err := decodeFile(fsys, interactionsFile, &f); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(f.Rules))
	for i, r := range f.Rules {
		switch {
		case r.Code == "":
			return nil, fmt.Errorf("%s: rules[%d] (%s): code is required", interactionsFile, i, r.Title)
		case seen[r.Code]:
			return nil, fmt.Errorf("%s: rule %q: code listed twice", interactionsFile, r.Code)
		case r.List != ListPositive && r.List != ListNegative && r.List != ListAdvocacy:
			return nil, fmt.Errorf("%s: rule %q: list %q is not positive, negative or advocacy", interactionsFile, r.Code, r.List)
		case strings.TrimSpace(r.Title) == "":
			return nil, fmt.Errorf("%s: rule %q: title is required", interactionsFile, r.Code)
		}
		seen[r.Code] = true
	}
	return f.Rules, nil
}

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
	defaultRPS            = 20
	defaultRequestTimeout = 10 * time.Second
	defaultLogLevel       = "info"
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
		RateLimit:       RateLimit{RPS: defaultRPS, Burst: defaultBurst(defaultRPS)},
		DueSoon:         workflow.Limit{WorkingDays: 1},
		RequestTimeout:  defaultRequestTimeout,
		LogLevel:        defaultLogLevel,
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
	RateLimit     *struct {
		RPS   float64 `yaml:"rps"`
		Burst int     `yaml:"burst"`
	} `yaml:"rate_limit"`
	DemoLimit      string   `yaml:"demo_limit"`
	DueSoon        string   `yaml:"due_soon"`
	RequestTimeout string   `yaml:"request_timeout"`
	TrustedProxies []string `yaml:"trusted_proxies"`
	LogLevel       string   `yaml:"log_level"`
	Webhooks       []struct {
		URL    string   `yaml:"url"`
		Secret string   `yaml:"secret"`
		Events []string `yaml:"events"`
	} `yaml:"webhooks"`
	Pprof bool `yaml:"pprof"`
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
	} {
		if err := setDuration(d.dst, d.key, d.val); err != nil {
			return err
		}
	}
	if err := setDurationOrZero(&c.CredentialCache, "credential_cache", f.CredCache); err != nil {
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
	return nil
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
	case c.DB.Driver != DriverSQLite && c.DB.Driver != DriverMySQL:
		return fmt.Errorf("db.driver (QINQING_DB_DRIVER): %q is not sqlite or mysql", c.DB.Driver)
	case c.DB.Driver == DriverMySQL && c.DB.DSN == "":
		return errors.New("db.dsn (QINQING_DB_DSN) is required when db.driver is mysql")
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

// LeadLimits returns the lead limits to use: l, or DemoLimit for every step
// when that is set. RectifyMaxDays is kept; use EffectiveLimit for the
// rectification period set at decision.
func (c Config) LeadLimits(l LeadLimits) LeadLimits {
	if c.DemoLimit.IsZero() {
		return l
	}
	d := c.DemoLimit
	return LeadLimits{Register: d, Decide: d, Verify: d, Feedback: d, RectifyMaxDays: l.RectifyMaxDays}
}

// EffectiveLimit returns l, or DemoLimit when that is set. Use it for limits
// that are not in the reference data, such as an approved extension or the
// rectification period set at decision.
func (c Config) EffectiveLimit(l workflow.Limit) workflow.Limit {
	if c.DemoLimit.IsZero() {
		return l
	}
	return c.DemoLimit
}
