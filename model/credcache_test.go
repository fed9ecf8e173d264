package model

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"qinqing/configs"
)

// TestCredentialCacheAcrossInstances: two stores on one database stand for
// two instances. A logout on one is refused there at the next request; the
// other answers from memory until credential_cache has passed, then refuses
// too. With credential_cache 0 the other instance refuses at once.
func TestCredentialCacheAcrossInstances(t *testing.T) {
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			ttl := 2 * time.Second
			a, clock := newTestStore(t, db, "", func(c *configs.Config) { c.CredentialCache = ttl })
			b := NewStore(db.Session(&gorm.Session{}), a.ref, a.opt, clock.Now)
			uncached := a.opt
			uncached.CredentialCache = 0
			c := NewStore(db.Session(&gorm.Session{}), a.ref, uncached, clock.Now)
			now := a.Now()
			acct := &Account{Username: "cache-" + driver, PasswordHash: "x", Role: "enterprise", RegionCode: "330203",
				DisplayName: "缓存", CreatedAt: now, UpdatedAt: now}
			if err := db.Create(acct).Error; err != nil {
				t.Fatal(err)
			}
			live := func(s *Store, sess uint64) error {
				_, err := s.FindAccountForToken(ctx, acct.ID, sess)
				return err
			}
			policy := SessionPolicy{Absolute: time.Hour, Idle: time.Hour}
			sess, _, err := a.StartSession(ctx, acct.ID, "127.0.0.1", policy)
			if err != nil {
				t.Fatal(err)
			}
			for name, s := range map[string]*Store{"a": a, "b": b, "c": c} {
				if err := live(s, sess.ID); err != nil {
					t.Fatalf("%s: a live session refused: %v", name, err)
				}
			}
			if err := a.RevokeSession(ctx, acct.ID, sess.ID); err != nil {
				t.Fatal(err)
			}
			if err := live(a, sess.ID); !errors.Is(err, ErrCredentialInvalid) {
				t.Fatalf("instance that logged out: %v, want refused at once", err)
			}
			if err := live(c, sess.ID); !errors.Is(err, ErrCredentialInvalid) {
				t.Fatalf("instance without the cache: %v, want refused at once", err)
			}
			if err := live(b, sess.ID); err != nil {
				t.Fatalf("other instance within credential_cache: %v, want the remembered answer", err)
			}
			clock.Advance(ttl)
			if err := live(b, sess.ID); !errors.Is(err, ErrCredentialInvalid) {
				t.Fatalf("other instance after credential_cache: %v, want refused", err)
			}

			// Disabling on one instance: its next request is refused even
			// though the session was remembered a moment before.
			sess2, _, err := a.StartSession(ctx, acct.ID, "127.0.0.1", policy)
			if err != nil {
				t.Fatal(err)
			}
			if err := live(a, sess2.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := a.SetAccountDisabled(ctx, Scope{Regions: []string{"330203"}}, acct.ID, true); err != nil {
				t.Fatal(err)
			}
			if err := live(a, sess2.ID); err == nil {
				t.Fatal("a disabled account's remembered session was accepted")
			}

			// A session's absolute end holds even while it is remembered.
			if _, err := a.SetAccountDisabled(ctx, Scope{Regions: []string{"330203"}}, acct.ID, false); err != nil {
				t.Fatal(err)
			}
			long := newRecentCache[tokenKey, liveToken](time.Hour)
			a.tokens = long
			sess3, _, err := a.StartSession(ctx, acct.ID, "127.0.0.1", SessionPolicy{Absolute: time.Second, Idle: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := live(a, sess3.ID); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
			if err := live(a, sess3.ID); !errors.Is(err, ErrCredentialInvalid) {
				t.Fatalf("remembered session past its end: %v, want refused", err)
			}
		})
	}
}

// TestRecentCacheKeepsNoReadBeganBeforeAClear: a read that started before a
// change committed (and cleared the cache) is not remembered.
func TestRecentCacheKeepsNoReadBeganBeforeAClear(t *testing.T) {
	c := newRecentCache[int, string](time.Minute)
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	gen := c.generation()
	c.clear()
	c.put(1, "stale", now, gen)
	if v, ok := c.get(1, now); ok {
		t.Fatalf("kept %q read before the clear", v)
	}
	c.put(1, "fresh", now, c.generation())
	if v, ok := c.get(1, now.Add(time.Second)); !ok || v != "fresh" {
		t.Fatalf("got %q %v, want fresh", v, ok)
	}
	if _, ok := c.get(1, now.Add(time.Minute)); ok {
		t.Fatal("an entry outlived its ttl")
	}
}
