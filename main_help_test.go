package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"qinqing/configs"
	"qinqing/model"
)

// TestHelp: `qinqing --help`, `-h` and `qinqing help` list the commands,
// the seed flags and every QINQING_* variable the program reads, each with
// its default, and succeed. (Found failing: --help printed only -config
// and returned flag.ErrHelp, exit 1; `help` was an unknown command.)
func TestHelp(t *testing.T) {
	// Every QINQING_* variable the shipped code reads (tests' own aside).
	vars := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("configs/*.go")
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`"(QINQING_[A-Z_]+)"`).FindAllStringSubmatch(string(b), -1) {
			vars[m[1]] = true
		}
	}
	if len(vars) < 15 {
		t.Fatalf("found only %d QINQING_* variables in the code", len(vars))
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"seed", "--help"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, func(string) (string, bool) { return "", false }, &out, nil); err != nil {
			t.Errorf("qinqing %s = %v, want success", strings.Join(args, " "), err)
		}
		text := out.String()
		for _, w := range []string{"serve", "seed", "audit verify", "admin reset-password", "-config", "-requests", "-leads", "-enterprises", "-months", "-password"} {
			if !strings.Contains(text, w) {
				t.Errorf("qinqing %s does not mention %s", strings.Join(args, " "), w)
			}
		}
		for v := range vars {
			line := ""
			for _, l := range strings.Split(text, "\n") {
				if strings.Contains(l, v+" ") {
					line = l
				}
			}
			if line == "" {
				t.Errorf("qinqing %s does not list %s", strings.Join(args, " "), v)
			}
		}
	}
	// Every variable's entry gives a default (on its line or the next).
	if n, d := strings.Count(usage, "  QINQING_"), strings.Count(usage, "(default"); d < n {
		t.Errorf("%d variables listed, only %d defaults", n, d)
	}
}

// TestSeedDefaultIsSmall: `qinqing seed` without flags writes a small demo
// (2,000 requests), not the benchmark's million.
// (Found failing: the default was 1,000,000 requests.)
func TestSeedDefaultIsSmall(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"QINQING_DATA_DIR": dir, "QINQING_CONFIG": filepath.Join("configs", "config.yaml")}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"seed", "-leads", "0"}, lookup, &out, nil); err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	db, err := model.Open("sqlite", configs.SQLiteDSN(dir), model.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := db.Table("requests").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 2000 {
		t.Errorf("seed wrote %d requests by default, want 2000", n)
	}
}
