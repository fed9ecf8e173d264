package model

import (
	"sync"
	"time"
)

// recentCache remembers rows read on nearly every request (the account and
// session behind an access token, the enterprise of a filing account) for a
// short time, so that a busy instance does not read them again for each
// request. Entries expire after ttl by the store's clock; a ttl of 0
// disables the cache. The store drops entries itself when it changes what
// they hold, so on one instance a change is seen at the next request; other
// instances see it within ttl.
type recentCache[K comparable, V any] struct {
	ttl time.Duration
	max int

	mu  sync.Mutex
	m   map[K]recentEntry[V]
	gen uint64 // bumped by clear: a read begun before it is not kept
}

type recentEntry[V any] struct {
	v  V
	at time.Time
}

// recentCacheMax bounds the entries kept; past it the cache starts over.
const recentCacheMax = 100_000

func newRecentCache[K comparable, V any](ttl time.Duration) *recentCache[K, V] {
	return &recentCache[K, V]{ttl: ttl, max: recentCacheMax, m: map[K]recentEntry[V]{}}
}

func (c *recentCache[K, V]) get(k K, now time.Time) (V, bool) {
	var zero V
	if c == nil || c.ttl <= 0 {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return zero, false
	}
	if age := now.Sub(e.at); age < 0 || age >= c.ttl {
		delete(c.m, k)
		return zero, false
	}
	return e.v, true
}

// generation is taken before reading the database for an entry, and given
// to put: a clear in between (a change committed meanwhile) means the read
// may predate the change, and it is not kept.
func (c *recentCache[K, V]) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *recentCache[K, V]) put(k K, v V, now time.Time, gen uint64) {
	if c == nil || c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = recentEntry[V]{v: v, at: now}
}

// clear forgets every entry, after a change to what entries hold has
// committed.
func (c *recentCache[K, V]) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// tokenKey names the account and session an access token is for.
type tokenKey struct{ account, session uint64 }

// liveToken is what FindAccountForToken read: the account and when its
// session ends.
type liveToken struct {
	account   Account
	expiresAt time.Time
}
