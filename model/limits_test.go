package model

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"
)

// storePairs returns, per database, two stores standing for two instances:
// on SQLite and MariaDB over one database, on the local Galera cluster
// (QINQING_TEST_GALERA=1) each through another node.
func storePairs(t *testing.T) map[string][2]*Store {
	out := map[string][2]*Store{}
	for driver, db := range testDBs(t) {
		a, clock := newTestStore(t, db, "", nil)
		out[driver] = [2]*Store{a, NewStore(db.Session(&gorm.Session{}), a.ref, a.opt, clock.Now)}
	}
	if os.Getenv("QINQING_TEST_GALERA") == "1" {
		root, err := sql.Open("mysql", "root@tcp(127.0.0.1:3311)/")
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := "qq_model_" + hex.EncodeToString(b[:])
		if _, err := root.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if r, err := sql.Open("mysql", "root@tcp(127.0.0.1:3311)/"); err == nil {
				_, _ = r.Exec("DROP DATABASE IF EXISTS " + name)
				r.Close()
			}
		})
		var pair [2]*Store
		for i, nodes := range []string{"127.0.0.1:3311,127.0.0.1:3312", "127.0.0.1:3312,127.0.0.1:3311"} {
			db, err := Open("mysql", "root@tcp("+nodes+")/"+name+"?parseTime=true&loc=UTC", ConnOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pair[i], _ = newTestStore(t, db, "", nil)
		}
		out["galera"] = pair
	}
	return out
}

// TestSharedAttemptsAcrossInstances: sign-in attempts reserved through two
// instances at once share one budget per key: of 24 concurrent attempts on
// a key allowing 5 failures, exactly 5 are let through, and the rest are
// told how long to wait; released attempts stop counting as failures but
// still count as tries; a reset forgets the failures.
func TestSharedAttemptsAcrossInstances(t *testing.T) {
	pairs := map[string][2]Attempts{}
	for driver, p := range storePairs(t) {
		pairs[driver] = [2]Attempts{p[0], p[1]}
	}
	// The single-process default: one LocalAttempts is both "instances".
	local := NewLocalAttempts(time.Now)
	pairs["memory"] = [2]Attempts{local, local}
	for driver, pair := range pairs {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			budget := func(key string) AttemptKey {
				return AttemptKey{Key: key, Failures: AttemptBudget{Max: 5, Window: 15 * time.Minute},
					Tries: AttemptBudget{Max: 8, Window: time.Minute}}
			}
			addr := AttemptKey{Key: "address:192.0.2.7", Failures: AttemptBudget{Max: 20, Window: 15 * time.Minute},
				Tries: AttemptBudget{Max: 120, Window: time.Minute}}
			var allowed, refused atomic.Int64
			var tickets sync.Map
			var wg sync.WaitGroup
			for i := range 24 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tk, wait, limit, err := pair[i%2].ReserveAttempt(ctx, []AttemptKey{budget("account:zhang"), addr})
					switch {
					case err != nil:
						t.Errorf("reserve: %v", err)
					case tk != "":
						allowed.Add(1)
						tickets.Store(tk, true)
					case limit == AttemptFailures && wait > 14*time.Minute && wait <= 15*time.Minute:
						refused.Add(1)
					default:
						t.Errorf("refused with limit %d, wait %v", limit, wait)
					}
				}()
			}
			wg.Wait()
			if allowed.Load() != 5 || refused.Load() != 19 {
				t.Fatalf("%d allowed, %d refused; want 5 and 19", allowed.Load(), refused.Load())
			}
			// Released (the passwords were right): no longer failures, but
			// 5 of the 8 tries a minute are spent.
			tickets.Range(func(k, _ any) bool {
				if err := pair[1].ReleaseAttempt(ctx, k.(string)); err != nil {
					t.Fatal(err)
				}
				return true
			})
			for i := range 3 {
				if tk, _, _, err := pair[i%2].ReserveAttempt(ctx, []AttemptKey{budget("account:zhang")}); tk == "" || err != nil {
					t.Fatalf("try %d after the release refused: %v", 6+i, err)
				}
			}
			if tk, wait, limit, _ := pair[0].ReserveAttempt(ctx, []AttemptKey{budget("account:zhang")}); tk != "" || limit != AttemptTries || wait > time.Minute {
				t.Fatalf("the 9th try within a minute: ticket %q, limit %d, wait %v; want refused by the tries budget", tk, limit, wait)
			}
			// Another account behind the same address is not blocked by zhang's.
			if tk, _, _, _ := pair[1].ReserveAttempt(ctx, []AttemptKey{budget("account:li"), addr}); tk == "" {
				t.Fatal("another account was refused")
			}
			// A reset forgets failures: three failures, reset, five more allowed.
			for range 3 {
				pair[0].ReserveAttempt(ctx, []AttemptKey{budget("account:wang")})
			}
			if err := pair[1].ResetAttempts(ctx, "account:wang"); err != nil {
				t.Fatal(err)
			}
			k := budget("account:wang")
			k.Tries.Max = 100
			for i := range 5 {
				if tk, _, _, _ := pair[i%2].ReserveAttempt(ctx, []AttemptKey{k}); tk == "" {
					t.Fatalf("attempt %d after the reset refused", i+1)
				}
			}
			if tk, _, _, _ := pair[0].ReserveAttempt(ctx, []AttemptKey{k}); tk != "" {
				t.Fatal("a sixth failure after the reset was allowed")
			}
		})
	}
}

