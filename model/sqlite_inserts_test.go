package model

import (
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// TestSQLiteInsertsWithoutReturning: on SQLite an INSERT carries no
// RETURNING clause (which made SQLite copy every page the INSERT touched
// into a statement journal, under the write lock), and every new row still
// gets its id, alone or in a batch of one statement.
func TestSQLiteInsertsWithoutReturning(t *testing.T) {
	db, err := Open("sqlite", "file:"+filepath.Join(t.TempDir(), "t.db")+"?_pragma=foreign_keys(1)&_txlock=immediate", ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Migrate(db); err != nil {
		t.Fatal(err)
	}
	stmt := db.Session(&gorm.Session{DryRun: true}).Create(&Event{CaseKind: "request", CaseID: 1, Action: "dry"}).Statement
	if sql := strings.ToUpper(stmt.SQL.String()); !strings.HasPrefix(sql, "INSERT") || strings.Contains(sql, "RETURNING") {
		t.Fatalf("INSERT on SQLite: %s", stmt.SQL.String())
	}
	one := Event{CaseKind: "request", CaseID: 1, Action: "one", Payload: "{}"}
	if err := db.Create(&one).Error; err != nil {
		t.Fatal(err)
	}
	batch := []*Event{{CaseKind: "request", CaseID: 2, Action: "b0", Payload: "{}"},
		{CaseKind: "request", CaseID: 2, Action: "b1", Payload: "{}"},
		{CaseKind: "request", CaseID: 2, Action: "b2", Payload: "{}"}}
	if err := db.Create(&batch).Error; err != nil {
		t.Fatal(err)
	}
	for _, e := range append([]*Event{&one}, batch...) {
		var got Event
		if err := db.Where("action = ?", e.Action).Take(&got).Error; err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || got.ID != e.ID {
			t.Errorf("%s: id %d after Create, %d in the table", e.Action, e.ID, got.ID)
		}
	}
}
