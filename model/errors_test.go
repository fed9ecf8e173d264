package model

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// TestFormatError: driver errors become the store's vocabulary, which the
// api answers with one status each; a busy or unreachable database is
// ErrUnavailable (503 with Retry-After), never a 500.
func TestFormatError(t *testing.T) {
	cases := []struct {
		err  error
		want error
	}{
		{gorm.ErrRecordNotFound, ErrNotFound},
		{fmt.Errorf("insert: %w", gorm.ErrDuplicatedKey), ErrConflict},
		{&mysqldrv.MySQLError{Number: 1213, Message: "Deadlock found"}, ErrVersionConflict},
		{&mysqldrv.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}, ErrVersionConflict},
		{&mysqldrv.MySQLError{Number: 1040, Message: "Too many connections"}, ErrUnavailable},
		{&mysqldrv.MySQLError{Number: 2013, Message: "Lost connection"}, ErrUnavailable},
		{mysqldrv.ErrInvalidConn, ErrUnavailable},
		{driver.ErrBadConn, ErrUnavailable},
		{errors.New("dial tcp 127.0.0.1:3306: connect: connection refused"), ErrUnavailable},
		{errors.New("database is locked (5) (SQLITE_BUSY)"), ErrUnavailable},
		{errors.New("sqlite: step: SQLITE_BUSY"), ErrUnavailable},
	}
	for _, c := range cases {
		if got := formatError(c.err); !errors.Is(got, c.want) {
			t.Errorf("formatError(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	for _, e := range []error{context.DeadlineExceeded, context.Canceled} {
		if got := formatError(e); got != e {
			t.Errorf("formatError(%v) = %v, want it unchanged", e, got)
		}
	}
	if formatError(nil) != nil {
		t.Error("formatError(nil) != nil")
	}
	other := errors.New("something else")
	if got := formatError(other); got != other {
		t.Errorf("formatError(other) = %v", got)
	}
}

// TestSQLiteBusyIsUnavailable: a real SQLITE_BUSY (another connection holds
// the write lock past the busy timeout) is ErrUnavailable.
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "busy.db")
	a, err := Open("sqlite", "file:"+file+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(0)", ConnOptions{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open("sqlite", "file:"+file+"?_pragma=busy_timeout(20)&_txlock=immediate", ConnOptions{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Exec("CREATE TABLE t (x INTEGER)").Error; err != nil {
		t.Fatal(err)
	}
	sqlA, _ := a.DB()
	defer sqlA.Close()
	sqlB, _ := b.DB()
	defer sqlB.Close()
	conn, err := sqlA.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	err = b.Transaction(func(tx *gorm.DB) error { return tx.Exec("INSERT INTO t VALUES (1)").Error })
	if err == nil {
		t.Fatal("the write succeeded while another connection held the lock")
	}
	if got := formatError(err); !errors.Is(got, ErrUnavailable) {
		t.Fatalf("formatError(%v) = %v, want ErrUnavailable", err, got)
	}
}
