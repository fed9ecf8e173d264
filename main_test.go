package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunServesAndStops starts the whole program on :0 with a temporary data
// directory, signs in as the admin it created, and shuts it down.
func TestRunServesAndStops(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"QINQING_ADDR":           "127.0.0.1:0",
		"QINQING_DATA_DIR":       dir,
		"QINQING_ADMIN_PASSWORD": "first-start-pass",
		"QINQING_CONFIG":         filepath.Join("configs", "config.yaml"),
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- run(ctx, nil, lookup, &out, func(a string) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run ended early: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username":"admin","password":"first-start-pass"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || tok.AccessToken == "" || tok.ExpiresIn > 900 {
		t.Fatalf("login: %d %+v", res.StatusCode, tok)
	}
	if _, err := os.Stat(filepath.Join(dir, "qinqing.db")); err != nil {
		t.Errorf("database file not under the data directory: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "jwt_secret")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("JWT secret not kept privately in the data directory: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
}

// TestRunRefusesMySQLWithoutSecret: with several instances on one database
// there is no safe default signing key, so the service will not start.
func TestRunRefusesMySQLWithoutSecret(t *testing.T) {
	env := map[string]string{"QINQING_DB_DRIVER": "mysql", "QINQING_DB_DSN": "root@tcp(127.0.0.1:1)/none", "QINQING_ADDR": "127.0.0.1:0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err := run(context.Background(), nil, lookup, &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "QINQING_JWT_SECRET") {
		t.Fatalf("run = %v, want a refusal naming QINQING_JWT_SECRET", err)
	}
}
