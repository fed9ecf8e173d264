package model

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"

	moderncsqlite "modernc.org/sqlite"
)

// SQLite connections keep their statements compiled: every connection
// holds the last stmtCacheSize statements it ran, prepared, and runs a
// statement it already holds without compiling it again.
//
// Why: compiling is most of what a small statement costs in the pure-Go
// SQLite. In the profiles of the concurrency sweep the parser was a quarter
// of the CPU of reading a request by id and 16 % of the single writer's
// time in a transition, and finalizing each statement freed the memory the
// next one allocated again. The driver resets a prepared statement after
// each run instead of finalizing it; but database/sql prepares only for
// *sql.Stmt, and gorm's PrepareStmt mode does not serve the store: a
// statement it first meets in a transaction is prepared on that
// transaction, closed when the transaction ends and compiled again at every
// later use, and the store writes only in transactions. Here the cache sits
// below database/sql, on the driver's connection, so a statement is kept
// whether it runs inside a transaction or not, and the pool's connections
// never share one (a connection is used by one goroutine at a time).
//
// Statements whose text varies with their arguments (IN lists, multi-row
// INSERTs) would grow a cache without bound: the least recently used leaves
// it. A statement whose rows are still being read when the same text runs
// again on the connection (a query inside the loop over another's rows) is
// not shared: the second run compiles its own, as without the cache.
const stmtCacheSize = 256

// sqliteConnector opens SQLite connections that keep their statements.
type sqliteConnector struct {
	driver.Connector
	size int
}

func newSQLiteConnector(dsn string, size int) (driver.Connector, error) {
	c, err := moderncsqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sqliteConnector{Connector: c, size: size}, nil
}

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &stmtConn{inner: conn, max: c.size, byQuery: make(map[string]*list.Element)}, nil
}

// stmtConn is one SQLite connection with its compiled statements.
type stmtConn struct {
	inner   driver.Conn
	max     int
	byQuery map[string]*list.Element // of *keptStmt
	lru     list.List                // front: most recently used
}

type keptStmt struct {
	query   string
	st      driver.Stmt
	busy    bool // its rows are open
	evicted bool // left the cache while busy: closed when its rows are
}

// Unwrap gives the driver's connection (the driver's Limit looks for it).
func (c *stmtConn) Unwrap() driver.Conn { return c.inner }

// stmt is the kept statement of query, prepared now if need be; nil when it
// is busy or does not prepare (the caller then runs the query uncached,
// which reports the driver's error as it would without the cache).
func (c *stmtConn) stmt(ctx context.Context, query string) *keptStmt {
	if el, ok := c.byQuery[query]; ok {
		k := el.Value.(*keptStmt)
		if k.busy {
			return nil
		}
		c.lru.MoveToFront(el)
		return k
	}
	st, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	k := &keptStmt{query: query, st: st}
	c.byQuery[query] = c.lru.PushFront(k)
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		o := old.Value.(*keptStmt)
		delete(c.byQuery, o.query)
		if o.busy {
			o.evicted = true
		} else {
			_ = o.st.Close()
		}
	}
	return k
}

// held is how many statements the connection keeps.
func (c *stmtConn) held() int { return c.lru.Len() }

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	k := c.stmt(ctx, query)
	if k == nil {
		return c.inner.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	return k.st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	k := c.stmt(ctx, query)
	if k == nil {
		return c.inner.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	r, err := k.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	k.busy = true
	return &keptRows{Rows: r, k: k}, nil
}

func (c *stmtConn) Close() error {
	for el := c.lru.Front(); el != nil; el = el.Next() {
		_ = el.Value.(*keptStmt).st.Close()
	}
	c.lru.Init()
	clear(c.byQuery)
	return c.inner.Close()
}

// The rest is the driver's connection as it is.

func (c *stmtConn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }
func (c *stmtConn) Begin() (driver.Tx, error)                 { return c.inner.Begin() } //nolint:staticcheck // required by driver.Conn

func (c *stmtConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *stmtConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *stmtConn) Ping(ctx context.Context) error { return c.inner.(driver.Pinger).Ping(ctx) }

func (c *stmtConn) ResetSession(ctx context.Context) error {
	return c.inner.(driver.SessionResetter).ResetSession(ctx)
}

func (c *stmtConn) IsValid() bool { return c.inner.(driver.Validator).IsValid() }

// keptRows are the rows of a kept statement: closing them frees it.
type keptRows struct {
	driver.Rows
	k *keptStmt
}

func (r *keptRows) Close() error {
	err := r.Rows.Close()
	r.k.busy = false
	if r.k.evicted {
		err = errors.Join(err, r.k.st.Close())
	}
	return err
}

// The column types gorm reads (database/sql asks the rows for them).

func (r *keptRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.Rows.(driver.RowsColumnTypeDatabaseTypeName).ColumnTypeDatabaseTypeName(i)
}

func (r *keptRows) ColumnTypeLength(i int) (int64, bool) {
	return r.Rows.(driver.RowsColumnTypeLength).ColumnTypeLength(i)
}

func (r *keptRows) ColumnTypeNullable(i int) (bool, bool) {
	return r.Rows.(driver.RowsColumnTypeNullable).ColumnTypeNullable(i)
}

func (r *keptRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.Rows.(driver.RowsColumnTypePrecisionScale).ColumnTypePrecisionScale(i)
}

func (r *keptRows) ColumnTypeScanType(i int) reflect.Type {
	return r.Rows.(driver.RowsColumnTypeScanType).ColumnTypeScanType(i)
}

// sqliteDSN is dsn with what the service expects of every SQLite
// connection unless the DSN says otherwise: times written as SQLite's own
// format ("2006-01-02 15:04:05.999999999-07:00"), which sorts as the times
// do when they share an offset (every time here is UTC; the driver's
// default is Go's time.Time.String), and a wait of up to 5 s for a lock
// held by another connection before SQLITE_BUSY.
func sqliteDSN(dsn string) string {
	var add []string
	if !strings.Contains(dsn, "_time_format=") {
		add = append(add, "_time_format=sqlite")
	}
	if !strings.Contains(dsn, "busy_timeout") {
		add = append(add, "_pragma=busy_timeout(5000)")
	}
	if len(add) == 0 {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(add, "&")
}
