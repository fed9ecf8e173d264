package model

import (
	"os"
	"path/filepath"
	"testing"

	"qinqing/configs"
)

// TestSQLiteFileModes: the data directory is 0700 and the database files
// 0600 after opening, whatever modes they had before (a directory made by
// hand, a file copied in with the umask's 0644).
// (Found failing: the directory stayed 0755 and the file 0644.)
func TestSQLiteFileModes(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "data")
		if existing {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "qinqing.db"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			_ = os.Chmod(dir, 0o755)
			_ = os.Chmod(filepath.Join(dir, "qinqing.db"), 0o644)
		}
		db, err := Open("sqlite", configs.SQLiteDSN(dir), ConnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("CREATE TABLE t (x INTEGER)").Error; err != nil {
			t.Fatal(err)
		}
		check := func(p string, want os.FileMode) {
			t.Helper()
			fi, err := os.Stat(p)
			if os.IsNotExist(err) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("existing=%v: %s has mode %o, want %o", existing, filepath.Base(p), got, want)
			}
		}
		check(dir, 0o700)
		for _, f := range []string{"qinqing.db", "qinqing.db-wal", "qinqing.db-shm"} {
			check(filepath.Join(dir, f), 0o600)
		}
		sqlDB, _ := db.DB()
		_ = sqlDB.Close()
	}
}
