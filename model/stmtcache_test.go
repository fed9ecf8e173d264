package model

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// cacheConn opens a SQLite database whose connections keep size statements
// and returns one connection of it with a table of three rows.
func cacheConn(t *testing.T, size int) (*sql.Conn, func() int) {
	t.Helper()
	c, err := newSQLiteConnector(sqliteDSN("file:"+filepath.Join(t.TempDir(), "c.db")), size)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for _, q := range []string{"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
		"INSERT INTO t (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	held := func() int {
		n := -1
		_ = conn.Raw(func(dc any) error { n = dc.(*stmtConn).held(); return nil })
		return n
	}
	return conn, held
}

func names(t *testing.T, rows *sql.Rows) []string {
	t.Helper()
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStatementsKept: a statement run again on a connection is the one it
// keeps, with the new arguments; in a transaction too; the answers are
// those of the data as it is now.
func TestStatementsKept(t *testing.T) {
	ctx := context.Background()
	conn, held := cacheConn(t, 8)
	base := held()
	q := "SELECT name FROM t WHERE id >= ? ORDER BY id"
	for i, want := range [][]string{{"a", "b", "c"}, {"b", "c"}, {"c"}} {
		rows, err := conn.QueryContext(ctx, q, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(t, rows); len(got) != len(want) || got[0] != want[0] {
			t.Fatalf("run %d: %v, want %v", i+1, got, want)
		}
	}
	if held() != base+1 {
		t.Fatalf("the connection holds %d statements after one ran three times (had %d)", held(), base)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE t SET name = ? WHERE id = ?", "z", 3); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(ctx, q, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, rows); len(got) != 1 || got[0] != "z" {
		t.Fatalf("in the transaction: %v, want [z]", got)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	rows, err = conn.QueryContext(ctx, q, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, rows); len(got) != 1 || got[0] != "c" {
		t.Fatalf("after the rollback: %v, want [c]", got)
	}
	if held() != base+2 {
		t.Fatalf("holds %d statements, want %d", held(), base+2)
	}
	// a statement that fails to compile reports the driver's error
	if _, err := conn.ExecContext(ctx, "UPDATE nosuch SET x = 1"); err == nil {
		t.Fatal("a statement on a missing table ran")
	}
}

// TestStatementInsideItsOwnRows: the same statement run while its rows are
// being read gives both answers whole.
func TestStatementInsideItsOwnRows(t *testing.T) {
	ctx := context.Background()
	conn, _ := cacheConn(t, 8)
	q := "SELECT name FROM t WHERE id >= ? ORDER BY id"
	outer, err := conn.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer outer.Close()
	var got []string
	for outer.Next() {
		var s string
		if err := outer.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
		// database/sql runs this on the same connection, the outer rows open
		inner, err := conn.QueryContext(ctx, q, 3)
		if err != nil {
			t.Fatal(err)
		}
		if in := names(t, inner); len(in) != 1 || in[0] != "c" {
			t.Fatalf("inner run: %v", in)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "a" || got[2] != "c" {
		t.Fatalf("outer rows %v", got)
	}
}

// TestStatementCacheBound: a connection keeps at most its size; a statement
// pushed out while its rows are read still gives them all, and runs again.
func TestStatementCacheBound(t *testing.T) {
	ctx := context.Background()
	conn, held := cacheConn(t, 2)
	first := "SELECT name FROM t ORDER BY id"
	rows, err := conn.QueryContext(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("no first row")
	}
	for i := range 3 {
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM t WHERE id > ?"+[]string{"", " + 0", " + 0 + 0"}[i], i).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 3-i {
			t.Fatalf("count %d, want %d", n, 3-i)
		}
	}
	if held() != 2 {
		t.Fatalf("holds %d statements, want its size 2", held())
	}
	var got []string
	for {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
		if !rows.Next() {
			break
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("rows of the evicted statement: %v", got)
	}
	again, err := conn.QueryContext(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if g := names(t, again); len(g) != 3 {
		t.Fatalf("run again: %v", g)
	}
}
