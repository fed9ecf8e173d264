package model

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// models are the current gorm types; the migrations must produce exactly
// the schema AutoMigrate would give them.
func models() []any {
	return []any{&Region{}, &Department{}, &Station{}, &Enterprise{}, &Account{}, &Request{}, &Event{}, &IdempotencyKey{}, &WebhookDelivery{}, &Lead{}, &LeadRead{}, &LeadRecusal{},
		&StoredTree{}, &IndicatorValue{}, &SurveyResponse{}, &SurveyAnswer{}, &IndexRun{},
		&Notice{}, &IndexPeriod{}, &RectificationItem{}, &RectificationReport{},
		&AuthSession{}, &RefreshToken{}, &APIKey{}, &LimitAttempt{}, &LimitKey{}, &LimitBucket{}, &RequestCoUnit{}, &File{}, &Exemption{}, &Consultation{}, &ConsultationInvitee{},
		&NotifySetting{}, &NoticeDelivery{}}
}

// testDBs opens a fresh SQLite database, and a fresh MySQL one when
// QINQING_TEST_MYSQL_DSN is set.
func testDBs(t *testing.T) map[string]*gorm.DB {
	t.Helper()
	out := map[string]*gorm.DB{}
	db, err := Open("sqlite", "file:"+filepath.Join(t.TempDir(), "t.db")+"?_pragma=foreign_keys(1)&_txlock=immediate", ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out["sqlite"] = db
	if base := os.Getenv("QINQING_TEST_MYSQL_DSN"); base != "" {
		out["mysql"] = openMySQLTest(t, base)
	}
	return out
}

func openMySQLTest(t *testing.T, base string) *gorm.DB {
	t.Helper()
	root, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "qq_model_" + hex.EncodeToString(b[:])
	if _, err := root.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r, err := sql.Open("mysql", base); err == nil {
			_, _ = r.Exec("DROP DATABASE IF EXISTS " + name)
			r.Close()
		}
	})
	slash := strings.LastIndex(base, "/")
	db, err := Open("mysql", base[:slash+1]+name+"?charset=utf8mb4&collation=utf8mb4_unicode_ci&parseTime=true&loc=UTC", ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

type columnShape struct{ name, typ string }

func shape(t *testing.T, db *gorm.DB) map[string][]columnShape {
	t.Helper()
	out := map[string][]columnShape{}
	tables, err := db.Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		if tbl == "schema_migrations" || strings.HasPrefix(tbl, "sqlite_") {
			continue
		}
		cols, err := db.Migrator().ColumnTypes(tbl)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			out[tbl] = append(out[tbl], columnShape{c.Name(), strings.ToLower(c.DatabaseTypeName())})
		}
		idx, err := db.Migrator().GetIndexes(tbl)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			out[tbl] = append(out[tbl], columnShape{"index " + i.Name(), strings.Join(i.Columns(), ",")})
		}
		slices.SortFunc(out[tbl], func(a, b columnShape) int { return strings.Compare(a.name, b.name) })
	}
	return out
}

// TestMigrationsMatchModels: the versioned migrations and AutoMigrate of
// the models give the same tables, columns and indexes, so the two cannot
// drift; and migrating twice changes nothing.
func TestMigrationsMatchModels(t *testing.T) {
	a, b := testDBs(t), testDBs(t)
	for driver := range a {
		t.Run(driver, func(t *testing.T) {
			if err := Migrate(a[driver]); err != nil {
				t.Fatal(err)
			}
			if err := Migrate(a[driver]); err != nil {
				t.Fatalf("second migration run: %v", err)
			}
			if err := tableOptions(b[driver]).AutoMigrate(models()...); err != nil {
				t.Fatal(err)
			}
			got, want := shape(t, a[driver]), shape(t, b[driver])
			for tbl, cols := range want {
				if !slices.Equal(got[tbl], cols) {
					t.Errorf("table %s:\n migrations %v\n models     %v", tbl, got[tbl], cols)
				}
			}
			if len(got) != len(want) {
				t.Errorf("migrations made %d tables, models %d", len(got), len(want))
			}
		})
	}
}

// TestIndexedStringsHaveSize: MySQL 8 and TiDB refuse an index on a string
// column without a length (Error 1170), even where MariaDB accepts it.
func TestIndexedStringsHaveSize(t *testing.T) {
	for _, m := range models() {
		s, err := schema.Parse(m, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range s.Fields {
			indexed := f.PrimaryKey || strings.Contains(string(f.Tag), "index") || strings.Contains(string(f.Tag), "unique")
			if indexed && f.DataType == schema.String && f.Size == 0 {
				t.Errorf("%s.%s is an indexed string without size", s.Table, f.Name)
			}
		}
	}
}
