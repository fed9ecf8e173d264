package model

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"gocloud.dev/blob"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"qinqing/configs"
	"qinqing/workflow"
)

// Store is the database side of qinqing: every query and transaction.
type Store struct {
	db    *gorm.DB
	clock func() time.Time
	cal   *workflow.Calendar
	opt   Options
	ref   *Reference

	tokens      *recentCache[tokenKey, liveToken]         // FindAccountForToken
	enterprises *recentCache[uint64, Enterprise]          // GetEnterprise
	recipients  *recentCache[recipientKey, recipientList] // a unit's or a role's accounts for case notices

	// writes queues this process's transactions on SQLite, which runs one
	// writer at a time: waiting here costs nothing, whereas a transaction
	// that finds the database locked sleeps in SQLite's busy handler (1,
	// 2, 5, 10 … 100 ms at a time), which put hundreds of milliseconds on
	// the p99 of filings under load. Nil on MySQL.
	writes *sync.Mutex
	// wdb, on SQLite, is a pool of one connection that runs every
	// transaction (inTx); the other connections read. A connection whose
	// database another connection wrote to since its last transaction
	// throws its whole page cache away at its next one; with sixteen
	// connections taking turns at writing, every write transaction started
	// on a cold cache: it read its pages again and SQLite's allocator
	// mapped and unmapped memory for them (munmap alone was 13 % of the
	// CPU of a filing load, all of it under the write lock). The one
	// writer keeps its cache warm from one transaction to the next. Nil:
	// transactions run on db (MySQL, and stores made by NewStore).
	wdb *gorm.DB
	// writer runs the transactions on SQLite, several per commit
	// (writer.go); nil on MySQL and for stores made by NewStore.
	writer *writer
	// ckpt checkpoints SQLite's write-ahead log beside the writers (nil
	// on MySQL, and for stores made by NewStore).
	ckpt *checkpointer

	// retries and reconnects count the transactions run again (inTx)
	// after a conflict and after a lost connection.
	retries, reconnects atomic.Int64
	// committed counts the transactions this process committed (inTx):
	// figures computed from the database are current while it stays the
	// same (Committed).
	committed atomic.Uint64
	// limitsPurged and tokensPurged are when (Unix seconds, by the
	// store's clock) purgeAttempts and purgeRefreshTokens last ran.
	limitsPurged, tokensPurged atomic.Int64
	// defaultTree is the embedded sample indicator tree, parsed on first use.
	defaultTree func() (configs.IndicatorTree, error)

	// blobs keeps the attachments' contents (files.go); nil: none.
	blobs *blob.Bucket
}

// Options are the settings the store uses.
type Options struct {
	// DemoLimit, when set, replaces every deadline limit (demonstrations
	// and black-box tests).
	DemoLimit workflow.Limit
	// DueSoon is how long before its deadline a step gets its due_soon
	// reminder (zero: one working day).
	DueSoon workflow.Limit
	// Webhooks receive events through the outbox.
	Webhooks []configs.Webhook
	// CredentialCache is how long an instance trusts a passing read of a
	// token's account and session (0: read on every request).
	CredentialCache time.Duration
	// OrphanFiles is how long an upload may stay unattached before the
	// scanner deletes it (0: never).
	OrphanFiles time.Duration
}

// StoreOptions picks the store's settings out of the service configuration.
func StoreOptions(cfg configs.Config) Options {
	return Options{DemoLimit: cfg.DemoLimit, DueSoon: cfg.DueSoon, Webhooks: cfg.Webhooks, CredentialCache: cfg.CredentialCache,
		OrphanFiles: cfg.Files.OrphanTTL}
}

// NewStore returns a store over db with the reference data ref (whose
// calendar counts working days). clock is the time source (time.Now in
// production), shared with the api. OpenStore is how the service gets one.
func NewStore(db *gorm.DB, ref *Reference, opt Options, clock func() time.Time) *Store {
	if clock == nil {
		clock = time.Now
	}
	var writes *sync.Mutex
	if db != nil && !IsMySQL(db) {
		writes = &sync.Mutex{}
	}
	var cal *workflow.Calendar
	if ref != nil {
		cal = ref.Calendar
	}
	return &Store{db: db, clock: clock, cal: cal, opt: opt, ref: ref, writes: writes,
		tokens:      newRecentCache[tokenKey, liveToken](opt.CredentialCache),
		enterprises: newRecentCache[uint64, Enterprise](opt.CredentialCache),
		recipients:  newRecentCache[recipientKey, recipientList](opt.CredentialCache),
		defaultTree: sync.OnceValues(configs.LoadIndicators)}
}

