package api_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"qinqing/configs"
	"qinqing/model"
)

// Notices by SMS and e-mail: an account that asks for them gets each of its
// notices once by each channel, through a signed request to the SMS gateway
// and a message to the SMTP relay; a failing gateway is tried again later.

const smsSecret = "sms-gateway-shared-secret-0123456789"

// fakeSMS records the messages a gateway accepted; fail answers 503 while set.
type fakeSMS struct {
	mu   sync.Mutex
	got  []map[string]string
	fail bool
	bad  []string
}

func (f *fakeSMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, []byte(smsSecret))
	m.Write([]byte(r.Header.Get("X-Qinqing-Timestamp") + "."))
	m.Write(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("X-Qinqing-Signature") != "sha256="+hex.EncodeToString(m.Sum(nil)) {
		f.bad = append(f.bad, string(body))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if f.fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var msg map[string]string
	_ = json.Unmarshal(body, &msg)
	f.got = append(f.got, msg)
}

func (f *fakeSMS) messages() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.got...)
}

// fakeSMTP is a relay that keeps what it is given (no TLS, no auth).
type fakeSMTP struct {
	ln   net.Listener
	mu   sync.Mutex
	mail []string
}

func newFakeSMTP(t *testing.T) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(s string) { _, _ = io.WriteString(c, s+"\r\n") }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 fake")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			f.mu.Lock()
			f.mail = append(f.mail, b.String())
			f.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 no")
		}
	}
}

func TestNoticeChannels(t *testing.T) {
	t.Parallel()
	// The server only needs to know the channels are on; each database's
	// run has its own gateway and relay, which its sender is given.
	on := configs.Notify{SMSURL: "http://sms.invalid/", SMSSecret: smsSecret, SMTPAddr: "smtp.invalid:25", SMTPFrom: "qinqing@example.gov.cn"}
	eachDBWith(t, func(c *configs.Config) { c.Notify = on }, func(t *testing.T, ts *testServer) {
		sms := &fakeSMS{}
		gw := httptest.NewServer(sms)
		t.Cleanup(gw.Close)
		relay := newFakeSMTP(t)
		cfg := configs.Notify{SMSURL: gw.URL, SMSSecret: smsSecret, SMTPAddr: relay.ln.Addr().String(), SMTPFrom: on.SMTPFrom}
		ts.seed(t)
		// Settings: refused when incomplete, stored when right.
		ts.as(t, "dept_hs_scjg", "PUT", "/api/v1/me/notify-settings", map[string]any{"sms": true}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "phone")
		ts.as(t, "dept_hs_scjg", "PUT", "/api/v1/me/notify-settings", map[string]any{"phone": "0574-123", "sms": true}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "phone")
		ts.as(t, "dept_hs_scjg", "PUT", "/api/v1/me/notify-settings", map[string]any{"email": "not-an-address", "email_enabled": true}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "email")
		got := ts.as(t, "dept_hs_scjg", "PUT", "/api/v1/me/notify-settings", map[string]any{"phone": "13805740001", "sms": true,
			"email": "scjg@haishu.example.gov.cn", "email_enabled": true}).want(http.StatusOK).obj()
		if got["sms"] != true || got["available"].(map[string]any)["email"] != true {
			t.Fatalf("settings %v", got)
		}
		if again := ts.as(t, "dept_hs_scjg", "GET", "/api/v1/me/notify-settings", nil).want(http.StatusOK).obj(); again["phone"] != "13805740001" {
			t.Errorf("settings read back %v", again)
		}
		// Another account's choice is its own: dept_hs_sw has none.
		if other := ts.as(t, "dept_hs_sw", "GET", "/api/v1/me/notify-settings", nil).want(http.StatusOK).obj(); other["sms"] != false || other["phone"] != "" {
			t.Errorf("another account's settings %v", other)
		}

		// An assignment: one SMS and one e-mail, signed, sent once.
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		sender := model.NewChannelSender(ts.store, cfg, nil)
		sender.Backoff = time.Minute
		sms.mu.Lock()
		sms.fail = true
		sms.mu.Unlock()
		sent, failed, err := sender.SendOnce(context.Background())
		if err != nil || sent != 1 || failed != 1 {
			t.Fatalf("first pass: sent %d, failed %d, %v (the e-mail goes, the gateway is down)", sent, failed, err)
		}
		if n := len(sms.messages()); n != 0 {
			t.Fatalf("a failing gateway recorded %d messages", n)
		}
		// Not due again until the backoff has passed; then it goes, once.
		if s, f, _ := sender.SendOnce(context.Background()); s+f != 0 {
			t.Errorf("retried before its time: %d sent, %d failed", s, f)
		}
		sms.mu.Lock()
		sms.fail = false
		sms.mu.Unlock()
		ts.clock.Advance(2 * time.Minute)
		if s, f, err := sender.SendOnce(context.Background()); err != nil || s != 1 || f != 0 {
			t.Fatalf("after the backoff: sent %d, failed %d, %v", s, f, err)
		}
		if s, f, _ := sender.SendOnce(context.Background()); s+f != 0 {
			t.Errorf("sent again: %d, %d", s, f)
		}
		msgs := sms.messages()
		sms.mu.Lock()
		bad := append([]string(nil), sms.bad...)
		sms.mu.Unlock()
		if len(msgs) != 1 || msgs[0]["to"] != "13805740001" || !strings.Contains(msgs[0]["text"], "新交办诉求") || len(bad) != 0 {
			t.Errorf("SMS gateway got %v (bad signatures %v)", msgs, bad)
		}
		relay.mu.Lock()
		mail := append([]string(nil), relay.mail...)
		relay.mu.Unlock()
		if len(mail) != 1 || !strings.Contains(mail[0], "To: scjg@haishu.example.gov.cn") || !strings.Contains(mail[0], "Subject: =?UTF-8?b?") {
			t.Errorf("the relay got %q", mail)
		}
		// The account that did not ask gets nothing outside the app.
		if n := len(sms.messages()); n != 1 {
			t.Errorf("%d SMS in all", n)
		}
	})
}

// TestAuthzNotifySettings: every account reads and sets its own, and only
// its own.
func TestAuthzNotifySettings(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		for _, u := range mxUsers {
			qaExpect(t, ts.as(t, u.name, "PUT", "/api/v1/me/notify-settings", map[string]any{"email": u.name + "@example.gov.cn"}), 200, "", "PUT as "+u.name)
		}
		for _, u := range mxUsers {
			got := ts.as(t, u.name, "GET", "/api/v1/me/notify-settings", nil).want(http.StatusOK).obj()
			if got["email"] != u.name+"@example.gov.cn" {
				t.Errorf("%s reads %v", u.name, got)
			}
		}
	})
}

// TestNoticeChannelsOff: with no gateway configured, asking for SMS is
// refused and nothing is queued.
func TestNoticeChannelsOff(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ts.as(t, "ent_hs", "PUT", "/api/v1/me/notify-settings", map[string]any{"phone": "13805740002", "sms": true}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "sms")
		got := ts.as(t, "ent_hs", "GET", "/api/v1/me/notify-settings", nil).want(http.StatusOK).obj()
		if got["available"].(map[string]any)["sms"] != false || got["sms"] != false {
			t.Errorf("settings without a gateway: %v", got)
		}
	})
}
