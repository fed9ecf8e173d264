package model

import (
	"context"
	"fmt"
	"sync"
	"time"

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

	tokens      *recentCache[tokenKey, liveToken] // FindAccountForToken
	enterprises *recentCache[uint64, Enterprise]  // GetEnterprise

	// writes queues this process's transactions on SQLite, which runs one
	// writer at a time: waiting here costs nothing, whereas a transaction
	// that finds the database locked sleeps in SQLite's busy handler (1,
	// 2, 5, 10 … 100 ms at a time), which put hundreds of milliseconds on
	// the p99 of filings under load. Nil on MySQL.
	writes *sync.Mutex
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
}

// StoreOptions picks the store's settings out of the service configuration.
func StoreOptions(cfg configs.Config) Options {
	return Options{DemoLimit: cfg.DemoLimit, DueSoon: cfg.DueSoon, Webhooks: cfg.Webhooks, CredentialCache: cfg.CredentialCache}
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
		enterprises: newRecentCache[uint64, Enterprise](opt.CredentialCache)}
}

// DB returns the underlying handle (for health checks and tests).
func (s *Store) DB() *gorm.DB { return s.db }

// Now returns the store's current time in UTC, at the millisecond precision
// both databases keep.
func (s *Store) Now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

func (s *Store) inTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.writes != nil {
		s.writes.Lock()
		defer s.writes.Unlock()
	}
	return formatError(s.db.WithContext(ctx).Transaction(fn))
}

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