// DB returns the underlying handle (for health checks and tests).
func (s *Store) DB() *gorm.DB { return s.db }

// Now returns the store's current time in UTC, at the millisecond precision
// both databases keep.
func (s *Store) Now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

// Committed is how many transactions this process has committed: every
// write of a case (filing, transition, the scanner's marks) is one, and so
// are the other writes through inTx (a sign-in, a logout). Figures
// computed from the database with the same count are still those of this
// process's data; writes through other instances do not count.
func (s *Store) Committed() uint64 { return s.committed.Load() }

// txAttempts bounds how often inTx runs a transaction.
const txAttempts = 4

// inTx runs fn in a transaction. A transaction the database aborted having
// committed nothing is run again from the start (re-reading what it read),
// up to txAttempts times in all: a deadlock, which on a Galera cluster is
// also how a certification conflict with a write committed through another
// node surfaces (error 1213, at any statement or at COMMIT), and the loss
// of the connection (or of its node's quorum) before COMMIT was sent. A
// connection lost during COMMIT is not retried: the transaction may have
// committed, and the caller answers 503 instead. What is left after the
// last attempt maps to ErrVersionConflict (409) or ErrUnavailable (503).
func (s *Store) inTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		var committing bool
		committing, err = s.runTx(ctx, fn)
		if err == nil {
			s.committed.Add(1)
		}
		if err == nil || attempt == txAttempts || ctx.Err() != nil || !retryable(err, committing) {
			break
		}
		// Let the other writer finish, or the pool find another node.
		wait := time.Duration(attempt)*5*time.Millisecond + time.Duration(rand.Int64N(int64(10*time.Millisecond)))
		if isDeadlock(err) {
			s.retries.Add(1)
		} else {
			s.reconnects.Add(1)
			wait = time.Duration(attempt) * 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return formatError(err)
		case <-time.After(wait):
		}
	}
	return formatError(err)
}

// runTx runs fn in one transaction; committing reports whether the error,
// if any, came from COMMIT.
func (s *Store) runTx(ctx context.Context, fn func(tx *gorm.DB) error) (committing bool, err error) {
	if s.writer != nil {
		return s.writer.run(ctx, fn)
	}
	if s.writes != nil {
		s.writes.Lock()
		defer s.writes.Unlock()
	}
	db := s.db
	if s.wdb != nil {
		db = s.wdb
	}
	tx := db.WithContext(ctx).Begin()
	if tx.Error != nil {
		return false, tx.Error
	}
	done := false
	defer func() {
		if !done {
			tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		done = true
		tx.Rollback()
		return false, err
	}
	done = true
	err = tx.Commit().Error
	if err == nil {
		s.ckpt.written()
	}
	return true, err
}

// TxRetries is how many times this store ran a transaction again (inTx):
// after a conflict, and after a lost connection or node.
func (s *Store) TxRetries() (conflicts, lost int64) { return s.retries.Load(), s.reconnects.Load() }

// LoadReference writes the regions and departments of configs/ into the
// database (insert or update), so that rows can be joined and checked there.
func (s *Store) LoadReference(ctx context.Context) error {
	regions := make([]Region, len(s.ref.RegionList))
	for i, r := range s.ref.RegionList {
		regions[i] = Region{Code: r.Code, Name: r.Name, Level: r.Level, ParentCode: r.ParentCode}
	}
	depts := make([]Department, len(s.ref.DeptList))
	for i, d := range s.ref.DeptList {
		depts[i] = Department{Code: d.Code, Name: d.Name}
	}
	return s.inTx(ctx, func(tx *gorm.DB) error {
		up := clause.OnConflict{UpdateAll: true}
		if len(regions) > 0 {
			if err := tx.Clauses(up).Create(&regions).Error; err != nil {
				return fmt.Errorf("load regions: %w", err)
			}
		}
		if len(depts) > 0 {
			if err := tx.Clauses(up).Create(&depts).Error; err != nil {
				return fmt.Errorf("load departments: %w", err)
			}
		}
		return nil
	})
}
