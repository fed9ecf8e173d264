package configs

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"qinqing/workflow"
)

// env returns a lookup function over m, as os.LookupEnv would behave.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

const wantSQLiteDSN = "file:data/qinqing.db?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load("", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, ":8080"},
		{"DataDir", c.DataDir, "data"},
		{"DB.Driver", c.DB.Driver, "sqlite"},
		{"DB.DSN", c.DB.DSN, wantSQLiteDSN},
		{"DB.MaxOpenConns", c.DB.MaxOpenConns, 0},
		{"AdminPassword", c.AdminPassword, ""},
		{"JWTSecret", c.JWTSecret, ""},
		{"TokenTTL", c.TokenTTL, 15 * time.Minute},
		{"ScanInterval", c.ScanInterval, time.Minute},
		{"RateLimit", c.RateLimit, RateLimit{RPS: 20, Burst: 40}},
		{"DemoLimit", c.DemoLimit, workflow.Limit{}},
		{"DueSoon", c.DueSoon, workflow.Limit{WorkingDays: 1}},
		{"RequestTimeout", c.RequestTimeout, 10 * time.Second},
		{"TrustedProxies", len(c.TrustedProxies), 0},
		{"LogLevel", c.LogLevel, "info"},
		{"Webhooks", len(c.Webhooks), 0},
		{"Pprof", c.Pprof, false},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

