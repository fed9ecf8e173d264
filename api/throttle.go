package api

import (
	"context"
	"math"
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
