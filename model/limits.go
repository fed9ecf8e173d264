package model

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Limits shared by every instance of the service, kept in the database
// they already share: the sign-in attempts behind login throttling, and
// the token buckets behind the per-account rate limit. The embedded
// single-process default keeps both in memory instead (api); these are
// for several instances on MySQL, MariaDB or a Galera cluster.
//
// Why the database and not Redis: the database is already shared by every
// instance and, on Galera, survives the loss of a node; Redis would be one
// more server to run, secure and make highly available, for a few writes
// a second. The counts stay small: a sign-in attempt is one row per key
// (written only when a password is about to be checked), and the rate
// limit takes tokens from the shared bucket in chunks (RateLimiter), so a
// busy account costs one write per chunk, not per request.

// LimitAttempt is one sign-in attempt for a key (an account name or a
// client address), counted as a failure until released.
type LimitAttempt struct {
	ID     uint64    `gorm:"primaryKey"`
	Key    string    `gorm:"column:limit_key;size:191;not null;index:idx_limit_attempts_key_at,priority:1"`
	At     time.Time `gorm:"not null;index:idx_limit_attempts_key_at,priority:2;index:idx_limit_attempts_at"`
	Ticket string    `gorm:"size:32;not null;index"`
	Fail   bool      `gorm:"not null"`
}

// LimitKey is the row a reservation for a key writes first, so that two
// reservations of one key are serialised (on one server by its row lock,
// across Galera nodes by certification: the second to commit runs again).
type LimitKey struct {
	Key     string    `gorm:"column:limit_key;primaryKey;size:191"`
	Touched time.Time `gorm:"not null"`
	Seq     int64     `gorm:"not null"`
}

// LimitBucket is a shared token bucket: Milli thousandths of a token at
// AtMS (Unix milliseconds); Version moves on with each take.
type LimitBucket struct {
	Key     string `gorm:"column:limit_key;primaryKey;size:191"`
	Milli   int64  `gorm:"not null"`
	AtMS    int64  `gorm:"column:at_ms;not null"`
	Version int64  `gorm:"not null"`
}

// limitKey keeps a key within its column (long keys are hashed).
func limitKey(k string) string {
	if len(k) <= 128 {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// AttemptBudget is at most Max attempts in a sliding Window.
type AttemptBudget struct {
	Max    int
	Window time.Duration
}

// AttemptKey is a key with its budgets: Failures counts the attempts not
// released, Tries every attempt.
type AttemptKey struct {
	Key             string
	Failures, Tries AttemptBudget
}

// AttemptLimit names the budget a refused reservation ran out of.
type AttemptLimit uint8

// The budgets.
const (
	AttemptAllowed AttemptLimit = iota
	AttemptFailures
	AttemptTries
)

var errAttemptRefused = errors.New("model: attempt refused")

// ReserveAttempt takes one attempt for every key at once, or none: when a
// key is at one of its limits it returns how long until it is not, and
// which limit. The ticket names the attempt for ReleaseAttempt.
func (s *Store) ReserveAttempt(ctx context.Context, keys []AttemptKey) (ticket string, wait time.Duration, limit AttemptLimit, err error) {
	keys = slices.Clone(keys)
	for i := range keys {
		keys[i].Key = limitKey(keys[i].Key)
	}
	// Keys in one order: two reservations never wait for each other's rows.
	slices.SortFunc(keys, func(a, b AttemptKey) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	s.purgeAttempts(ctx)
	ticket = newToken()
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.Now()
		wait, limit = 0, AttemptAllowed
		for _, k := range keys {
			// seq always changes: an update that changes nothing writes
			// nothing, and Galera would certify nothing against it.
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "limit_key"}},
				DoUpdates: clause.Assignments(map[string]any{"touched": now, "seq": gorm.Expr("seq + 1")})}).
				Create(&LimitKey{Key: k.Key, Touched: now, Seq: 1}).Error; err != nil {
				return err
			}
		}
		for _, k := range keys {
			var rows []LimitAttempt
			oldest := now.Add(-max(k.Failures.Window, k.Tries.Window))
			if err := tx.Select("at", "fail").Where("limit_key = ? AND at > ?", k.Key, oldest).Order("at").
				Find(&rows).Error; err != nil {
				return err
			}
			if d, l := attemptBlocked(k, rows, now); l != AttemptAllowed && (limit == AttemptAllowed || d > wait) {
				wait, limit = max(d, time.Second), l
			}
		}
		if limit != AttemptAllowed {
			return errAttemptRefused // nothing written
		}
		rows := make([]LimitAttempt, len(keys))
		for i, k := range keys {
			rows[i] = LimitAttempt{Key: k.Key, At: now, Ticket: ticket, Fail: true}
		}
		return tx.Create(&rows).Error
	})
	if errors.Is(err, errAttemptRefused) {
		return "", wait, limit, nil
	}
	if err != nil {
		return "", 0, AttemptAllowed, err
	}
	return ticket, 0, AttemptAllowed, nil
}

