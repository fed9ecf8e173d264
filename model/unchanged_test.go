package model

import (
	"slices"
	"testing"
	"time"
)

// TestDropUnchanged: a transition's UPDATE keeps only the columns whose
// value it changes; equal strings, booleans, numbers, times and nils leave,
// anything changed or not plainly comparable stays.
func TestDropUnchanged(t *testing.T) {
	db := testDBs(t)["sqlite"]
	due := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	r := &Request{Status: "in_progress", Supervised: true, DueAt: &due, ReopenCount: 1, Version: 3}
	upd := map[string]any{
		"status":       "in_progress",                         // same
		"supervised":   true,                                  // same
		"due_at":       due.In(time.FixedZone("CST", 8*3600)), // the same instant
		"reopen_count": int64(1),                              // same number, another kind
		"closed_at":    nil,                                   // nil stays nil
		"overdue":      true,                                  // changed
		"due_working":  false,                                 // same (zero)
		"title":        "新标题",                                 // changed
		"no_such":      1,                                     // not a column: kept
	}
	dropUnchanged(db, r, upd)
	var kept []string
	for k := range upd {
		kept = append(kept, k)
	}
	slices.Sort(kept)
	if want := []string{"no_such", "overdue", "title"}; !slices.Equal(kept, want) {
		t.Fatalf("kept %v, want %v", kept, want)
	}
	// a nil pointer against a value, and a value against nil, are changes
	r.DueAt = nil
	upd = map[string]any{"due_at": due, "closed_at": due}
	dropUnchanged(db, r, upd)
	if len(upd) != 2 {
		t.Fatalf("kept %v, want both", upd)
	}
	r.DueAt = &due
	upd = map[string]any{"due_at": nil}
	dropUnchanged(db, r, upd)
	if len(upd) != 1 {
		t.Fatal("clearing a deadline was dropped")
	}
}
