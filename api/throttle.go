package api

import (
	"context"
	"math"
	"sync"
	"time"

	"qinqing/model"
)

// Login throttling (等保 登录失败处理; OWASP API2/API4). Before a password
// is checked, one attempt is reserved for the account name and one for the
// client address, atomically: parallel guesses cannot check more passwords
// than the budgets allow, whatever their number. A reservation counts as a
// failure until the password proves right, when it is released (and the
// account's earlier failures are forgotten, not the address's); it always
// counts as a try, which limits successful sign-ins too.
//
// Budgets: an account name 5 failures in 15 minutes and 10 tries a minute;
// an address 20 failures in 15 minutes and 120 tries a minute (higher,
// since many people may share an address behind NAT). At a limit the
// answer is 429 with Retry-After, no password checked. Unknown usernames
// are counted like known ones, so the answers do not tell them apart.
//
// Where the counts live: in the process's memory for the embedded
// single-process default (model.LocalAttempts), and in the database when
// it is MySQL, MariaDB or Galera, which several instances may share
// (model.Store), so N instances do not give an attacker N budgets.
var (
	accountFailures = model.AttemptBudget{Max: 5, Window: 15 * time.Minute}
	accountTries    = model.AttemptBudget{Max: 10, Window: time.Minute}
	addressFailures = model.AttemptBudget{Max: 20, Window: 15 * time.Minute}
	addressTries    = model.AttemptBudget{Max: 120, Window: time.Minute}
)

type loginThrottle struct{ counts model.Attempts }

func accountKey(username string) string { return "account:" + username }
func addressKey(ip string) string       { return "address:" + ip }

func accountAttempt(username string) model.AttemptKey {
	return model.AttemptKey{Key: accountKey(username), Failures: accountFailures, Tries: accountTries}
}

func addressAttempt(ip string) model.AttemptKey {
	return model.AttemptKey{Key: addressKey(ip), Failures: addressFailures, Tries: addressTries}
}

// lookupAttempt budgets the public receipt lookups of an address: the
// lookups that find nothing count like failed sign-ins (20 in 15 minutes).
func lookupAttempt(ip string) model.AttemptKey {
	return model.AttemptKey{Key: "lookup:" + ip, Failures: addressFailures}
}

// credentialFailures budgets the bearer tokens and API keys from one
// address that fail authentication: 60 in 15 minutes, then every request
// from the address with a credential answers 429 until the window frees,
// without the credential being looked at. A token that only expired does
// not count (clients refresh on that answer); a forged, malformed or
// revoked token and an unknown, revoked or expired API key do.
var credentialFailures = model.AttemptBudget{Max: 60, Window: 15 * time.Minute}

func credentialAttempt(ip string) model.AttemptKey {
	return model.AttemptKey{Key: "credential:" + ip, Failures: credentialFailures}
}

// credentialBlocks remembers, per address, until when its credentials are
// refused (learnt when a failure is refused by the shared counts), so a
// blocked address costs a map lookup, not a database read.
type credentialBlocks struct {
	clock func() time.Time
	mu    sync.Mutex
	until map[string]time.Time
}

func newCredentialBlocks(clock func() time.Time) *credentialBlocks {
	return &credentialBlocks{clock: clock, until: map[string]time.Time{}}
}

// blocked returns how long ip stays blocked (0: not blocked).
func (b *credentialBlocks) blocked(ip string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.until[ip]
	if !ok {
		return 0
	}
	if d := u.Sub(b.clock()); d > 0 {
		return d
	}
	delete(b.until, ip)
	return 0
}

func (b *credentialBlocks) block(ip string, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock()
	if len(b.until) >= 10000 {
		for k, u := range b.until {
			if !u.After(now) {
				delete(b.until, k)
			}
		}
	}
	b.until[ip] = now.Add(d)
}

// badCredential counts a credential from ip that failed authentication;
// past the budget it blocks the address and returns the 429 to send.
func (s *Server) badCredential(ctx context.Context, ip string) error {
	ticket, wait, _, err := s.throttle.counts.ReserveAttempt(ctx, []model.AttemptKey{credentialAttempt(ip)})
	if err != nil || ticket != "" {
		return err
	}
	s.credBlocks.block(ip, wait)
	return retryAfter(errCredentialsThrottled, int(math.Ceil(wait.Seconds())))
}

// reserve takes an attempt for every key, or answers 429 (throttled).
func (t *loginThrottle) reserve(ctx context.Context, keys ...model.AttemptKey) (string, error) {
	ticket, wait, _, err := t.counts.ReserveAttempt(ctx, keys)
	if err != nil {
		return "", err
	}
	if ticket == "" {
		return "", throttled(wait)
	}
	return ticket, nil
}

// succeeded releases a reservation whose check passed and forgets the
// failures of forget (the account's, not the address's).
func (t *loginThrottle) succeeded(ctx context.Context, ticket string, forget ...string) error {
	if err := t.counts.ReleaseAttempt(ctx, ticket); err != nil {
		return err
	}
	return t.counts.ResetAttempts(ctx, forget...)
}

// throttled is the answer while a key is blocked.
func throttled(wait time.Duration) error {
	return retryAfter(errLoginThrottled, int(math.Ceil(wait.Seconds())))
}