// attemptBlocked returns how long k stays at a limit at now given its
// recent attempts (oldest first), and which limit.
func attemptBlocked(k AttemptKey, rows []LimitAttempt, now time.Time) (time.Duration, AttemptLimit) {
	var fails, tries []time.Time
	for _, r := range rows {
		age := now.Sub(r.At)
		if r.Fail && age < k.Failures.Window {
			fails = append(fails, r.At)
		}
		if age < k.Tries.Window {
			tries = append(tries, r.At)
		}
	}
	if n, m := len(fails), k.Failures.Max; m > 0 && n >= m {
		return fails[n-m].Add(k.Failures.Window).Sub(now), AttemptFailures
	}
	if n, m := len(tries), k.Tries.Max; m > 0 && n >= m {
		return tries[n-m].Add(k.Tries.Window).Sub(now), AttemptTries
	}
	return 0, AttemptAllowed
}

// ReleaseAttempt gives back the failure of a reserved attempt whose check
// succeeded; it still counts as a try.
func (s *Store) ReleaseAttempt(ctx context.Context, ticket string) error {
	if ticket == "" {
		return nil
	}
	return formatError(s.db.WithContext(ctx).Model(&LimitAttempt{}).Where("ticket = ? AND fail = ?", ticket, true).
		Update("fail", false).Error)
}

// ResetAttempts forgets the failures of keys (their tries still count).
func (s *Store) ResetAttempts(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	ks := make([]string, len(keys))
	for i, k := range keys {
		ks[i] = limitKey(k)
	}
	return formatError(s.db.WithContext(ctx).Model(&LimitAttempt{}).Where("limit_key IN ? AND fail = ?", ks, true).
		Update("fail", false).Error)
}

// attemptsKept is how long attempts are kept: longer than any window.
const attemptsKept = 24 * time.Hour

// purgeAttempts deletes, at most once a minute per store and at most 1000
// at a time, attempts older than attemptsKept, and the key rows not
// touched since. Failures are ignored: it runs again later.
func (s *Store) purgeAttempts(ctx context.Context) {
	now := s.Now().Unix()
	last := s.limitsPurged.Load()
	if now-last < 60 || !s.limitsPurged.CompareAndSwap(last, now) {
		return
	}
	cut := s.Now().Add(-attemptsKept)
	db := s.db.WithContext(ctx)
	var ids []uint64
	if db.Model(&LimitAttempt{}).Where("at < ?", cut).Order("at").Limit(1000).Pluck("id", &ids).Error == nil && len(ids) > 0 {
		_ = db.Where("id IN ?", ids).Delete(&LimitAttempt{}).Error
	}
	var keys []string
	if db.Model(&LimitKey{}).Where("touched < ?", cut).Limit(1000).Pluck("limit_key", &keys).Error == nil && len(keys) > 0 {
		_ = db.Where("limit_key IN ? AND touched < ?", keys, cut).Delete(&LimitKey{}).Error
	}
}

