package model

import (
	"context"
	"sync"
	"time"
)

// Attempts reserves sign-in attempts before a password is checked. The
// Store keeps them in the database every instance shares; LocalAttempts
// keeps them in one process's memory for the embedded single-process
// default. Both count by the same rule (attemptBlocked).
type Attempts interface {
	// ReserveAttempt takes one attempt for every key at once, or none:
	// when a key is at one of its limits it returns how long until it is
	// not, and which limit.
	ReserveAttempt(ctx context.Context, keys []AttemptKey) (ticket string, wait time.Duration, limit AttemptLimit, err error)
	// ReleaseAttempt gives back the failure of an attempt whose check
	// succeeded; it still counts as a try.
	ReleaseAttempt(ctx context.Context, ticket string) error
	// ResetAttempts forgets the failures of keys (their tries still count).
	ResetAttempts(ctx context.Context, keys ...string) error
}

var (
	_ Attempts = (*Store)(nil)
	_ Attempts = (*LocalAttempts)(nil)
)

// LocalAttempts is Attempts in memory: one mutex makes each reservation
// atomic, so parallel attempts for a key never check more passwords than
// its budget allows.
type LocalAttempts struct {
	clock func() time.Time
	mu    sync.Mutex
	keys  map[string][]LimitAttempt // key → attempts, oldest first
	// open are the tickets not yet released: the keys they reserved.
	open  map[string]openTicket
	sweep time.Time
}

type openTicket struct {
	keys []string
	at   time.Time
}

// NewLocalAttempts counts attempts in memory by clock.
func NewLocalAttempts(clock func() time.Time) *LocalAttempts {
	if clock == nil {
		clock = time.Now
	}
	return &LocalAttempts{clock: clock, keys: map[string][]LimitAttempt{}, open: map[string]openTicket{}}
}

// recent drops the attempts of key older than keep; the caller holds mu.
func (l *LocalAttempts) recent(key string, now time.Time) []LimitAttempt {
	as := l.keys[key]
	i := 0
	for i < len(as) && now.Sub(as[i].At) >= attemptsKept {
		i++
	}
	if as = as[i:]; len(as) == 0 {
		delete(l.keys, key)
		return nil
	}
	l.keys[key] = as
	return as
}

// ReserveAttempt implements Attempts.
func (l *LocalAttempts) ReserveAttempt(_ context.Context, keys []AttemptKey) (string, time.Duration, AttemptLimit, error) {
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		for k := range l.keys {
			l.recent(k, now)
		}
		for t, o := range l.open {
			if now.Sub(o.at) >= attemptsKept {
				delete(l.open, t)
			}
		}
		l.sweep = now
	}
	var wait time.Duration
	limit := AttemptAllowed
	for _, k := range keys {
		if d, lim := attemptBlocked(k, l.recent(limitKey(k.Key), now), now); lim != AttemptAllowed && (limit == AttemptAllowed || d > wait) {
			wait, limit = max(d, time.Second), lim
		}
	}
	if limit != AttemptAllowed {
		return "", wait, limit, nil
	}
	ticket := newToken()
	o := openTicket{at: now}
	for _, k := range keys {
		key := limitKey(k.Key)
		o.keys = append(o.keys, key)
		as := l.keys[key]
		// Older attempts than the longest window no longer decide anything.
		if n := max(k.Failures.Max, k.Tries.Max); n > 0 && len(as) > 4*n {
			as = as[len(as)-4*n:]
		}
		l.keys[key] = append(as, LimitAttempt{Key: key, At: now, Ticket: ticket, Fail: true})
	}
	l.open[ticket] = o
	return ticket, 0, AttemptAllowed, nil
}

// ReleaseAttempt implements Attempts.
func (l *LocalAttempts) ReleaseAttempt(_ context.Context, ticket string) error {
	if ticket == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, key := range l.open[ticket].keys {
		as := l.keys[key]
		for i := range as {
			if as[i].Ticket == ticket {
				as[i].Fail = false
			}
		}
	}
	delete(l.open, ticket)
	return nil
}

// ResetAttempts implements Attempts.
func (l *LocalAttempts) ResetAttempts(_ context.Context, keys ...string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		as := l.keys[limitKey(k)]
		for i := range as {
			as[i].Fail = false
		}
	}
	return nil
}
