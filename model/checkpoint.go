package model

import (
	"context"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// SQLite in WAL mode appends each commit to the -wal file and copies the
// pages back into the database in a checkpoint. By default the commit that
// takes the log past 1,000 pages runs that checkpoint itself, fsyncs
// included, before it returns. A filing writes about 27 pages (the request
// and its eleven indexes, the event, the stored answer), so every 35th or so
// checkpointed some 1,000 pages and waited for two fsyncs while holding the
// write lock, and every writer queued behind it: under 16 clients the
// checkpoints took 27 % and their writes a further 15 % of the wall time in
// the profile of the locked section. The store's connections therefore
// never checkpoint on commit (wal_autocheckpoint 0); a goroutine of the
// store does it, PASSIVE, beside the writers and readers: it copies what no
// reader still needs and neither waits for nor blocks anyone.

// noAutoCheckpoint returns the SQLite DSN with commits that never
// checkpoint (the store's checkpointer does).
func noAutoCheckpoint(dsn string) string {
	if strings.Contains(dsn, "wal_autocheckpoint") {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "_pragma=wal_autocheckpoint(0)"
}

// checkpointEvery is how often the checkpointer runs at most; it runs after
// a write transaction, and at least this often while the process lives (a
// write outside inTx, or another process's, also grows the log).
const checkpointEvery = 200 * time.Millisecond

// checkpointer copies the write-ahead log into the database in the
// background (SQLite only).
type checkpointer struct {
	wrote chan struct{}
	stop  context.CancelFunc
	done  sync.WaitGroup
}

// startCheckpointer runs the checkpoints of db until stop.
func startCheckpointer(db *gorm.DB) *checkpointer {
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{wrote: make(chan struct{}, 1), stop: stop}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		idle := time.NewTicker(time.Second)
		defer idle.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.wrote:
			case <-idle.C:
			}
			// PASSIVE: copy what is not in use; never wait for a lock.
			_ = db.WithContext(ctx).Exec("PRAGMA wal_checkpoint(PASSIVE)").Error
			select {
			case <-ctx.Done():
				return
			case <-time.After(checkpointEvery):
			}
		}
	}()
	return c
}

// written tells the checkpointer that a transaction committed.
func (c *checkpointer) written() {
	if c == nil {
		return
	}
	select {
	case c.wrote <- struct{}{}:
	default:
	}
}

func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.stop()
	c.done.Wait()
}
