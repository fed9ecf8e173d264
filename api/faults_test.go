package api_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"qinqing/configs"
	"qinqing/model"
)

// Faults: the database goes away under load and comes back.

// TestSQLiteBusyIs503: a write that cannot get SQLite's lock within the
// busy timeout (another process holds it) answers 503 unavailable with
// Retry-After, not 500 and not a hang.
func TestSQLiteBusyIs503(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, "sqlite", nil)
	ts.seed(t)
	tok := ts.login(t, "ent_hs")
	var path string
	if err := ts.db.Raw("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&path).Error; err != nil || path == "" {
		t.Fatalf("database file: %q %v", path, err)
	}
	// Another writer (a second handle on the same file) holds the write lock.
	other, err := model.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)", model.ConnOptions{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	otherDB, _ := other.DB()
	defer otherDB.Close()
	conn, err := otherDB.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := ts.do(t, tok, "POST", "/api/v1/requests", map[string]any{"title": "t", "content": "c", "category": "policy"})
	took := time.Since(start)
	_, _ = conn.ExecContext(t.Context(), "ROLLBACK")
	_ = conn.Close()
	res.wantProblem(http.StatusServiceUnavailable, "unavailable")
	if res.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if took > 8*time.Second {
		t.Errorf("the refused write took %v (busy timeout 5 s)", took)
	}
	t.Logf("busy write answered 503 after %v", took.Round(time.Millisecond))
	ts.do(t, tok, "POST", "/api/v1/requests", map[string]any{"title": "t", "content": "c", "category": "policy"}).want(http.StatusCreated)
}

// mariadb is a private MariaDB server in a temporary data directory, for
// tests that stop and start their database. The shared server on :3306 is
// never touched.
type mariadb struct {
	t    *testing.T
	dir  string
	port int
	cmd  *exec.Cmd
	done chan error
}

func startMariaDB(t *testing.T) *mariadb {
	t.Helper()
	install, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		t.Fatalf("mariadb-install-db not found: %v", err)
	}
	dir := t.TempDir()
	out, err := exec.Command(install, "--no-defaults", "--datadir="+filepath.Join(dir, "data"),
		"--auth-root-authentication-method=normal", "--user=root", "--skip-test-db").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	m := &mariadb{t: t, dir: dir, port: port}
	m.start()
	t.Cleanup(func() {
		if m.cmd != nil {
			m.stop()
		}
	})
	return m
}

