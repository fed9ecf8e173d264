package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"qinqing/workflow"
)

// TestValidatedFieldsHaveLabels: every field a request can be refused for
// has a Chinese label, so its message names it in Chinese (标题为必填字段,
// never title为必填字段): each body field with a validate tag, each field
// an action of either loop takes, and each filter of the lists.
// (Found failing: the validator named fields by their JSON names, and 21 of
// these fields had no label at all.)
func TestValidatedFieldsHaveLabels(t *testing.T) {
	need := map[string]string{} // field → where it comes from
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fl := range st.Fields.List {
				if fl.Tag == nil {
					continue
				}
				tag, _ := strconv.Unquote(fl.Tag.Value)
				st := reflect.StructTag(tag)
				if v := st.Get("validate"); v == "" || v == "-" {
					continue
				}
				json, _, _ := strings.Cut(st.Get("json"), ",")
				need[json] = fset.Position(fl.Pos()).String()
			}
			return true
		})
	}
	if len(need) < 20 {
		t.Fatalf("found only %d validated body fields", len(need))
	}
	for _, m := range []*workflow.Machine{workflow.Request, workflow.Lead, workflow.Exemption, workflow.Consultation} {
		for _, tr := range m.Table {
			for _, f := range append(append([]string{}, tr.Require...), tr.Optional...) {
				need[f] = string(m.Kind) + " " + string(tr.Action)
			}
		}
	}
	for _, params := range [][]string{requestListParams, leadListParams, deadlineParams, statsParams, exemptionListParams, consultationListParams} {
		for _, f := range params {
			need[f] = "list filter"
		}
	}
	for _, f := range []string{"cursor", "page_size", "action", "expected_version"} {
		need[f] = "every list or action"
	}
	for f, where := range need {
		if _, ok := fieldLabels[f]; !ok {
			t.Errorf("field %s (%s) has no Chinese label in fieldLabels", f, where)
		}
	}
}
