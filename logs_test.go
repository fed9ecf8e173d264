package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// TestLogMessagesChinese: every log call of the shipped code words its
// message in Chinese (the people reading logs here read Chinese) and keys
// its attributes in English snake_case (what machines and queries use).
// (Found failing: 27 messages were English, e.g. "deadline scan",
// "request failed", next to Chinese ones.)
func TestLogMessagesChinese(t *testing.T) {
	fset := token.NewFileSet()
	key := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	calls := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !slogMethod(sel.Sel.Name) || !isLogger(sel.X) {
				return true
			}
			calls++
			msg, ok := call.Args[0].(*ast.BasicLit)
			if !ok || msg.Kind != token.STRING {
				t.Errorf("%s: log message is not a literal", fset.Position(call.Pos()))
				return true
			}
			text, _ := strconv.Unquote(msg.Value)
			if !strings.ContainsFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("%s: log message %q is not Chinese", fset.Position(call.Pos()), text)
			}
			for i := 1; i < len(call.Args); i += 2 {
				if k, ok := call.Args[i].(*ast.BasicLit); ok && k.Kind == token.STRING {
					if s, _ := strconv.Unquote(k.Value); !key.MatchString(s) {
						t.Errorf("%s: log key %q is not English snake_case", fset.Position(k.Pos()), s)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 20 {
		t.Fatalf("found only %d log calls; is the scan looking in the right places?", calls)
	}
}

func slogMethod(name string) bool {
	switch name {
	case "Debug", "Info", "Warn", "Error":
		return true
	}
	return false
}

// isLogger: the receiver is a logger by its name (log, s.log, d.log, …).
func isLogger(x ast.Expr) bool {
	switch v := x.(type) {
	case *ast.Ident:
		return v.Name == "log" || v.Name == "logger"
	case *ast.SelectorExpr:
		return v.Sel.Name == "log" || v.Sel.Name == "logger"
	}
	return false
}

// TestLogTimesBeijing: log lines carry their time, and any time attribute,
// in Beijing time with its offset (+08:00), whatever the host's zone
// (README "Logs"). (Found failing: the host's zone, UTC on most servers,
// with nothing saying so.)
func TestLogTimesBeijing(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, "info")
	log.Info("测试", "next_attempt_at", time.Date(2026, 12, 6, 1, 30, 0, 0, time.UTC))
	line := buf.String()
	m := regexp.MustCompile(`^time=\S+\+08:00 level=INFO msg=测试 next_attempt_at=2026-12-06T09:30:00\.000\+08:00\n$`)
	if !m.MatchString(line) {
		t.Errorf("log line %q: want its time and next_attempt_at in +08:00", line)
	}
}
