package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// stateAllowed are the package-level variables that hold state on purpose,
// each with its reason.
var stateAllowed = map[string]string{
	// the pure-Go SQLite's allocator is one per process: pinning its size
	// classes once is about the process, not a store (model/db.go)
	"model.pinAllocator": "process-wide by nature",
}

// TestNoPackageMutableState: no package-level variable of the shipped code
// is written after start, nor is one a lock, an atomic or a once-cell: the
// store owns its clock and caches, the server its limits (DESIGN
// standards). Tables and compiled patterns that are only read are fine.
// (Found failing: model.lastPurge, an atomic on the real clock shared by
// every store, and model.defaultTree, a once-loaded tree.)
func TestNoPackageMutableState(t *testing.T) {
	fset := token.NewFileSet()
	type pkgVars struct {
		vars  map[string]token.Pos
		files []*ast.File
	}
	pkgs := map[string]*pkgVars{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		if dir == "." {
			dir = "main"
		}
		dir = filepath.ToSlash(dir)
		p := pkgs[dir]
		if p == nil {
			p = &pkgVars{vars: map[string]token.Pos{}}
			pkgs[dir] = p
		}
		p.files = append(p.files, f)
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name == "_" {
						continue
					}
					p.vars[n.Name] = n.Pos()
					if stateful(vs.Type) || (i < len(vs.Values) && statefulValue(vs.Values[i])) {
						report(t, fset, dir, n.Name, n.Pos(), "is a lock, an atomic or a once-cell")
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, p := range pkgs {
		for _, f := range p.files {
			// isPkgVar: an identifier that names the package-level variable,
			// not a local of the same name.
			isPkgVar := func(e ast.Expr) (string, bool) {
				for {
					switch x := e.(type) {
					case *ast.SelectorExpr:
						e = x.X
						continue
					case *ast.IndexExpr:
						e = x.X
						continue
					case *ast.StarExpr:
						e = x.X
						continue
					case *ast.ParenExpr:
						e = x.X
						continue
					case *ast.Ident:
						if _, ok := p.vars[x.Name]; !ok {
							return "", false
						}
						if x.Obj != nil {
							vs, ok := x.Obj.Decl.(*ast.ValueSpec)
							if !ok || !topLevel(f, vs) {
								return "", false
							}
						}
						return x.Name, true
					}
					return "", false
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.AssignStmt:
					if x.Tok == token.DEFINE {
						return true
					}
					for _, l := range x.Lhs {
						if name, ok := isPkgVar(l); ok {
							report(t, fset, dir, name, l.Pos(), "is written")
						}
					}
				case *ast.IncDecStmt:
					if name, ok := isPkgVar(x.X); ok {
						report(t, fset, dir, name, x.Pos(), "is written")
					}
				case *ast.GenDecl:
					// the declarations themselves are not writes
					return x.Tok != token.VAR || !topLevelDecl(f, x)
				}
				return true
			})
		}
	}
}

func report(t *testing.T, fset *token.FileSet, pkg, name string, pos token.Pos, what string) {
	t.Helper()
	if _, ok := stateAllowed[pkgName(pkg)+"."+name]; ok {
		return
	}
	t.Errorf("%s: package-level variable %s.%s %s; make it a field of what owns it", fset.Position(pos), pkgName(pkg), name, what)
}

func pkgName(dir string) string { return dir[strings.LastIndex(dir, "/")+1:] }

func topLevelDecl(f *ast.File, gd *ast.GenDecl) bool {
	for _, d := range f.Decls {
		if d == gd {
			return true
		}
	}
	return false
}

func topLevel(f *ast.File, vs *ast.ValueSpec) bool {
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok {
			for _, s := range gd.Specs {
				if s == vs {
					return true
				}
			}
		}
	}
	return false
}

// stateful: a type from sync or sync/atomic (locks, atomics, sync.Map).
func stateful(typ ast.Expr) bool {
	if typ == nil {
		return false
	}
	found := false
	ast.Inspect(typ, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && (id.Name == "sync" || id.Name == "atomic") {
				found = true
			}
		}
		return !found
	})
	return found
}

// statefulValue: sync.Once*, or a composite literal of a sync/atomic type.
func statefulValue(v ast.Expr) bool {
	switch x := v.(type) {
	case *ast.CallExpr:
		return stateful(x.Fun)
	case *ast.CompositeLit:
		return stateful(x.Type)
	case *ast.UnaryExpr:
		return statefulValue(x.X)
	}
	return false
}
