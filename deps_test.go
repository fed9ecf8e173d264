package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layers point one way (docs/architecture.md#packages): workflow and
// index are pure (the standard library only); policy knows casbin and
// nothing of ours; model knows no HTTP; configs knows neither the store nor
// the API. TestImportBoundaries holds every package to its rule with
// `go list -deps`, so crossing a line fails here rather than in review.

// boundary is the rule of one package: every package it depends on
// (directly or not, tests excluded) must be allowed; with direct, only the
// packages it imports itself are held to it (casbin brings its own).
type boundary struct {
	pkg     string
	allowed func(dep string) bool
	rule    string
	direct  bool
}

func stdlib(dep string) bool {
	return !strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") && !strings.HasPrefix(dep, "qinqing")
}

func under(prefixes ...string) func(string) bool {
	return func(dep string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool { return dep == p || strings.HasPrefix(dep, p+"/") })
	}
}

func not(f func(string) bool) func(string) bool { return func(d string) bool { return !f(d) } }

func anyOf(fs ...func(string) bool) func(string) bool {
	return func(d string) bool { return slices.ContainsFunc(fs, func(f func(string) bool) bool { return f(d) }) }
}

var boundaries = []boundary{
	{"qinqing/workflow", stdlib, "the standard library only", false},
	{"qinqing/index", stdlib, "the standard library only", false},
	{"qinqing/policy", anyOf(stdlib, under("github.com/casbin")), "casbin and the standard library only", true},
	{"qinqing/policy", not(under("qinqing/model", "qinqing/api", "qinqing/configs", "gorm.io", "github.com/gin-gonic")),
		"nothing of ours, no database, no HTTP", false},
	{"qinqing/model", not(under("github.com/gin-gonic", "qinqing/api", "qinqing/policy")), "no gin, api or policy", false},
	{"qinqing/configs", not(under("qinqing/model", "qinqing/api", "qinqing/policy", "gorm.io", "github.com/gin-gonic")),
		"neither the store nor the API", false},
	{"qinqing/api", func(d string) bool { return d != "qinqing" }, "anything but the main package", false},
}

// crossings lists the dependencies of deps that b does not allow.
func (b boundary) crossings(deps []string) []string {
	var out []string
	for _, d := range deps {
		if d != b.pkg && !b.allowed(d) {
			out = append(out, d)
		}
	}
	return out
}

func TestImportBoundaries(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH: the import boundaries need `go list`")
	}
	for _, b := range boundaries {
		args := []string{"list", "-deps", b.pkg}
		if b.direct {
			args = []string{"list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, b.pkg}
		}
		out, err := exec.Command(gobin, args...).Output()
		if err != nil {
			t.Fatalf("go %v: %v", args, err)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, b.pkg) || len(deps) < 2 {
			t.Fatalf("go %v listed %v: not the package and its imports", args, deps)
		}
		if bad := b.crossings(deps); len(bad) > 0 {
			t.Errorf("%s may depend on %s; it depends on %v", b.pkg, b.rule, bad)
		}
	}
}

// TestImportBoundaryRules: each rule refuses the crossing it exists for.
func TestImportBoundaryRules(t *testing.T) {
	// refused reports whether some rule of pkg refuses dep.
	refused := func(pkg, dep string) bool {
		found := false
		for _, b := range boundaries {
			if b.pkg == pkg {
				found = true
				if len(b.crossings([]string{dep})) > 0 {
					return true
				}
			}
		}
		if !found {
			t.Fatalf("no rule for %s", pkg)
		}
		return false
	}
	for _, c := range []struct {
		pkg, dep string
		refused  bool
	}{
		{"qinqing/workflow", "time", false},
		{"qinqing/workflow", "gorm.io/gorm", true},
		{"qinqing/workflow", "qinqing/configs", true},
		{"qinqing/index", "github.com/gin-gonic/gin", true},
		{"qinqing/policy", "github.com/casbin/casbin/v2", false},
		{"qinqing/policy", "gorm.io/gorm", true},
		{"qinqing/policy", "qinqing/model", true},
		{"qinqing/model", "gorm.io/gorm", false},
		{"qinqing/model", "qinqing/workflow", false},
		{"qinqing/model", "github.com/gin-gonic/gin/render", true},
		{"qinqing/model", "qinqing/api", true},
		{"qinqing/configs", "qinqing/workflow", false},
		{"qinqing/configs", "qinqing/model", true},
		{"qinqing/configs", "qinqing/api", true},
		{"qinqing/configs", "qinqing/index", false},
		{"qinqing/api", "qinqing/model", false},
		{"qinqing/api", "qinqing", true},
	} {
		if got := refused(c.pkg, c.dep); got != c.refused {
			t.Errorf("%s → %s: refused %v, want %v", c.pkg, c.dep, got, c.refused)
		}
	}
}