// The embedded config.yaml and the built-in defaults must agree, so that a
// config file leaving a key out behaves like the shipped one.
func TestEmbeddedConfigMatchesDefaults(t *testing.T) {
	t.Parallel()
	fromFile, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	fromEmpty, err := load("empty.yaml", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fromFile.Addr != fromEmpty.Addr || fromFile.DB != fromEmpty.DB || fromFile.TokenTTL != fromEmpty.TokenTTL ||
		fromFile.ScanInterval != fromEmpty.ScanInterval || fromFile.RateLimit != fromEmpty.RateLimit ||
		fromFile.DueSoon != fromEmpty.DueSoon || fromFile.RequestTimeout != fromEmpty.RequestTimeout ||
		fromFile.LogLevel != fromEmpty.LogLevel || fromFile.DemoLimit != fromEmpty.DemoLimit {
		t.Errorf("embedded config.yaml = %+v, built-in defaults = %+v", fromFile, fromEmpty)
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "qinqing.yaml")
	yaml := `
addr: "127.0.0.1:9090"
data_dir: /var/lib/qinqing
db:
  driver: mysql
  dsn: "qq:secret@tcp(db:3306)/qinqing?charset=utf8mb4&parseTime=true"
  max_open_conns: 50
jwt_secret: file-secret
token_ttl: 30m
scan_interval: 5s
rate_limit: {rps: 5}
demo_limit: 2s
due_soon: 4h
request_timeout: 3s
trusted_proxies: [10.0.0.1, 192.168.0.0/16]
log_level: DEBUG
webhooks:
  - url: https://hooks.example.cn/qq
    secret: s3cret
    events: [overdue, supervise]
pprof: true
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, "127.0.0.1:9090"},
		{"DataDir", c.DataDir, "/var/lib/qinqing"},
		{"DB", c.DB, DBConfig{Driver: "mysql", DSN: "qq:secret@tcp(db:3306)/qinqing?charset=utf8mb4&parseTime=true", MaxOpenConns: 50}},
		{"JWTSecret", c.JWTSecret, "file-secret"},
		{"TokenTTL", c.TokenTTL, 30 * time.Minute},
		{"ScanInterval", c.ScanInterval, 5 * time.Second},
		{"RateLimit", c.RateLimit, RateLimit{RPS: 5, Burst: 10}},
		{"DemoLimit", c.DemoLimit, workflow.Limit{Duration: 2 * time.Second}},
		{"DueSoon", c.DueSoon, workflow.Limit{Duration: 4 * time.Hour}},
		{"RequestTimeout", c.RequestTimeout, 3 * time.Second},
		{"TrustedProxies", strings.Join(c.TrustedProxies, ","), "10.0.0.1,192.168.0.0/16"},
		{"LogLevel", c.LogLevel, "debug"},
		{"Webhooks", len(c.Webhooks), 1},
		{"Pprof", c.Pprof, true},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if len(c.Webhooks) == 1 {
		w := c.Webhooks[0]
		if w.URL != "https://hooks.example.cn/qq" || w.Secret != "s3cret" || !slices.Equal(w.Events, []string{"overdue", "supervise"}) {
			t.Errorf("Webhooks[0] = %+v", w)
		}
	}
}

func TestLoadPartialFileKeepsDefaults(t *testing.T) {
	t.Parallel()
	c, err := load("partial.yaml", []byte("data_dir: /srv/qq\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.DB.DSN, "file:/srv/qq/qinqing.db?"; !strings.HasPrefix(got, want) {
		t.Errorf("DB.DSN = %q, want prefix %q", got, want)
	}
	if got, want := c.RateLimit, (RateLimit{RPS: 20, Burst: 40}); got != want {
		t.Errorf("RateLimit = %+v, want %+v", got, want)
	}
	c, err = load("off.yaml", []byte("rate_limit: {rps: 0}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.RateLimit.RPS, 0.0; got != want {
		t.Errorf("rate_limit rps 0: RPS = %v, want %v", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "absent.yaml")
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("Load(missing) error = %v, want one naming the file", err)
	}
}

func TestLoadEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		check func(Config) (got, want any)
	}{
		{"ADDR", map[string]string{"QINQING_ADDR": ":0"}, func(c Config) (any, any) { return c.Addr, ":0" }},
		{"DATA_DIR fills the SQLite DSN", map[string]string{"QINQING_DATA_DIR": "/tmp/qq"},
			func(c Config) (any, any) { return strings.HasPrefix(c.DB.DSN, "file:/tmp/qq/qinqing.db?"), true }},
		{"DB_DRIVER and DB_DSN", map[string]string{"QINQING_DB_DRIVER": "mysql", "QINQING_DB_DSN": "u:p@tcp(h)/d"},
			func(c Config) (any, any) { return c.DB, DBConfig{Driver: "mysql", DSN: "u:p@tcp(h)/d"} }},
		{"DB_DSN for sqlite is kept", map[string]string{"QINQING_DB_DSN": "file:x.db"},
			func(c Config) (any, any) { return c.DB.DSN, "file:x.db" }},
		{"DB_MAX_OPEN_CONNS", map[string]string{"QINQING_DB_MAX_OPEN_CONNS": "8"},
			func(c Config) (any, any) { return c.DB.MaxOpenConns, 8 }},
		{"ADMIN_PASSWORD", map[string]string{"QINQING_ADMIN_PASSWORD": "密码🔑"},
			func(c Config) (any, any) { return c.AdminPassword, "密码🔑" }},
		{"JWT_SECRET", map[string]string{"QINQING_JWT_SECRET": "k"}, func(c Config) (any, any) { return c.JWTSecret, "k" }},
		{"TOKEN_TTL", map[string]string{"QINQING_TOKEN_TTL": "1h"}, func(c Config) (any, any) { return c.TokenTTL, time.Hour }},
		{"SCAN_INTERVAL", map[string]string{"QINQING_SCAN_INTERVAL": "200ms"},
			func(c Config) (any, any) { return c.ScanInterval, 200 * time.Millisecond }},
		{"RATE_LIMIT rps only", map[string]string{"QINQING_RATE_LIMIT": "20"},
			func(c Config) (any, any) { return c.RateLimit, RateLimit{RPS: 20, Burst: 40} }},
		{"RATE_LIMIT rps and burst", map[string]string{"QINQING_RATE_LIMIT": "20:50"},
			func(c Config) (any, any) { return c.RateLimit, RateLimit{RPS: 20, Burst: 50} }},
		{"RATE_LIMIT fractional", map[string]string{"QINQING_RATE_LIMIT": "0.2"},
			func(c Config) (any, any) { return c.RateLimit, RateLimit{RPS: 0.2, Burst: 1} }},
		{"RATE_LIMIT off", map[string]string{"QINQING_RATE_LIMIT": "0"},
			func(c Config) (any, any) { return c.RateLimit, RateLimit{} }},
		{"DEMO_LIMIT", map[string]string{"QINQING_DEMO_LIMIT": "2s"},
			func(c Config) (any, any) { return c.DemoLimit, workflow.Limit{Duration: 2 * time.Second} }},
		{"DUE_SOON", map[string]string{"QINQING_DUE_SOON": "2wd"},
			func(c Config) (any, any) { return c.DueSoon, workflow.Limit{WorkingDays: 2} }},
		{"REQUEST_TIMEOUT", map[string]string{"QINQING_REQUEST_TIMEOUT": "30s"},
			func(c Config) (any, any) { return c.RequestTimeout, 30 * time.Second }},
		{"LOG_LEVEL", map[string]string{"QINQING_LOG_LEVEL": "warn"}, func(c Config) (any, any) { return c.LogLevel, "warn" }},
		{"TRUSTED_PROXIES", map[string]string{"QINQING_TRUSTED_PROXIES": "10.0.0.1, 172.16.0.0/12,,::1"},
			func(c Config) (any, any) { return strings.Join(c.TrustedProxies, "|"), "10.0.0.1|172.16.0.0/12|::1" }},
		{"PPROF", map[string]string{"QINQING_PPROF": "true"}, func(c Config) (any, any) { return c.Pprof, true }},
		{"empty value is ignored", map[string]string{"QINQING_ADDR": "", "QINQING_TOKEN_TTL": " "},
			func(c Config) (any, any) { return c.Addr + " " + c.TokenTTL.String(), ":8080 15m0s" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load("", env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got, want := tt.check(c); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestLoadEnvOverridesFile(t *testing.T) {
	t.Parallel()
	c, err := load("f.yaml", []byte("addr: \":1\"\ntoken_ttl: 1m\n"), env(map[string]string{"QINQING_ADDR": ":2", "QINQING_TOKEN_TTL": "2m"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":2" || c.TokenTTL != 2*time.Minute {
		t.Errorf("Addr, TokenTTL = %q, %v, want \":2\", 2m", c.Addr, c.TokenTTL)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want string // the key or variable the error must name
	}{
		{"unknown key", "adress: \":80\"\n", nil, "adress"},
		{"unknown nested key", "db:\n  drivr: mysql\n", nil, "drivr"},
		{"bad token_ttl", "token_ttl: soon\n", nil, "token_ttl"},
		{"zero scan_interval", "scan_interval: 0s\n", nil, "scan_interval"},
		{"negative request_timeout", "request_timeout: -1s\n", nil, "request_timeout"},
		{"bad demo_limit", "demo_limit: 0wd\n", nil, "demo_limit"},
		{"bad due_soon", "due_soon: tomorrow\n", nil, "due_soon"},
		{"bad driver", "db: {driver: postgres}\n", nil, "db.driver"},
		{"mysql without DSN", "db: {driver: mysql}\n", nil, "db.dsn"},
		{"negative max_open_conns", "db: {max_open_conns: -1}\n", nil, "db.max_open_conns"},
		{"negative rps", "rate_limit: {rps: -1}\n", nil, "rate_limit.rps"},
		{"negative burst", "rate_limit: {rps: 1, burst: -1}\n", nil, "rate_limit.burst"},
		{"bad log_level", "log_level: loud\n", nil, "log_level"},
		{"bad trusted proxy", "trusted_proxies: [nginx]\n", nil, "trusted_proxies[0]"},
		{"webhook without scheme", "webhooks: [{url: example.cn/x, secret: s}]\n", nil, "webhooks[0].url"},
		{"webhook without secret", "webhooks: [{url: 'https://example.cn/x'}]\n", nil, "webhooks[0].secret"},
		{"webhook unknown key", "webhooks: [{url: 'https://example.cn/x', secret: s, event: [x]}]\n", nil, "event"},
		{"not YAML", "addr: [\n", nil, "f.yaml"},
		{"env TOKEN_TTL", "", map[string]string{"QINQING_TOKEN_TTL": "15"}, "QINQING_TOKEN_TTL"},
		{"env SCAN_INTERVAL zero", "", map[string]string{"QINQING_SCAN_INTERVAL": "0s"}, "QINQING_SCAN_INTERVAL"},
		{"env REQUEST_TIMEOUT", "", map[string]string{"QINQING_REQUEST_TIMEOUT": "x"}, "QINQING_REQUEST_TIMEOUT"},
		{"env RATE_LIMIT word", "", map[string]string{"QINQING_RATE_LIMIT": "fast"}, "QINQING_RATE_LIMIT"},
		{"env RATE_LIMIT negative", "", map[string]string{"QINQING_RATE_LIMIT": "-1"}, "QINQING_RATE_LIMIT"},
		{"env RATE_LIMIT bad burst", "", map[string]string{"QINQING_RATE_LIMIT": "20:0"}, "QINQING_RATE_LIMIT"},
		{"env RATE_LIMIT NaN", "", map[string]string{"QINQING_RATE_LIMIT": "NaN"}, "QINQING_RATE_LIMIT"},
		{"env DEMO_LIMIT", "", map[string]string{"QINQING_DEMO_LIMIT": "-2s"}, "QINQING_DEMO_LIMIT"},
		{"env DUE_SOON", "", map[string]string{"QINQING_DUE_SOON": "1w"}, "QINQING_DUE_SOON"},
		{"env DB_DRIVER", "", map[string]string{"QINQING_DB_DRIVER": "oracle"}, "QINQING_DB_DRIVER"},
		{"env mysql without DSN", "", map[string]string{"QINQING_DB_DRIVER": "mysql"}, "QINQING_DB_DSN"},
		{"env DB_MAX_OPEN_CONNS", "", map[string]string{"QINQING_DB_MAX_OPEN_CONNS": "many"}, "QINQING_DB_MAX_OPEN_CONNS"},
		{"env LOG_LEVEL", "", map[string]string{"QINQING_LOG_LEVEL": "trace"}, "QINQING_LOG_LEVEL"},
		{"env TRUSTED_PROXIES", "", map[string]string{"QINQING_TRUSTED_PROXIES": "10.0.0.1,proxy"}, "QINQING_TRUSTED_PROXIES[1]"},
		{"env PPROF", "", map[string]string{"QINQING_PPROF": "maybe"}, "QINQING_PPROF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := load("f.yaml", []byte(tt.yaml), env(tt.env))
			if err == nil {
				t.Fatalf("load succeeded, want an error naming %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func TestConfigLimits(t *testing.T) {
	t.Parallel()
	cat := Category{Code: "policy", Limits: CategoryLimits{
		Accept: workflow.Limit{WorkingDays: 1}, Claim: workflow.Limit{WorkingDays: 1},
		Respond: workflow.Limit{WorkingDays: 5}, Evaluate: workflow.Limit{CalendarDays: 7},
	}}
	lead := LeadLimits{Register: workflow.Limit{WorkingDays: 5}, Decide: workflow.Limit{Months: 1},
		Verify: workflow.Limit{WorkingDays: 10}, Feedback: workflow.Limit{WorkingDays: 15}, RectifyMaxDays: 60,
		InquiryReply: workflow.Limit{WorkingDays: 15}, InquiryConclude: workflow.Limit{WorkingDays: 10}}
	// Steps names each limit by the workflow step it bounds.
	for _, c := range []struct {
		got  map[string]workflow.Limit
		want map[string]workflow.Limit
	}{
		{cat.Limits.Steps(), map[string]workflow.Limit{"accept": cat.Limits.Accept, "claim": cat.Limits.Claim,
			"respond": cat.Limits.Respond, "evaluate": cat.Limits.Evaluate}},
		{lead.Steps(), map[string]workflow.Limit{"register": lead.Register, "decide": lead.Decide, "verify": lead.Verify,
			"inquiry_reply": lead.InquiryReply, "inquiry_conclude": lead.InquiryConclude, "feedback": lead.Feedback}},
	} {
		if !maps.Equal(c.got, c.want) {
			t.Errorf("Steps() = %v, want %v", c.got, c.want)
		}
	}

	var plain Config
	if got := plain.Limits(cat); got != cat.Limits {
		t.Errorf("Limits without demo = %+v, want %+v", got, cat.Limits)
	}

	demo := Config{DemoLimit: workflow.Limit{Duration: 2 * time.Second}}
	d := demo.DemoLimit
	if got, want := demo.Limits(cat), (CategoryLimits{d, d, d, d}); got != want {
		t.Errorf("Limits with demo = %+v, want %+v", got, want)
	}
}

func TestLoadReference(t *testing.T) {
	t.Parallel()
	ref, err := LoadReference()
	if err != nil {
		t.Fatalf("LoadReference: %v", err)
	}
	levels := map[string]int{}
	byCode := map[string]Region{}
	for _, r := range ref.Regions {
		levels[r.Level]++
		byCode[r.Code] = r
	}
	counts := []struct {
		name      string
		got, want int
	}{
		{"regions", len(ref.Regions), 28},
		{"city", levels[LevelCity], 1},
		{"counties", levels[LevelCounty], 10},
		{"zones", levels[LevelZone], 2},
		{"towns", levels[LevelTown], 15},
		{"departments", len(ref.Departments), 26},
		{"categories", len(ref.Categories), 8},
		{"aliases", len(ref.RegionAliases), 2},
		{"calendar years", len(ref.Calendar), 3},
	}
	for _, c := range counts {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for _, r := range ref.Regions {
		if r.Level != LevelTown {
			continue
		}
		if p := byCode[r.ParentCode]; p.Level != LevelCounty {
			t.Errorf("town %s %s: parent %q is %q, want a county", r.Code, r.Name, r.ParentCode, p.Level)
		}
		if !strings.HasPrefix(r.Code, r.ParentCode+"-T") {
			t.Errorf("town %s: want a placeholder code under its parent %s", r.Code, r.ParentCode)
		}
	}
	wantNames := map[string]string{"330200": "宁波市", "330203": "海曙区", "330212": "鄞州区", "330282": "慈溪市",
		"3302QW": "前湾新区", "3302GX": "高新区"}
	for code, name := range wantNames {
		if got := byCode[code].Name; got != name {
			t.Errorf("region %s name = %q, want %q", code, got, name)
		}
	}
	for _, z := range []string{"3302QW", "3302GX"} {
		if got := byCode[z]; got.Level != LevelZone || got.ParentCode != "330200" {
			t.Errorf("zone %s = %+v, want level zone under 330200", z, got)
		}
	}
	if got, want := ref.RegionAliases["330204"], "330212"; got != want {
		t.Errorf("alias 330204 → %q, want %q", got, want)
	}
	if got, want := ref.RegionAliases["330283"], "330213"; got != want {
		t.Errorf("alias 330283 → %q, want %q", got, want)
	}
	deptCodes := map[string]string{}
	for _, d := range ref.Departments {
		deptCodes[d.Code] = d.Name
	}
	// Departments the indicator tree (docs/index-method.md#sample-tree) names as submitters.
	for _, code := range []string{"tjj", "scjg", "kjj", "jxj", "fy", "dsj", "sw", "rsj", "tzb", "gsl", "sfj", "jw", "fgw", "jcy"} {
		if _, ok := deptCodes[code]; !ok {
			t.Errorf("department %q missing", code)
		}
	}
	if got, want := deptCodes["scjg"], "市市场监管局"; got != want {
		t.Errorf("department scjg = %q, want %q", got, want)
	}
}

func TestReferenceCategories(t *testing.T) {
	t.Parallel()
	ref, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ref.Categories {
		want := workflow.Limit{WorkingDays: 5}
		if c.Complexity == ComplexityComplex {
			want = workflow.Limit{WorkingDays: 15}
		}
		if c.Limits.Respond != want {
			t.Errorf("category %s (%s): respond = %v, want %v", c.Code, c.Complexity, c.Limits.Respond, want)
		}
		if got, want := c.Limits.Accept, (workflow.Limit{WorkingDays: 1}); got != want {
			t.Errorf("category %s: accept = %v, want %v", c.Code, got, want)
		}
		if got, want := c.Limits.Evaluate, (workflow.Limit{CalendarDays: 7}); got != want {
			t.Errorf("category %s: evaluate = %v, want %v", c.Code, got, want)
		}
	}
	c, ok := ref.Category("approval")
	if !ok || c.Name != "审批服务" || c.Complexity != ComplexityComplex {
		t.Errorf("Category(approval) = %+v, %v", c, ok)
	}
	if _, ok := ref.Category("nope"); ok {
		t.Errorf("Category(nope) found")
	}
	want := LeadLimits{Register: workflow.Limit{WorkingDays: 5}, Decide: workflow.Limit{Months: 1},
		Verify: workflow.Limit{WorkingDays: 10}, Feedback: workflow.Limit{WorkingDays: 15}, RectifyMaxDays: 60,
		InquiryReply: workflow.Limit{WorkingDays: 15}, InquiryConclude: workflow.Limit{WorkingDays: 10},
		Approval: []string{"no_issue", "shelved"}, ToleranceMinMembers: 3}
	if !reflect.DeepEqual(ref.LeadLimits, want) {
		t.Errorf("LeadLimits = %+v, want %+v", ref.LeadLimits, want)
	}
	if c := ref.Consultations; c.AgendaDays != 5 || c.CommonMinEnterprises != 2 {
		t.Errorf("Consultations = %+v", c)
	}
}

func TestReferenceInteractionRules(t *testing.T) {
	t.Parallel()
	ref, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string]int{}
	for _, r := range ref.InteractionRules {
		lists[r.List]++
		if prefix := map[string]string{ListPositive: "P", ListNegative: "N", ListAdvocacy: "A"}[r.List]; !strings.HasPrefix(r.Code, prefix) {
			t.Errorf("rule %s on list %s: want code prefix %s", r.Code, r.List, prefix)
		}
	}
	for _, l := range []string{ListPositive, ListNegative, ListAdvocacy} {
		if lists[l] < 5 {
			t.Errorf("list %s has %d items, want at least 5", l, lists[l])
		}
	}
}

func TestReferenceCalendar(t *testing.T) {
	t.Parallel()
	ref, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	cal, err := workflow.NewCalendar(nil, ref.Calendar)
	if err != nil {
		t.Fatal(err)
	}
	cst := cal.Location()
	days := []struct {
		y, m, d int
		want    bool
	}{
		{2026, 2, 14, true}, {2026, 2, 16, false}, {2026, 2, 28, true}, {2026, 9, 20, true}, {2026, 10, 10, true},
		{2026, 10, 1, false}, {2025, 10, 8, false}, {2025, 10, 11, true}, {2025, 1, 26, true},
	}
	for _, d := range days {
		if got := cal.IsWorkday(time.Date(d.y, time.Month(d.m), d.d, 12, 0, 0, 0, cst)); got != d.want {
			t.Errorf("IsWorkday(%d-%02d-%02d) = %v, want %v", d.y, d.m, d.d, got, d.want)
		}
	}
	due := cal.Due(time.Date(2026, 9, 18, 10, 0, 0, 0, cst), workflow.Limit{WorkingDays: 5})
	if got, want := due.In(cst).Format(time.RFC3339), "2026-09-24T23:59:59+08:00"; got != want {
		t.Errorf("Due(09-18 +5wd) = %s, want %s", got, want)
	}
	if got, want := cal.UnpublishedYears(time.Date(2026, 11, 25, 9, 0, 0, 0, cst)), []int{2027}; !slices.Equal(got, want) {
		t.Errorf("UnpublishedYears(2026-11-25) = %v, want %v", got, want)
	}
	for _, y := range ref.Calendar {
		if y.Source == "" {
			t.Errorf("calendar year %d has no source", y.Year)
		}
	}
}

// brokenFS returns the embedded reference files with file name replaced.
func brokenFS(t *testing.T, name, content string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	for _, f := range []string{regionsFile, departmentsFile, categoriesFile, leadsFile, calendarFile, interactionsFile, dispatchFile, meetingsFile} {
		b, err := files.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m[f] = &fstest.MapFile{Data: b}
	}
	m[name] = &fstest.MapFile{Data: []byte(content)}
	return m
}

func TestLoadReferenceErrors(t *testing.T) {
	t.Parallel()
	const root = "regions:\n  - {code: \"330200\", name: 宁波市, level: city, parent_code: \"\"}\n"
	const cat = "categories:\n  - code: policy\n    name: 政策咨询\n    complexity: simple\n"
	tests := []struct {
		name, file, content string
		want                []string // substrings the error must contain
	}{
		{"duplicate region", regionsFile, root + "  - {code: \"330200\", name: 又一个, level: city, parent_code: \"\"}\n",
			[]string{regionsFile, "330200", "twice"}},
		{"missing parent", regionsFile, root + "  - {code: \"330299\", name: 某区, level: county, parent_code: \"330100\"}\n",
			[]string{regionsFile, "330299", "330100"}},
		{"two roots", regionsFile, root + "  - {code: \"330100\", name: 杭州市, level: city, parent_code: \"\"}\n",
			[]string{regionsFile, "one root"}},
		{"no root", regionsFile, "regions:\n  - {code: \"A\", name: 甲, level: county, parent_code: \"B\"}\n  - {code: \"B\", name: 乙, level: county, parent_code: \"A\"}\n",
			[]string{regionsFile, "\"A\""}},
		{"bad level", regionsFile, root + "  - {code: \"330203\", name: 海曙区, level: district, parent_code: \"330200\"}\n",
			[]string{regionsFile, "330203", "district"}},
		{"town under the city", regionsFile, root + "  - {code: \"330200-T01\", name: 某镇, level: town, parent_code: \"330200\"}\n  - {code: \"330203\", name: 海曙区, level: county, parent_code: \"330200-T01\"}\n",
			[]string{regionsFile, "330203"}},
		{"alias to nowhere", regionsFile, root + "aliases: {\"330204\": \"330212\"}\n",
			[]string{regionsFile, "330204", "330212"}},
		{"alias shadows a unit", regionsFile, root + "aliases: {\"330200\": \"330200\"}\n",
			[]string{regionsFile, "330200"}},
		{"unknown region key", regionsFile, "regions:\n  - {code: \"330200\", name: 宁波市, level: city, parent: \"\"}\n",
			[]string{regionsFile, "parent"}},
		{"duplicate department", departmentsFile, "departments:\n  - {code: scjg, name: 市市场监管局}\n  - {code: scjg, name: 又一个}\n",
			[]string{departmentsFile, "scjg"}},
		{"department without name", departmentsFile, "departments:\n  - {code: scjg}\n",
			[]string{departmentsFile, "scjg", "name"}},
		{"empty departments file", departmentsFile, "", []string{departmentsFile, "empty"}},
		{"category missing a limit", categoriesFile, cat + "    limits: {accept: 1wd, claim: 1wd, respond: 5wd}\n",
			[]string{categoriesFile, "policy", "evaluate"}},
		{"category zero limit", categoriesFile, cat + "    limits: {accept: 0wd, claim: 1wd, respond: 5wd, evaluate: 7d}\n",
			[]string{categoriesFile, "policy", "accept"}},
		{"category bad limit", categoriesFile, cat + "    limits: {accept: 1wd, claim: 1wd, respond: soon, evaluate: 7d}\n",
			[]string{categoriesFile, "policy", "respond"}},
		{"category bad complexity", categoriesFile, "categories:\n  - {code: x, name: 某类, complexity: hard, limits: {accept: 1wd, claim: 1wd, respond: 5wd, evaluate: 7d}}\n",
			[]string{categoriesFile, "\"x\"", "hard"}},
		{"duplicate category", categoriesFile, "categories:\n  - {code: x, name: 甲, complexity: simple, limits: {accept: 1wd, claim: 1wd, respond: 5wd, evaluate: 7d}}\n  - {code: x, name: 乙, complexity: simple, limits: {accept: 1wd, claim: 1wd, respond: 5wd, evaluate: 7d}}\n",
			[]string{categoriesFile, "\"x\"", "twice"}},
		{"lead limit missing", leadsFile, "register: 5wd\ndecide: 1mo\nverify: 10wd\nrectify_max_days: 60\n",
			[]string{leadsFile, "feedback"}},
		{"lead inquiry limit missing", leadsFile, "register: 5wd\ndecide: 1mo\nverify: 10wd\nfeedback: 15wd\ninquiry_reply: 15wd\nrectify_max_days: 60\n",
			[]string{leadsFile, "inquiry_conclude"}},
		{"lead rectify days", leadsFile, "register: 5wd\ndecide: 1mo\nverify: 10wd\nfeedback: 15wd\ninquiry_reply: 15wd\ninquiry_conclude: 10wd\nrectify_max_days: 0\n",
			[]string{leadsFile, "rectify_max_days"}},
		{"lead approval of an unknown disposal", leadsFile, "register: 5wd\ndecide: 1mo\nverify: 10wd\nfeedback: 15wd\ninquiry_reply: 15wd\ninquiry_conclude: 10wd\nrectify_max_days: 60\napproval: [no_issue, warning]\n",
			[]string{leadsFile, "approval", "warning"}},
		{"consultation agenda days", meetingsFile, "agenda_days: -1\ncommon_issue_min_enterprises: 2\n", []string{meetingsFile, "agenda_days"}},
		{"consultation common issue of one", meetingsFile, "agenda_days: 5\ncommon_issue_min_enterprises: 1\n", []string{meetingsFile, "common_issue_min_enterprises"}},
		{"consultation unknown key", meetingsFile, "agenda_days: 5\ncommon_issue_min_enterprises: 2\nquorum: 3\n", []string{meetingsFile, "quorum"}},
		{"tolerance quorum of one", leadsFile, "register: 5wd\ndecide: 1mo\nverify: 10wd\nfeedback: 15wd\ninquiry_reply: 15wd\ninquiry_conclude: 10wd\nrectify_max_days: 60\ntolerance_min_members: 1\n",
			[]string{leadsFile, "tolerance_min_members"}},
		{"calendar holiday and workday", calendarFile, "years:\n  - {year: 2026, published: true, source: x, holidays: [\"2026-02-14\"], workdays: [\"2026-02-14\"]}\n",
			[]string{calendarFile, "2026-02-14"}},
		{"calendar date outside year", calendarFile, "years:\n  - {year: 2026, published: true, source: x, holidays: [\"2027-01-01\"]}\n",
			[]string{calendarFile, "2027-01-01"}},
		{"calendar without source", calendarFile, "years:\n  - {year: 2026, published: true}\n",
			[]string{calendarFile, "2026", "source"}},
		{"rule on an unknown list", interactionsFile, "rules:\n  - {code: X01, list: neutral, title: 某条}\n",
			[]string{interactionsFile, "X01", "neutral"}},
		{"dispatch to an unknown department", dispatchFile, "dispatch:\n  - {category: policy, department_code: nope, unit: county}\n",
			[]string{dispatchFile, "policy", "nope"}},
		{"dispatch of an unknown category", dispatchFile, "dispatch:\n  - {category: nope, department_code: fgw, unit: county}\n",
			[]string{dispatchFile, "nope"}},
		{"dispatch to an unknown level", dispatchFile, "dispatch:\n  - {category: policy, department_code: fgw, unit: town}\n",
			[]string{dispatchFile, "policy", "town"}},
		{"dispatch in an unknown region", dispatchFile, "dispatch:\n  - {category: policy, department_code: fgw, unit: county, region_code: \"999999\"}\n",
			[]string{dispatchFile, "999999"}},
		{"dispatch twice for a region", dispatchFile, "dispatch:\n  - {category: policy, department_code: fgw, unit: county}\n  - {category: policy, department_code: jxj, unit: city}\n",
			[]string{dispatchFile, "policy", "second"}},
		{"duplicate rule", interactionsFile, "rules:\n  - {code: N01, list: negative, title: 甲}\n  - {code: N01, list: negative, title: 乙}\n",
			[]string{interactionsFile, "N01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadReference(brokenFS(t, tt.file, tt.content))
			if err == nil {
				t.Fatalf("loadReference succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// The broken-file harness itself must load cleanly when nothing is broken.
func TestLoadReferenceFromFS(t *testing.T) {
	t.Parallel()
	b, err := files.ReadFile(leadsFile)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := loadReference(brokenFS(t, leadsFile, string(b)))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(ref.RegionAliases, embedded.RegionAliases) || len(ref.Regions) != len(embedded.Regions) {
		t.Errorf("loadReference(copy) differs from LoadReference")
	}
}

// TestFilesStoreURL: without files.store the attachments go to the folder
// files under the data directory, made the owner's alone even when it
// existed with wider modes; a store URL is taken as given.
func TestFilesStoreURL(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	u, err := Files{}.StoreURL(dir)
	if err != nil || !strings.HasPrefix(u, "file://") || !strings.Contains(u, filepath.ToSlash(filepath.Join(dir, "files"))) {
		t.Fatalf("StoreURL = %q, %v", u, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "files")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("files folder mode %v, %v", fi.Mode().Perm(), err)
	}
	if u, _ := (Files{Store: "s3://b?region=x"}).StoreURL(dir); u != "s3://b?region=x" {
		t.Errorf("StoreURL with a store = %q", u)
	}
}

// TestFilesSettings: files.* from the file and QINQING_FILES_* from the
// environment; a size that is not a positive number of bytes is refused,
// naming the variable.
func TestFilesSettings(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := load("t.yaml", []byte("files:\n  store: file:///srv/f\n  max_size: 1024\n  orphan_ttl: 2h\n"), nil)
	if err != nil || c.Files.Store != "file:///srv/f" || c.Files.MaxSize != 1024 || c.Files.OrphanTTL != 2*time.Hour {
		t.Fatalf("from the file: %+v %v", c.Files, err)
	}
	c, err = load("t.yaml", nil, env(map[string]string{"QINQING_FILES_STORE": "s3://b", "QINQING_FILES_MAX_SIZE": "2048",
		"QINQING_FILES_ORPHAN_TTL": "30m"}))
	if err != nil || c.Files.Store != "s3://b" || c.Files.MaxSize != 2048 || c.Files.OrphanTTL != 30*time.Minute {
		t.Fatalf("from the environment: %+v %v", c.Files, err)
	}
	for _, bad := range []string{"0", "-1", "20MiB"} {
		if _, err := load("t.yaml", nil, env(map[string]string{"QINQING_FILES_MAX_SIZE": bad})); err == nil ||
			!strings.Contains(err.Error(), "QINQING_FILES_MAX_SIZE") {
			t.Errorf("QINQING_FILES_MAX_SIZE=%s: %v", bad, err)
		}
	}
	if _, err := load("t.yaml", []byte("files:\n  orphan_ttl: soon\n"), nil); err == nil || !strings.Contains(err.Error(), "files.orphan_ttl") {
		t.Errorf("orphan_ttl soon: %v", err)
	}
}
