package model

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"qinqing/configs"
)

// TestWebhookFailuresLogged: each failed delivery is logged with its
// attempt number and when the next attempt is due; the last one says it
// was given up. (Found failing: failures were logged only when given up,
// with no next retry.)
func TestWebhookFailuresLogged(t *testing.T) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer recv.Close()
	db := testDBs(t)["sqlite"]
	s, clock := newTestStore(t, db, "2s", func(c *configs.Config) {
		c.Webhooks = []configs.Webhook{{URL: recv.URL, Secret: "s3cret", Events: []string{"overdue"}}}
	})
	fileN(t, s, 1, 0)
	clock.Advance(3 * time.Second)
	if _, err := s.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var buf bytes.Buffer
	d := NewDispatcher(s, slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil)))
	d.Backoff, d.MaxBackoff, d.MaxAttempts = time.Second, time.Minute, 3
	var dues []time.Time
	for range 3 {
		dues = append(dues, s.Now())
		if _, _, err := d.DeliverOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	mu.Lock()
	defer mu.Unlock()
	type line struct {
		Level, Msg    string
		Attempt       int
		NextAttemptAt *time.Time `json:"next_attempt_at"`
		DeliveryID    string     `json:"delivery_id"`
		Err           string
	}
	var lines []line
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var l line
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 3 {
		t.Fatalf("%d log lines for 3 failed attempts, want 3: %+v", len(lines), lines)
	}
	for i, l := range lines[:2] {
		want := dues[i].Add(time.Second << i)
		if l.Level != "WARN" || l.Msg != "Webhook 投递失败，将重试" || l.Attempt != i+1 || l.DeliveryID == "" || l.Err == "" ||
			l.NextAttemptAt == nil || !l.NextAttemptAt.Equal(want) {
			t.Errorf("attempt %d logged %+v, want a warning with attempt %d and next_attempt_at %s", i+1, l, i+1, want)
		}
	}
	if l := lines[2]; l.Level != "ERROR" || l.Attempt != 3 || l.NextAttemptAt != nil {
		t.Errorf("last attempt logged %+v, want an error (given up) with attempt 3", l)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
