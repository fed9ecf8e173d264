// Package model holds the gorm types of qinqing and the queries and
// transactions on them. The same code runs on the embedded SQLite default and
// on MySQL/MariaDB (and TiDB): no dialect functions in queries, times in UTC,
// sizes on every indexed string, no row locks relied upon.
package model

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/libtnb/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/callbacks"
	"gorm.io/gorm/logger"
	"modernc.org/libc"
)

// Errors of the store. The api maps them to problem responses.
var (
	// ErrNotFound: the row does not exist or lies outside the caller's scope (404).
	ErrNotFound = errors.New("model: not found")
	// ErrForbidden: the caller's grant does not cover the object's region (403).
	ErrForbidden = errors.New("model: outside the caller's grant")
	// ErrConflict: a unique key already holds this value (409).
	ErrConflict = errors.New("model: already exists")
	// ErrVersionConflict: the row changed since it was read (409).
	ErrVersionConflict = errors.New("model: version conflict")
	// ErrIdempotencyMismatch: an Idempotency-Key was reused with another body (422).
	ErrIdempotencyMismatch = errors.New("model: idempotency key reused with a different body")
	// ErrUnavailable: the database is busy or unreachable; retry later (503).
	ErrUnavailable = errors.New("model: database unavailable")
)

// ConnOptions tunes the connection pool.
type ConnOptions struct {
	MaxOpenConns int
	// Log turns on gorm's SQL logging (warnings only otherwise).
	Log bool
	// Logger, when set, hears of database nodes failing over (MySQL).
	Logger *slog.Logger
	// BackgroundCheckpoint (SQLite): commits never checkpoint the
	// write-ahead log; a store's checkpointer does (checkpoint.go).
	BackgroundCheckpoint bool
}

// Open connects to driver ("sqlite" or "mysql") at dsn. For SQLite it creates
// the file's directory. It does not migrate; call Migrate.
func Open(driver, dsn string, opt ConnOptions) (*gorm.DB, error) {
	var dial gorm.Dialector
	switch driver {
	case "sqlite":
		if err := ensureSQLiteDir(dsn); err != nil {
			return nil, err
		}
		if opt.BackgroundCheckpoint {
			dsn = noAutoCheckpoint(dsn)
		}
		conn, err := newSQLiteConnector(sqliteDSN(dsn), stmtCacheSize)
		if err != nil {
			return nil, fmt.Errorf("model: open sqlite: %w", err)
		}
		dial = sqlite.New(sqlite.Config{Conn: sql.OpenDB(conn)})
	case "mysql":
		// One server, or the nodes of a Galera cluster in order of
		// preference: tcp(db1:3306,db2:3306,db3:3306) (nodes.go).
		conn, first, err := newNodeConnector(dsn, tuneMySQL, opt.Logger)
		if err != nil {
			return nil, err
		}
		dial = mysql.New(mysql.Config{Conn: sql.OpenDB(conn), DSNConfig: first, DefaultStringSize: 191})
	default:
		return nil, fmt.Errorf("model: unknown database driver %q", driver)
	}
	lvl := logger.Silent
	if opt.Log {
		lvl = logger.Info
	}
	db, err := gorm.Open(dial, &gorm.Config{
		// Every write that needs a transaction opens one explicitly.
		SkipDefaultTransaction: true,
		TranslateError:         true,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		Logger:                 logger.Default.LogMode(lvl),
		// No prepared statements through gorm: SQLite connections keep
		// their statements compiled themselves (stmtcache.go), and MySQL
		// interpolates arguments instead (tuneMySQL).
		PrepareStmt: false,
	})
	if err != nil {
		return nil, fmt.Errorf("model: open %s: %w", driver, err)
	}
	if driver == "sqlite" {
		plainInserts(db)
		pinAllocator()
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	n := opt.MaxOpenConns
	if n <= 0 {
		n = 16
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
	if driver == "mysql" {
		// A connection on a fallback node is replaced within a minute, by
		// one on the first node of the list when it is back (nodes.go).
		sqlDB.SetConnMaxLifetime(connMaxLifetime)
	} else {
		sqlDB.SetConnMaxLifetime(4 * time.Minute)
	}
	sqlDB.SetConnMaxIdleTime(time.Minute)
	return db, nil
}

// tuneMySQL sets what the service needs of every MySQL connection.
func tuneMySQL(c *mysqldrv.Config) {
	// No call may hang on a dead server: bound dialing and each read and
	// write unless the DSN says otherwise; times are UTC.
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
	c.ParseTime = true
	// Arguments are interpolated into the statement on the client (safe
	// with utf8mb4; the driver refuses the charsets where it is not), so
	// a statement is one round trip instead of prepare, execute and close.
	c.InterpolateParams = true
}

// plainInserts makes gorm insert on SQLite without RETURNING, taking a new
// row's id from last_insert_rowid() as it does from LAST_INSERT_ID() on
// MySQL. The dialect appends "RETURNING id" to every INSERT into a table
// with an auto-increment key (the only column here whose value the
// database makes up), and SQLite compiles an INSERT … RETURNING into a
// NOT NULL table as a statement that may abort after writing: inside a
// transaction it opens a statement journal and copies into it, in memory,
// every page the INSERT touches (the table's and each index's; requests has
// eleven indexes). On a filing, three INSERTs, that copying and the
// allocator's mmap/munmap behind it were about 40 % of the service's CPU,
// all of it spent holding SQLite's single write lock.
func plainInserts(db *gorm.DB) {
	clauses := []string{"INSERT", "VALUES", "ON CONFLICT"}
	create := db.Callback().Create()
	create.Clauses = clauses
	_ = create.Replace("gorm:create", callbacks.Create(&callbacks.Config{CreateClauses: clauses, LastInsertIDReversed: true}))
}

// pinAllocator keeps one block of each size class of the pure-Go SQLite's
// memory allocator alive for the life of the process. modernc.org/libc
// serves malloc from 64 KiB pages, one size class (16 B … 16 KiB) a page,
// and modernc.org/memory unmaps a page the moment its last block is freed.
// The service runs a statement or two per HTTP request with Go work in
// between, so SQLite's heap was often empty between statements and each
// prepare, step and finalize mapped pages and unmapped them again: about 3
// mmap and 7 munmap system calls per SELECT by primary key, which then took
// 300–600 µs instead of 50–90 µs. One block held in each of the eleven
// classes keeps each class's first page mapped (704 KiB of address space,
// a few KiB resident).
var pinAllocator = sync.OnceFunc(func() {
	tls := libc.NewTLS()
	defer tls.Close()
	mallocEachClass(libc.Xmalloc, tls)
})

// mallocEachClass allocates one block of each size class and never frees
// it (generic over the platform's size_t).
func mallocEachClass[N ~uint32 | ~uint64](malloc func(*libc.TLS, N) uintptr, tls *libc.TLS) {
	for log := 4; log <= 14; log++ {
		malloc(tls, N(1)<<log)
	}
}

// ensureSQLiteDir makes the SQLite database's directory 0700 and its
// files 0600, whatever existed before: they hold every case and account
// (and beside them the generated JWT secret). The directory of a database
// in the working directory itself is left alone. SQLite creates the -wal and
// -shm files with the database file's mode.
func ensureSQLiteDir(dsn string) error {
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p == "" || p == ":memory:" || strings.HasPrefix(p, ":memory:") {
		return nil
	}
	if dir := filepath.Dir(p); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("model: create data directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("model: restrict data directory: %w", err)
		}
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("model: create database file: %w", err)
	}
	_ = f.Close()
	for _, name := range []string{p, p + "-wal", p + "-shm", p + "-journal"} {
		if err := os.Chmod(name, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("model: restrict database file: %w", err)
		}
	}
	return nil
}

// Shared tells whether several instances of the service may share this
// store's database (MySQL, MariaDB, Galera, TiDB), so that what they must
// agree on (sign-in attempts, rate limits) is kept in it.
func (s *Store) Shared() bool { return IsMySQL(s.db) }

// IsMySQL reports whether db speaks the MySQL dialect.
func IsMySQL(db *gorm.DB) bool { return db.Dialector.Name() == "mysql" }

// formatError normalises driver errors into the store's vocabulary.
func formatError(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.Is(err, ErrUnavailable):
		return err
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysqldrv.ErrInvalidConn):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case errDeadlock, errLockWait: // deadlock or certification conflict, lock wait timeout: the other writer won
			return fmt.Errorf("%w: %v", ErrVersionConflict, err)
		case errWsrepNotReady, errWsrepAppend: // the Galera node is outside the Primary Component
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		case 1040, 1053, 2002, 2003, 2006, 2013:
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	msg := err.Error()
	if strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY") ||
		strings.Contains(msg, "connection refused") || strings.Contains(msg, "bad connection") ||
		strings.Contains(msg, "invalid connection") {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return err
}

// tableOptions makes MySQL tables utf8mb4 whatever the server default is,
// so any Unicode (emoji, CJK Extension B) round-trips.
func tableOptions(tx *gorm.DB) *gorm.DB {
	if IsMySQL(tx) {
		return tx.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci").Session(&gorm.Session{})
	}
	return tx
}

// Ping checks that the database answers.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return formatError(err)
	}
	return nodeReady(ctx, sqlDB)
}

