package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qinqing/configs"
)

// TestJWTSecretHasNoDefault: the signing key is either configured (≥ 32
// characters) or, on the embedded SQLite only, generated at random once per
// data directory and kept there privately; there is no built-in key.
func TestJWTSecretHasNoDefault(t *testing.T) {
	cfg := func(driver, dir, secret string) configs.Config {
		var c configs.Config
		c.DB.Driver, c.DataDir, c.JWTSecret = driver, dir, secret
		return c
	}
	if _, err := jwtSecret(cfg("sqlite", t.TempDir(), "too-short")); err == nil {
		t.Error("a 9-character secret was accepted")
	}
	if _, err := jwtSecret(cfg("mysql", t.TempDir(), "")); err == nil || !strings.Contains(err.Error(), "QINQING_JWT_SECRET") {
		t.Errorf("MySQL without a secret: %v", err)
	}
	given := strings.Repeat("s", 32)
	if k, err := jwtSecret(cfg("mysql", t.TempDir(), given)); err != nil || string(k) != given {
		t.Errorf("configured secret: %q %v", k, err)
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	a1, err := jwtSecret(cfg("sqlite", dirA, ""))
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := jwtSecret(cfg("sqlite", dirA, ""))
	b, _ := jwtSecret(cfg("sqlite", dirB, ""))
	if len(a1) < 64 || string(a1) != string(a2) {
		t.Errorf("generated secret %q, again %q: want one random 64-character key kept across restarts", a1, a2)
	}
	if string(a1) == string(b) {
		t.Error("two data directories got the same secret: it is not random")
	}
	fi, err := os.Stat(filepath.Join(dirA, "jwt_secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kept secret: %v %v", fi, err)
	}
}