// TakeTokens takes up to want tokens from the shared bucket of key, which
// holds at most burst tokens and gains rate a second. It returns how many
// it took and, when none, how long until one is there. Each take is a
// compare-and-set on the bucket's version, run again (a few times) when
// another instance took in between; no lock is held across statements.
func (s *Store) TakeTokens(ctx context.Context, key string, rate float64, burst, want int) (int, time.Duration, error) {
	if want < 1 || burst < 1 || rate <= 0 {
		return 0, 0, errors.New("model: TakeTokens needs want, burst and rate above zero")
	}
	key = limitKey(key)
	db := s.db.WithContext(ctx)
	full := int64(burst) * 1000
	for attempt := 0; attempt < 8; attempt++ {
		now := s.Now().UnixMilli()
		var b LimitBucket
		err := db.Where("limit_key = ?", key).Take(&b).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			take := int64(min(want, burst)) * 1000
			res := db.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&LimitBucket{Key: key, Milli: full - take, AtMS: now, Version: 1})
			if isDeadlock(res.Error) {
				continue // created through another Galera node at the same time
			}
			if res.Error != nil {
				return 0, 0, formatError(res.Error)
			}
			if res.RowsAffected == 1 {
				return int(take / 1000), 0, nil
			}
			continue // created by another instance in between
		}
		if err != nil {
			return 0, 0, formatError(err)
		}
		milli := b.Milli
		if elapsed := now - b.AtMS; elapsed > 0 {
			milli = min(full, milli+int64(float64(elapsed)*rate))
		}
		take := min(int64(want), milli/1000) * 1000
		if take == 0 {
			return 0, time.Duration(float64(1000-milli)/rate) * time.Millisecond, nil
		}
		res := db.Model(&LimitBucket{}).Where("limit_key = ? AND version = ?", key, b.Version).
			Updates(map[string]any{"milli": milli - take, "at_ms": max(now, b.AtMS), "version": b.Version + 1})
		if isDeadlock(res.Error) {
			continue // a conflict with a take through another Galera node
		}
		if res.Error != nil {
			return 0, 0, formatError(res.Error)
		}
		if res.RowsAffected == 1 {
			return int(take / 1000), 0, nil
		}
	}
	return 0, 0, ErrVersionConflict
}

// RateLimiter is a token bucket per key shared by every instance through
// TakeTokens. Each instance takes tokens from the shared bucket a chunk at
// a time and spends them locally, so a busy key costs one database write
// per chunk. What one instance holds unspent is at most chunk−1 tokens,
// for at most lease: with N instances a key may get up to N·(chunk−1)
// fewer than its burst at once (tokens held by an idle instance), and
// never more than the shared bucket gives over time.
type RateLimiter struct {
	store *Store
	rate  float64
	burst int
	chunk int
	lease time.Duration

	mu    sync.Mutex
	local map[string]*heldTokens
	sweep time.Time
}

// heldTokens are the tokens this instance took for a key and has not
// spent; refill lets one request at a time take more from the database.
type heldTokens struct {
	n      int
	until  time.Time
	refill sync.Mutex
}

// NewRateLimiter shares a bucket of burst tokens refilled at rate a
// second per key. A chunk is a quarter of the burst (at least one token,
// at most a second's worth), held for at most a second.
func NewRateLimiter(s *Store, rate float64, burst int) *RateLimiter {
	chunk := max(1, min(burst/4, int(rate)))
	return &RateLimiter{store: s, rate: rate, burst: max(1, burst), chunk: chunk, lease: time.Second, local: map[string]*heldTokens{}}
}

// spend takes a held token of h, if there is one; the caller holds mu.
func (h *heldTokens) spend(now time.Time) bool {
	if h.n > 0 && now.Before(h.until) {
		h.n--
		return true
	}
	return false
}

// Allow takes one token for key. When none is left it returns false and
// how long until one is. On a database error the caller decides (the
// service lets the request through: a limit must not fail requests the
// database could serve).
func (r *RateLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	now := time.Now()
	r.mu.Lock()
	if now.Sub(r.sweep) > time.Minute {
		for k, h := range r.local {
			if now.After(h.until) {
				delete(r.local, k)
			}
		}
		r.sweep = now
	}
	h := r.local[key]
	if h == nil {
		h = &heldTokens{}
		r.local[key] = h
	}
	ok := h.spend(now)
	r.mu.Unlock()
	if ok {
		return true, 0, nil
	}
	h.refill.Lock()
	defer h.refill.Unlock()
	r.mu.Lock()
	ok = h.spend(time.Now()) // another request refilled meanwhile
	r.mu.Unlock()
	if ok {
		return true, 0, nil
	}
	got, wait, err := r.store.TakeTokens(ctx, key, r.rate, r.burst, r.chunk)
	if err != nil {
		return false, 0, err
	}
	if got == 0 {
		return false, max(wait, time.Millisecond), nil
	}
	r.mu.Lock()
	h.n, h.until = got-1, time.Now().Add(r.lease)
	r.mu.Unlock()
	return true, 0, nil
}