func (m *mariadb) start() {
	m.t.Helper()
	bin, err := exec.LookPath("mariadbd")
	if err != nil {
		bin = "/usr/sbin/mariadbd"
	}
	m.cmd = exec.Command(bin, "--no-defaults", "--datadir="+filepath.Join(m.dir, "data"), fmt.Sprintf("--port=%d", m.port),
		"--socket="+filepath.Join(m.dir, "mysqld.sock"), "--user=root", "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--pid-file="+filepath.Join(m.dir, "mysqld.pid"), "--log-error="+filepath.Join(m.dir, "error.log"),
		"--innodb-buffer-pool-size=32M", "--skip-log-bin", "--max-connections=200")
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start mariadbd: %v", err)
	}
	m.done = make(chan error, 1)
	go func(c *exec.Cmd, done chan error) { done <- c.Wait() }(m.cmd, m.done)
	db, _ := sql.Open("mysql", m.dsn(""))
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for db.Ping() != nil {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(m.dir, "error.log"))
			m.t.Fatalf("mariadbd did not come up on :%d\n%s", m.port, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the server to exit.
func (m *mariadb) stop() {
	m.t.Helper()
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(60 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
	m.cmd = nil
}

func (m *mariadb) dsn(db string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s?timeout=2s", m.port, db)
}

type faultAnswer struct {
	start, end time.Time
	status     int
	code       string
	retryAfter string
	id         string
	err        error
}

// TestDatabaseRestart files requests in a loop while the database server is
// stopped for three seconds and started again. During the outage every
// answer is a quick 503 problem (no hang past the request timeout), /readyz
// turns 503 and back to 200, the service recovers without a restart, and
// every request answered 201 is in the database afterwards.
//
// It runs its own MariaDB (mariadb-install-db + mariadbd in a temporary
// directory, on a free port); set QINQING_TEST_FAULTS=1 to run it.
func TestDatabaseRestart(t *testing.T) {
	if os.Getenv("QINQING_TEST_FAULTS") != "1" {
		t.Skip("QINQING_TEST_FAULTS=1 runs the database restart test (it starts its own MariaDB)")
	}
	m := startMariaDB(t)
	t.Setenv("QINQING_TEST_MYSQL_DSN", m.dsn(""))
	const reqTimeout = 3 * time.Second
	ts := newTestServer(t, "mysql", func(c *configs.Config) { c.RequestTimeout = reqTimeout })
	ts.seed(t)
	tok := ts.login(t, "ent_hs")
	client := &http.Client{Timeout: 30 * time.Second}

	file := func(n int) faultAnswer {
		a := faultAnswer{start: time.Now()}
		body, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("故障演练 %d", n), "content": "c", "category": "policy"})
		req, _ := http.NewRequest("POST", ts.url+"/api/v1/requests", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		a.end = time.Now()
		if err != nil {
			a.err = err
			return a
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var v struct{ ID, Code string }
		_ = json.Unmarshal(b, &v)
		a.status, a.code, a.id, a.retryAfter = res.StatusCode, v.Code, v.ID, res.Header.Get("Retry-After")
		if res.StatusCode == http.StatusServiceUnavailable && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			a.err = fmt.Errorf("503 with Content-Type %q", res.Header.Get("Content-Type"))
		}
		return a
	}
	type probe struct {
		at     time.Time
		status int
	}
	var (
		mu      sync.Mutex
		answers []faultAnswer
		probes  []probe
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := range 4 { // four clients filing in a loop
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				a := file(w*100000 + n)
				mu.Lock()
				answers = append(answers, a)
				mu.Unlock()
				if a.status != http.StatusCreated {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			res, err := client.Get(ts.url + "/readyz")
			p := probe{at: time.Now()}
			if err == nil {
				p.status = res.StatusCode
				res.Body.Close()
			}
			mu.Lock()
			probes = append(probes, p)
			mu.Unlock()
		}
	}()

	time.Sleep(time.Second)
	m.stop()
	down := time.Now()
	time.Sleep(3 * time.Second)
	restarting := time.Now() // no server process from down to here
	m.start()
	up := time.Now() // it answers again (at the latest)
	// Recovered: the first 201 to a request sent once the server answers again.
	var recovered time.Time
	for deadline := up.Add(30 * time.Second); recovered.IsZero() && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		for _, a := range answers {
			if a.status == http.StatusCreated && a.start.After(up) && (recovered.IsZero() || a.end.Before(recovered)) {
				recovered = a.end
			}
		}
		mu.Unlock()
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	if recovered.IsZero() {
		t.Fatal("the service did not recover within 30 s of the database coming back")
	}
	var created []string
	outage503, other, slowest := 0, 0, time.Duration(0)
	for _, a := range answers {
		d := a.end.Sub(a.start)
		slowest = max(slowest, d)
		if a.err != nil {
			t.Errorf("request at %v: %v", a.start.Sub(down).Round(time.Millisecond), a.err)
			continue
		}
		if d > reqTimeout+2*time.Second {
			t.Errorf("an answer took %v (request timeout %v): status %d", d.Round(time.Millisecond), reqTimeout, a.status)
		}
		switch a.status {
		case http.StatusCreated:
			created = append(created, a.id)
		case http.StatusServiceUnavailable:
			if a.retryAfter == "" || (a.code != "unavailable" && a.code != "timeout") {
				t.Errorf("503 with code %q, Retry-After %q", a.code, a.retryAfter)
			}
			if a.start.After(down) && a.end.Before(restarting) {
				outage503++
			}
		default:
			other++
			t.Errorf("answer %d (%s) at %v after the stop", a.status, a.code, a.start.Sub(down).Round(time.Millisecond))
		}
		if a.start.After(down) && a.end.Before(restarting) && a.status != http.StatusServiceUnavailable {
			t.Errorf("during the outage: %d %s", a.status, a.code)
		}
	}
	if outage503 == 0 {
		t.Error("no request was answered during the outage")
	}
	ready503, lastReady := 0, 0
	for _, p := range probes {
		if p.at.After(down) && p.at.Before(restarting) && p.status == http.StatusServiceUnavailable {
			ready503++
		}
		lastReady = p.status
	}
	if ready503 == 0 || lastReady != http.StatusOK {
		t.Errorf("/readyz: %d answers 503 during the outage, last answer %d (want some 503, then 200)", ready503, lastReady)
	}
	// Every 201 is in the database.
	var found int64
	ids := make([]uint64, 0, len(created))
	for _, s := range created {
		ids = append(ids, mustID(t, s))
	}
	for i := 0; i < len(ids); i += 500 {
		var n int64
		if err := ts.db.Model(&model.Request{}).Where("id IN ?", ids[i:min(i+500, len(ids))]).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		found += n
	}
	lost := int64(len(ids)) - found
	if lost != 0 {
		t.Errorf("%d requests answered 201 are missing from the database", lost)
	}
	var a auditAnswer
	ts.as(t, "insp_city", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK).decode(&a)
	if !a.OK {
		t.Errorf("audit chain after the restart: %+v", a)
	}
	t.Logf("database restart: %d requests answered (%d × 201, %d × 503 during the 3 s outage, %d other), slowest answer %v; "+
		"/readyz 503 × %d then 200; database start took %v, service recovered %v after the database answered again "+
		"(%v after it stopped); rows lost = %d",
		len(answers), len(created), outage503, other, slowest.Round(time.Millisecond), ready503,
		up.Sub(restarting).Round(time.Millisecond), recovered.Sub(up).Round(time.Millisecond),
		recovered.Sub(down).Round(time.Millisecond), lost)
}
