package api

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// figureCache keeps figures the console computes over many rows — the
// deadline board's counts, the statistics page's indicators — so that the
// pages stay fast on a large database. Two kinds of figure:
//
//   - counts (get): served again while their computation ended less than
//     ttl (figures_cache) ago and this process has committed no transaction
//     since it started (model.Store.Committed). A filing, transition or
//     scanner mark through this instance makes them stale at once, so an
//     instance never shows counts behind its own writes; writes through
//     other instances show within ttl. A stale count is computed again
//     while the page waits (0.1–0.3 s for a city's board on a million
//     requests).
//   - period figures (getPeriod): the statistics of a period, which take
//     seconds on a million requests. Served while younger than ttl; an older
//     one is still served, with the time it was computed (the page says
//     截至), while one computation in the background replaces it. Only a
//     figure never computed makes the page wait.
//
// One computation runs per key at a time; the pages asking meanwhile wait
// for its answer. It runs on past the asking page's deadline (bounded by
// figureComputeLimit), so a page that timed out on a cold cache leaves the
// figure for the next one. The API (/stats, /deadlines) never reads from
// here: its answers are computed per request.
type figureCache struct {
	ttl       time.Duration
	now       func() time.Time
	committed func() uint64

	mu    sync.Mutex
	items map[string]figure
	calls singleflight.Group
}

type figure struct {
	v any
	// at is when the computation started (the figures are those of the
	// data then: the pages say 截至 at), done when it ended, from which
	// the figure lives ttl.
	at, done  time.Time
	committed uint64
}

// figureCacheMax bounds the figures kept; past it the stale ones go, and
// if that is not enough, all of them.
const figureCacheMax = 1024

// figureComputeLimit bounds one computation running for the cache.
const figureComputeLimit = 2 * time.Minute

func newFigureCache(ttl time.Duration, now func() time.Time, committed func() uint64) *figureCache {
	return &figureCache{ttl: ttl, now: now, committed: committed, items: map[string]figure{}}
}

// get returns the counts under key, computing them with compute when there
// are no current ones, and when they were computed.
func (c *figureCache) get(ctx context.Context, key string, compute func(context.Context) (any, error)) (any, time.Time, error) {
	if c.ttl <= 0 {
		v, err := compute(ctx)
		return v, c.now(), err
	}
	if f, ok := c.lookup(key); ok && c.fresh(f, true) {
		return f.v, f.at, nil
	}
	return c.wait(ctx, c.compute(ctx, key, compute))
}

// getPeriod returns the period figures under key: a current one, else an
// older one while a computation in the background replaces it, else (never
// computed) the one computed now.
func (c *figureCache) getPeriod(ctx context.Context, key string, compute func(context.Context) (any, error)) (any, time.Time, error) {
	if c.ttl <= 0 {
		v, err := compute(ctx)
		return v, c.now(), err
	}
	f, ok := c.lookup(key)
	if ok && c.fresh(f, false) {
		return f.v, f.at, nil
	}
	ch := c.compute(ctx, key, compute)
	if ok {
		return f.v, f.at, nil
	}
	return c.wait(ctx, ch)
}

// compute starts (or joins) the computation of key.
func (c *figureCache) compute(ctx context.Context, key string, compute func(context.Context) (any, error)) <-chan singleflight.Result {
	return c.calls.DoChan(key, func() (any, error) {
		// What the database holds from here on is at least what this
		// process had committed when the computation started.
		committed, at := c.committed(), c.now()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), figureComputeLimit)
		defer cancel()
		v, err := compute(cctx)
		if err != nil {
			return nil, err
		}
		f := figure{v: v, at: at, done: c.now(), committed: committed}
		c.put(key, f)
		return f, nil
	})
}

func (c *figureCache) wait(ctx context.Context, ch <-chan singleflight.Result) (any, time.Time, error) {
	select {
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, time.Time{}, r.Err
		}
		f := r.Val.(figure)
		return f.v, f.at, nil
	}
}

func (c *figureCache) lookup(key string) (figure, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.items[key]
	return f, ok
}

// fresh: f ended less than ttl ago and, for counts, nothing was committed
// here since it started.
func (c *figureCache) fresh(f figure, counts bool) bool {
	return c.now().Sub(f.done) < c.ttl && (!counts || f.committed == c.committed())
}

func (c *figureCache) put(key string, f figure) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.items) >= figureCacheMax {
		for k, old := range c.items {
			if c.now().Sub(old.done) >= c.ttl {
				delete(c.items, k)
			}
		}
		if len(c.items) >= figureCacheMax {
			clear(c.items)
		}
	}
	c.items[key] = f
}
