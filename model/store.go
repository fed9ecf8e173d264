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
	cfg   configs.Config
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

// NewStore returns a store over db. clock is the time source (time.Now in
// production); cal counts working days; cfg gives limits and DemoLimit.
func NewStore(db *gorm.DB, ref *Reference, cal *workflow.Calendar, cfg configs.Config, clock func() time.Time) *Store {
	if clock == nil {
		clock = time.Now
	}
	var writes *sync.Mutex
	if db != nil && !IsMySQL(db) {
		writes = &sync.Mutex{}
	}
	return &Store{db: db, clock: clock, cal: cal, cfg: cfg, ref: ref, writes: writes,
		tokens:      newRecentCache[tokenKey, liveToken](cfg.CredentialCache),
		enterprises: newRecentCache[uint64, Enterprise](cfg.CredentialCache)}
}

// DB returns the underlying handle (for health checks and tests).
func (s *Store) DB() *gorm.DB { return s.db }

// Reference returns the reference data the store was built with.
func (s *Store) Reference() *Reference { return s.ref }

// Calendar returns the working-day calendar.
func (s *Store) Calendar() *workflow.Calendar { return s.cal }

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

// Reference is the reference data of configs/, indexed for lookups.
type Reference struct {
	Regions     map[string]configs.Region
	RegionList  []configs.Region
	Departments map[string]configs.Department
	DeptList    []configs.Department
	Categories  map[string]configs.Category
	CatList     []configs.Category
	Parents     map[string]string
	Raw         configs.Reference
}

// NewReference indexes r.
func NewReference(r configs.Reference) *Reference {
	ref := &Reference{
		Regions:     map[string]configs.Region{},
		Departments: map[string]configs.Department{},
		Categories:  map[string]configs.Category{},
		Parents:     map[string]string{},
		RegionList:  r.Regions,
		DeptList:    r.Departments,
		CatList:     r.Categories,
		Raw:         r,
	}
	for _, x := range r.Regions {
		ref.Regions[x.Code] = x
		ref.Parents[x.Code] = x.ParentCode
	}
	for _, x := range r.Departments {
		ref.Departments[x.Code] = x
	}
	for _, x := range r.Categories {
		ref.Categories[x.Code] = x
	}
	return ref
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
