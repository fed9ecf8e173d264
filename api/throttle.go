package api

import (
	"math"
	"sync"
	"time"
)

// Login throttling (等保 登录失败处理; OWASP API2/API4): failed sign-ins are
// counted per account name and per client address in a sliding window;
// once a key has its maximum of failures in the window, sign-ins for it
// answer 429 with Retry-After until the oldest failure leaves the window,
// without any password being checked. A successful sign-in clears the
// account's count (not the address's). Unknown usernames are counted like
// known ones, so the answers do not tell them apart.
//
// The counts live in each instance's memory: with N instances behind a
// balancer an attacker gets up to N × the failures per window, and a
// restart forgets them. The per-address limit is higher than the
// per-account one, since many people may share an address (NAT).
const (
	throttleWindow     = 15 * time.Minute
	throttleMaxAccount = 5
	throttleMaxAddress = 20
)

type loginThrottle struct {
	clock func() time.Time
	mu    sync.Mutex
	fails map[string][]time.Time // key → failure times within the window, oldest first
	sweep time.Time
}

func newLoginThrottle(clock func() time.Time) *loginThrottle {
	return &loginThrottle{clock: clock, fails: map[string][]time.Time{}}
}

func accountKey(username string) string { return "account:" + username }
func addressKey(ip string) string       { return "address:" + ip }

func throttleMax(key string) int {
	if len(key) > 8 && key[:8] == "address:" {
		return throttleMaxAddress
	}
	return throttleMaxAccount
}

// recent drops the failures of key that left the window; the caller holds mu.
func (t *loginThrottle) recent(key string, now time.Time) []time.Time {
	fs := t.fails[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= throttleWindow {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fails, key)
		return nil
	}
	t.fails[key] = fs
	return fs
}

// wait returns how long the first of keys that is at its limit stays
// blocked; 0 when none is.
func (t *loginThrottle) wait(keys ...string) time.Duration {
	now := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	var longest time.Duration
	for _, k := range keys {
		fs := t.recent(k, now)
		if n := throttleMax(k); len(fs) >= n {
			if d := fs[len(fs)-n].Add(throttleWindow).Sub(now); d > longest {
				longest = d
			}
		}
	}
	return longest
}

// fail records a failure for each key.
func (t *loginThrottle) fail(keys ...string) {
	now := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.sweep) > time.Minute {
		for k := range t.fails {
			t.recent(k, now)
		}
		t.sweep = now
	}
	for _, k := range keys {
		fs := append(t.recent(k, now), now)
		if n := throttleMax(k); len(fs) > n {
			fs = fs[len(fs)-n:]
		}
		t.fails[k] = fs
	}
}

// clear forgets the failures of key.
func (t *loginThrottle) clear(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

// throttled is the answer while a key is blocked.
func throttled(wait time.Duration) error {
	return retryAfter(errLoginThrottled, int(math.Ceil(wait.Seconds())))
}