// TestSharedTokenBucketAcrossInstances: a bucket of 10 tokens drained by
// two instances at once gives out exactly 10, whatever the chunking, and
// refills at its rate; the limiter's chunks spare the database most takes.
func TestSharedTokenBucketAcrossInstances(t *testing.T) {
	for driver, pair := range storePairs(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			var got atomic.Int64
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, wait, err := pair[i%2].TakeTokens(ctx, "account:1", 0.001, 10, 1+i%3)
					if err != nil {
						t.Errorf("take: %v", err)
					}
					if n == 0 && wait <= 0 {
						t.Errorf("refused without a wait")
					}
					got.Add(int64(n))
				}()
			}
			wg.Wait()
			if got.Load() != 10 {
				t.Fatalf("took %d tokens from a bucket of 10", got.Load())
			}
			// 20 a second: 2 tokens again after 100 ms (the store's clock).
			fast := "account:2"
			if n, _, _ := pair[0].TakeTokens(ctx, fast, 20, 2, 2); n != 2 {
				t.Fatalf("first take %d", n)
			}
			if n, wait, _ := pair[1].TakeTokens(ctx, fast, 20, 2, 1); n != 0 || wait <= 0 || wait > 50*time.Millisecond {
				t.Fatalf("empty bucket: %d, wait %v", n, wait)
			}
			pair[0].clock = func() time.Time { return time.Now().Add(time.Second) }
			pair[1].clock = pair[0].clock
			if n, _, _ := pair[1].TakeTokens(ctx, fast, 20, 2, 5); n != 2 {
				t.Fatalf("after refilling: %d, want the burst of 2", n)
			}

			// Two limiters (instances), 20 a second with a burst of 40: 40 at once, then refused.
			limiters := []*RateLimiter{NewRateLimiter(pair[0], 20, 40), NewRateLimiter(pair[1], 20, 40)}
			var ok, no atomic.Int64
			began := time.Now()
			for i := range 60 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					allowed, _, err := limiters[i%2].Allow(ctx, "account:3")
					if err != nil {
						t.Errorf("allow: %v", err)
					}
					if allowed {
						ok.Add(1)
					} else {
						no.Add(1)
					}
				}()
			}
			wg.Wait()
			// The bucket refills at 20 a second meanwhile.
			refilled := int64(20*time.Since(began).Seconds()) + 1
			if ok.Load() > 40+refilled || ok.Load() < int64(40-2*(limiters[0].chunk-1)) {
				t.Errorf("%d of 60 allowed at once with a burst of 40 over two instances (%d refilled meanwhile)", ok.Load(), refilled)
			}
			var b LimitBucket
			pair[0].db.Where("limit_key = ?", "account:3").Take(&b)
			if b.Version > 20 {
				t.Errorf("%d writes to the shared bucket for %d requests: the chunks should spare most", b.Version, ok.Load())
			}
		})
	}
}
