package model

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// writer runs the store's transactions on SQLite (inTx), one goroutine on
// one connection, several at a time in one database transaction: group
// commit: all of a batch commit together, or none does (batch).
//
// Why: SQLite takes one writer at a time. With the transactions queued on
// a mutex, each took its turn on its own goroutine, and every turn waited
// for the scheduler to run the goroutine that had just been handed the
// lock, behind the HTTP handlers ready to run; each one also paid its own
// COMMIT (some 27 WAL frames written one pwrite at a time) and its own
// BEGIN. Under 16 clients the lock was held ~2.1 ms per filing of which
// ~0.8 ms were CPU (go tool trace and the CPU profile of the locked
// section). Here one goroutine runs the queued transactions back to back
// and commits once: the pages they share (the tables' and indexes' last
// leaves) are written once per batch, and no hand-over waits for the
// scheduler.
type writer struct {
	db   *gorm.DB
	jobs chan *writeJob
	stop chan struct{}
	done sync.WaitGroup
	// after runs once a batch committed.
	after func()
}

// A batch takes at most this many transactions, and starts no new one
// after this long, so that a batch's first transaction does not wait long
// for its COMMIT.
const (
	batchMax  = 64
	batchTime = 20 * time.Millisecond
)

type writeJob struct {
	ctx        context.Context
	fn         func(tx *gorm.DB) error
	err        error
	committing bool
	panicked   any
	done       chan struct{}
}

func startWriter(db *gorm.DB, after func()) *writer {
	w := &writer{db: db, jobs: make(chan *writeJob), stop: make(chan struct{}), after: after}
	w.done.Add(1)
	go w.loop()
	return w
}

func (w *writer) close() {
	if w == nil {
		return
	}
	close(w.stop)
	w.done.Wait()
}

// errWriterClosed: the store was closed.
var errWriterClosed = fmt.Errorf("%w: the store is closed", ErrUnavailable)

// run runs fn in a transaction of the writer and returns as runTx does.
// A panic in fn is raised again here, in the caller's goroutine.
func (w *writer) run(ctx context.Context, fn func(tx *gorm.DB) error) (bool, error) {
	j := &writeJob{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case w.jobs <- j:
	case <-ctx.Done():
		return false, ctx.Err()
	case <-w.stop:
		return false, errWriterClosed
	}
	<-j.done
	if j.panicked != nil {
		panic(j.panicked)
	}
	return j.committing, j.err
}

func (w *writer) loop() {
	defer w.done.Done()
	for {
		select {
		case <-w.stop:
			return
		case j := <-w.jobs:
			w.batch(j)
		}
	}
}

// batch runs first and whatever else is queued meanwhile in one
// transaction, without savepoints (a savepoint makes SQLite copy every page
// it changes into a statement journal first: 20 % of the writer's CPU).
// When one of them fails, the batch is rolled back, the ones before it are
// run again each in a transaction of its own, and it reports its error: it
// failed on what those before it wrote, which they then wrote again (a
// transaction function may run again; inTx does the same after a conflict).
func (w *writer) batch(first *writeJob) {
	// Statements run without the caller's cancellation: cancelling one
	// interrupts the connection, which may roll back the whole batch. A
	// caller that gave up before its turn is not run.
	tx := w.db.WithContext(context.Background()).Begin()
	if tx.Error != nil {
		first.finish(false, tx.Error)
		return
	}
	var ok []*writeJob
	start := time.Now()
	for j := first; j != nil; {
		if err := j.ctx.Err(); err != nil {
			j.finish(false, err)
		} else if j.runIn(tx); j.err != nil || j.panicked != nil {
			tx.Rollback()
			for _, o := range ok {
				w.alone(o)
			}
			j.finish(false, j.err)
			return
		} else {
			ok = append(ok, j)
		}
		j = nil
		if len(ok) < batchMax && time.Since(start) < batchTime {
			select {
			case j = <-w.jobs:
			default:
			}
		}
	}
	if len(ok) == 0 {
		tx.Rollback()
		return
	}
	err := tx.Commit().Error
	if err == nil && w.after != nil {
		w.after()
	}
	for _, j := range ok {
		j.finish(true, err)
	}
}

// alone runs j in a transaction of its own.
func (w *writer) alone(j *writeJob) {
	j.err, j.panicked = nil, nil
	tx := w.db.WithContext(context.Background()).Begin()
	if tx.Error != nil {
		j.finish(false, tx.Error)
		return
	}
	if j.runIn(tx); j.err != nil || j.panicked != nil {
		tx.Rollback()
		j.finish(false, j.err)
		return
	}
	err := tx.Commit().Error
	if err == nil && w.after != nil {
		w.after()
	}
	j.finish(true, err)
}

// runIn runs j's function in tx, keeping its error or panic.
func (j *writeJob) runIn(tx *gorm.DB) {
	defer func() {
		if p := recover(); p != nil {
			j.panicked = p
		}
	}()
	j.err = j.fn(tx.WithContext(context.WithoutCancel(j.ctx)))
}

func (j *writeJob) finish(committing bool, err error) {
	j.committing, j.err = committing, err
	close(j.done)
}