// Cluster returns what the connector of db did (nil for SQLite).
func Cluster(db *gorm.DB) *ClusterStats {
	sqlDB, err := db.DB()
	if err != nil {
		return nil
	}
	if c := clusterOf(sqlDB); c != nil {
		return c.stats
	}
	return nil
}

// Analyze refreshes the query planner's statistics where the database does
// not keep them itself. SQLite plans without them by guesswork: on 1 M
// requests it read the 办结率 cohort through (region_code, status) and the
// /stats events through (case_kind, case_id), seconds instead of
// milliseconds. ANALYZE, sampling at most 1,000 rows of each index, costs a
// few tens of milliseconds at any size. MySQL and MariaDB (InnoDB) update
// their statistics themselves: nothing to do.
func (s *Store) Analyze(ctx context.Context) error {
	if IsMySQL(s.db) {
		return nil
	}
	return formatError(s.db.WithContext(ctx).Connection(func(c *gorm.DB) error {
		if err := c.Exec("PRAGMA analysis_limit = 1000").Error; err != nil {
			return err
		}
		return c.Exec("ANALYZE").Error
	}))
}

// isDeadlock reports a deadlock or, on Galera, a certification conflict.
func isDeadlock(err error) bool {
	var me *mysqldrv.MySQLError
	return errors.As(err, &me) && me.Number == errDeadlock
}

// retryable reports whether a transaction that failed with err committed
// nothing for certain, so that it may be run again: a deadlock (InnoDB
// rolled it back; on Galera a certification failure is never committed),
// or, before COMMIT was sent, a lost connection or a node that left the
// Primary Component.
func retryable(err error, committing bool) bool {
	if isDeadlock(err) {
		return true
	}
	if committing {
		return false
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysqldrv.ErrInvalidConn) ||
		errors.Is(err, ErrUnavailable) || notReady(err) || isConnRefused(err)
}

// isConnRefused: the server is down (the driver's dial error).
func isConnRefused(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection refused")
}
