package model

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"qinqing/workflow"
)

// ErrCredentialInvalid: a refresh token or API key that is unknown, expired,
// used, or revoked, or that belongs to a disabled account (401).
var ErrCredentialInvalid = errors.New("model: credential invalid, expired or revoked")

// AuthSession is a sign-in: the family of refresh tokens that one login
// started. Access tokens name their session (claim sid), so revoking it
// (logout, refresh-token reuse) ends them at their next request too.
type AuthSession struct {
	ID        uint64    `gorm:"primaryKey"`
	AccountID uint64    `gorm:"not null;index:idx_auth_sessions_account,priority:1"`
	CreatedAt time.Time `gorm:"not null"`
	// ExpiresAt is the absolute end of the session, whatever the refreshes.
	ExpiresAt time.Time  `gorm:"not null;index:idx_auth_sessions_expires,priority:1"`
	RevokedAt *time.Time ``
	// RevokeReason: logout, logout_all, password_changed, disabled, refresh_reuse.
	RevokeReason string `gorm:"size:32;not null"`
	ClientIP     string `gorm:"size:64;not null"`
}

// RefreshToken is one refresh token of a session. Only the SHA-256 of the
// token is kept. A token is used once: refreshing marks it used and issues
// the next one; presenting a used token again revokes the whole session.
type RefreshToken struct {
	ID        uint64    `gorm:"primaryKey"`
	SessionID uint64    `gorm:"not null;index:idx_refresh_tokens_session,priority:1"`
	AccountID uint64    `gorm:"not null"`
	TokenHash string    `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt time.Time `gorm:"not null"`
	// ExpiresAt is the idle limit: the token must be used before then.
	ExpiresAt time.Time  `gorm:"not null;index:idx_refresh_tokens_expires,priority:1"`
	UsedAt    *time.Time ``
}

// APIKey lets a system integration act as a service account: the key is
// shown once when created; the database keeps its SHA-256 and a prefix
// that identifies it in lists and logs.
type APIKey struct {
	ID        uint64     `gorm:"primaryKey"`
	AccountID uint64     `gorm:"not null;index:idx_api_keys_account,priority:1"`
	Name      string     `gorm:"size:64;not null"`
	Prefix    string     `gorm:"size:16;not null"`
	KeyHash   string     `gorm:"size:64;not null;uniqueIndex"`
	CreatedBy uint64     `gorm:"not null"`
	CreatedAt time.Time  `gorm:"not null"`
	ExpiresAt *time.Time ``
	RevokedAt *time.Time ``
}

// TableName keeps the table name readable (gorm would say a_p_i_keys).
func (APIKey) TableName() string { return "api_keys" }

// SessionPolicy bounds sessions: Absolute from login, Idle between refreshes.
type SessionPolicy struct {
	Absolute time.Duration
	Idle     time.Duration
}

// Reasons a session ends.
const (
	RevokeLogout          = "logout"
	RevokeLogoutAll       = "logout_all"
	RevokePasswordChanged = "password_changed"
	RevokeDisabled        = "disabled"
	RevokeRefreshReuse    = "refresh_reuse"
)

// secretHash is the hex SHA-256 of a random secret (refresh token, API key):
// the secrets have 256 bits of entropy, so no salt or slow hash is needed.
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// randomSecret returns 32 random bytes, base64url without padding (43 characters).
func randomSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (s *Store) newRefreshToken(tx *gorm.DB, sess *AuthSession, now time.Time, idle time.Duration) (string, error) {
	tok, err := randomSecret()
	if err != nil {
		return "", err
	}
	exp := now.Add(idle)
	if exp.After(sess.ExpiresAt) {
		exp = sess.ExpiresAt
	}
	row := &RefreshToken{SessionID: sess.ID, AccountID: sess.AccountID, TokenHash: secretHash(tok), CreatedAt: now, ExpiresAt: exp}
	return tok, tx.Create(row).Error
}

// StartSession opens a session for the account and returns it with its
// first refresh token. Now and then (purgeRefreshTokens) it also drops
// refresh tokens that expired more than a day ago.
func (s *Store) StartSession(ctx context.Context, accountID uint64, clientIP string, p SessionPolicy) (*AuthSession, string, error) {
	var sess *AuthSession
	var tok string
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.Now()
		if len(clientIP) > 64 {
			clientIP = clientIP[:64]
		}
		sess = &AuthSession{AccountID: accountID, CreatedAt: now, ExpiresAt: now.Add(p.Absolute), ClientIP: clientIP}
		if err := tx.Create(sess).Error; err != nil {
			return err
		}
		var err error
		tok, err = s.newRefreshToken(tx, sess, now, p.Idle)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	s.purgeRefreshTokens(ctx)
	return sess, tok, nil
}

// purgeRefreshTokens deletes, at most every ten minutes per store (by its
// clock) and
// at most 1000 at a time, refresh tokens that expired more than a day ago
// (a used token is kept until then, so that its reuse is still recognised).
// It runs outside any other transaction, by primary key, so it locks
// nothing a sign-in needs; failures are ignored (it runs again later).
// Sessions are kept longer (PurgeSessions).
func (s *Store) purgeRefreshTokens(ctx context.Context) {
	now := s.Now().Unix()
	last := s.tokensPurged.Load()
	if now-last < 600 || !s.tokensPurged.CompareAndSwap(last, now) {
		return
	}
	var ids []uint64
	db := s.db.WithContext(ctx)
	if err := db.Model(&RefreshToken{}).Where("expires_at < ?", s.Now().Add(-24*time.Hour)).Order("expires_at").
		Limit(1000).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
		return
	}
	_ = db.Where("id IN ?", ids).Delete(&RefreshToken{}).Error
}

// SessionsKept is how long a session is kept after its absolute end (every
// session has ended by then: revoked, idle or past its 12 hours) as the
// record of who signed in, when and from where: 180 days, the six months
// 网络安全法 art. 21 asks network logs to be kept.
const SessionsKept = 180 * 24 * time.Hour

// PurgeSessions deletes, at most 1000 at a time, sessions whose absolute
// end is more than SessionsKept ago, with their refresh tokens, and
// returns how many sessions it deleted. The deadline scanner calls it on
// every pass, so the table stays bounded however many sign-ins arrive.
func (s *Store) PurgeSessions(ctx context.Context) (int64, error) {
	var ids []uint64
	db := s.db.WithContext(ctx)
	if err := db.Model(&AuthSession{}).Where("expires_at < ?", s.Now().Add(-SessionsKept)).Order("expires_at").
		Limit(1000).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
		return 0, formatError(err)
	}
	if err := db.Where("session_id IN ?", ids).Delete(&RefreshToken{}).Error; err != nil {
		return 0, formatError(err)
	}
	res := db.Where("id IN ?", ids).Delete(&AuthSession{})
	return res.RowsAffected, formatError(res.Error)
}

// RotateRefresh exchanges a refresh token for the next one of its session
// and returns the account and session to issue an access token for.
// A token already used (or used concurrently) is a replay: the whole session
// is revoked, so the thief's and the owner's tokens both stop working, and
// ErrCredentialInvalid is returned. Unknown, expired and revoked tokens and
// disabled accounts give ErrCredentialInvalid as well.
func (s *Store) RotateRefresh(ctx context.Context, token string, p SessionPolicy) (*Account, *AuthSession, string, error) {
	var (
		acct   Account
		sess   AuthSession
		next   string
		replay uint64
	)
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var rt RefreshToken
		if err := tx.Where("token_hash = ?", secretHash(token)).Take(&rt).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrCredentialInvalid
			}
			return err
		}
		if err := tx.Take(&sess, rt.SessionID).Error; err != nil {
			return err
		}
		now := s.Now()
		if sess.RevokedAt != nil || !now.Before(sess.ExpiresAt) {
			return ErrCredentialInvalid
		}
		if rt.UsedAt != nil {
			replay = sess.ID
			return ErrCredentialInvalid
		}
		if !now.Before(rt.ExpiresAt) {
			return ErrCredentialInvalid
		}
		res := tx.Model(&RefreshToken{}).Where("id = ? AND used_at IS NULL", rt.ID).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 { // another request used it first: a replay too
			replay = sess.ID
			return ErrCredentialInvalid
		}
		if err := tx.Take(&acct, rt.AccountID).Error; err != nil {
			return err
		}
		if acct.Disabled {
			return ErrCredentialInvalid
		}
		var err error
		next, err = s.newRefreshToken(tx, &sess, now, p.Idle)
		return err
	})
	if replay != 0 {
		if rerr := s.revokeSessions(ctx, RevokeRefreshReuse, "id = ?", replay); rerr != nil {
			return nil, nil, "", rerr
		}
	}
	if errors.Is(err, ErrNotFound) {
		err = ErrCredentialInvalid
	}
	if err != nil {
		return nil, nil, "", err
	}
	return &acct, &sess, next, nil
}

// revokeSessions ends the open sessions the condition selects.
func (s *Store) revokeSessions(ctx context.Context, reason string, cond string, args ...any) error {
	defer s.tokens.clear()
	return formatError(s.db.WithContext(ctx).Model(&AuthSession{}).Where(cond, args...).Where("revoked_at IS NULL").
		Updates(map[string]any{"revoked_at": s.Now(), "revoke_reason": reason}).Error)
}

// RevokeSession ends one session of the account (logout). A session of
// another account is left alone.
func (s *Store) RevokeSession(ctx context.Context, accountID, sessionID uint64) error {
	return s.revokeSessions(ctx, RevokeLogout, "id = ? AND account_id = ?", sessionID, accountID)
}

// RevokeSessionOfRefresh ends the session a refresh token belongs to, when
// it is the account's.
func (s *Store) RevokeSessionOfRefresh(ctx context.Context, accountID uint64, token string) error {
	var rt RefreshToken
	err := s.db.WithContext(ctx).Where("token_hash = ? AND account_id = ?", secretHash(token), accountID).Take(&rt).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return formatError(err)
	}
	return s.RevokeSession(ctx, accountID, rt.SessionID)
}

// invalidate raises the account's token version and ends its sessions,
// inside tx: every access token and refresh token it holds stops working.
func (s *Store) invalidate(tx *gorm.DB, accountID uint64, reason string, extra map[string]any) error {
	now := s.Now()
	upd := map[string]any{"token_version": gorm.Expr("token_version + 1"), "updated_at": now}
	for k, v := range extra {
		upd[k] = v
	}
	res := tx.Model(&Account{}).Where("id = ?", accountID).Updates(upd)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return tx.Model(&AuthSession{}).Where("account_id = ? AND revoked_at IS NULL", accountID).
		Updates(map[string]any{"revoked_at": now, "revoke_reason": reason}).Error
}

// LogoutAll ends every session of the account and invalidates its
// outstanding access tokens.
func (s *Store) LogoutAll(ctx context.Context, accountID uint64) error {
	defer s.tokens.clear()
	return s.inTx(ctx, func(tx *gorm.DB) error { return s.invalidate(tx, accountID, RevokeLogoutAll, nil) })
}

// SetPassword stores a new password hash for the account, provided its
// hash is still oldHash (the one the caller verified), and invalidates
// every token the account holds. The password is now the holder's own
// choice, so password_change_required is cleared. ErrVersionConflict when
// the password changed in between.
func (s *Store) SetPassword(ctx context.Context, h PasswordHasher, accountID uint64, oldHash, password string) error {
	hash, err := h.Hash(password)
	if err != nil {
		return err
	}
	defer s.tokens.clear()
	return s.inTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Account{}).Where("id = ? AND password_hash = ?", accountID, oldHash).
			Updates(map[string]any{"password_hash": hash, "password_change_required": false})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrVersionConflict
		}
		return s.invalidate(tx, accountID, RevokePasswordChanged, nil)
	})
}

// SetAccountDisabled disables or enables an account in the scope's regions.
// Disabling invalidates every token the account holds (its API keys stop
// working too: they act as the account). It returns the account as stored.
func (s *Store) SetAccountDisabled(ctx context.Context, sc Scope, id uint64, disabled bool) (*Account, error) {
	defer s.clearRecipients()
	var a Account
	defer s.tokens.clear()
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
			Where("id = ? AND region_code IN ?", id, nonEmpty(sc.Regions)).Take(&a).Error; err != nil {
			return err
		}
		if a.Disabled != disabled {
			if disabled {
				if err := s.invalidate(tx, a.ID, RevokeDisabled, map[string]any{"disabled": true}); err != nil {
					return err
				}
				// its API keys are revoked, not suspended: enabling the
				// account again does not revive them
				if err := tx.Model(&APIKey{}).Where("account_id = ? AND revoked_at IS NULL", a.ID).
					Update("revoked_at", s.Now()).Error; err != nil {
					return err
				}
			} else if err := tx.Model(&Account{}).Where("id = ?", a.ID).
				Updates(map[string]any{"disabled": false, "updated_at": s.Now()}).Error; err != nil {
				return err
			}
		}
		return tx.Take(&a, a.ID).Error
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// accountSession is an account with the session an access token names.
type accountSession struct {
	Account       `gorm:"embedded"`
	SessAccountID *uint64
	SessExpiresAt *time.Time
	SessRevokedAt *time.Time
}

// FindAccountForToken returns the account an access token names, in one
// query with its session. It returns ErrCredentialInvalid when the session
// is not the account's, is revoked or is past its absolute end, and
// ErrNotFound when the account does not exist.
//
// A recent answer (credential_cache) is given from memory; this store drops
// it when it revokes a session or invalidates an account's tokens.
func (s *Store) FindAccountForToken(ctx context.Context, accountID, sessionID uint64) (*Account, error) {
	key := tokenKey{accountID, sessionID}
	now := s.clock()
	if lt, ok := s.tokens.get(key, now); ok && s.Now().Before(lt.expiresAt) {
		a := lt.account
		return &a, nil
	}
	gen := s.tokens.generation()
	var row accountSession
	res := s.db.WithContext(ctx).Table("accounts").
		Select("accounts.*, auth_sessions.account_id AS sess_account_id, auth_sessions.expires_at AS sess_expires_at, "+
			"auth_sessions.revoked_at AS sess_revoked_at").
		Joins("LEFT JOIN auth_sessions ON auth_sessions.id = ?", sessionID).
		Where("accounts.id = ?", accountID).Limit(1).Scan(&row)
	if res.Error != nil {
		return nil, formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	if row.SessAccountID == nil || *row.SessAccountID != accountID || row.SessRevokedAt != nil ||
		row.SessExpiresAt == nil || !s.Now().Before(*row.SessExpiresAt) {
		return nil, ErrCredentialInvalid
	}
	s.tokens.put(key, liveToken{account: row.Account, expiresAt: *row.SessExpiresAt}, now, gen)
	return &row.Account, nil
}

// APIKeyPrefix starts every API key, so that a leaked one is recognisable
// (secret scanners) and never mistaken for a JWT.
const APIKeyPrefix = "qqk_"

// NewAPIKey is what an administrator supplies to create a key.
type NewAPIKey struct {
	AccountID uint64
	Name      string
	CreatedBy uint64
	ExpiresAt *time.Time
}

// CreateAPIKey stores a new key for a service account and returns the row
// and the key itself (shown once).
func (s *Store) CreateAPIKey(ctx context.Context, in NewAPIKey) (*APIKey, string, error) {
	secret, err := randomSecret()
	if err != nil {
		return nil, "", err
	}
	key := APIKeyPrefix + secret
	k := &APIKey{AccountID: in.AccountID, Name: in.Name, Prefix: key[:12], KeyHash: secretHash(key),
		CreatedBy: in.CreatedBy, CreatedAt: s.Now(), ExpiresAt: in.ExpiresAt}
	if err := s.db.WithContext(ctx).Create(k).Error; err != nil {
		return nil, "", formatError(err)
	}
	return k, key, nil
}

// apiKeyScope keeps the keys of accounts in the scope's regions.
func apiKeyScope(q *gorm.DB, sc Scope) *gorm.DB {
	return q.Where("account_id IN (?)", q.Session(&gorm.Session{NewDB: true}).Model(&Account{}).Select("id").
		Where("region_code IN ?", nonEmpty(sc.Regions)))
}

// ListAPIKeys lists the keys of accounts in the scope's regions, newest first.
func (s *Store) ListAPIKeys(ctx context.Context, sc Scope, p Page) ([]APIKey, uint64, error) {
	q := apiKeyScope(s.db.WithContext(ctx).Model(&APIKey{}), sc)
	var out []APIKey
	next, err := pageQuery(q, p, &out, func(i int) uint64 { return out[i].ID })
	return out, next, err
}

// RevokeAPIKey revokes a key of an account in the scope's regions
// (ErrNotFound otherwise). Revoking twice is not an error.
func (s *Store) RevokeAPIKey(ctx context.Context, sc Scope, id uint64) (*APIKey, error) {
	var k APIKey
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if err := apiKeyScope(tx.Model(&APIKey{}), sc).Where("id = ?", id).Take(&k).Error; err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		now := s.Now()
		k.RevokedAt = &now
		return tx.Model(&APIKey{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now).Error
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// FindAPIKeyAccount returns the account a presented key acts as, with the
// key's row; ErrCredentialInvalid when the key is unknown, revoked, expired
// or its account disabled.
func (s *Store) FindAPIKeyAccount(ctx context.Context, key string) (*Account, *APIKey, error) {
	var k APIKey
	db := s.db.WithContext(ctx)
	if err := db.Where("key_hash = ?", secretHash(key)).Take(&k).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, ErrCredentialInvalid
		}
		return nil, nil, formatError(err)
	}
	if k.RevokedAt != nil || (k.ExpiresAt != nil && !s.Now().Before(*k.ExpiresAt)) {
		return nil, nil, ErrCredentialInvalid
	}
	var a Account
	if err := db.Take(&a, k.AccountID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, ErrCredentialInvalid
		}
		return nil, nil, formatError(err)
	}
	if a.Disabled || a.Role == string(workflow.RoleAdmin) {
		return nil, nil, ErrCredentialInvalid
	}
	return &a, &k, nil
}

// OneTimePassword returns a new random password (24 hex digits, 96 bits)
// for an account to use once: the admin's first, and every reset's. The
// account holding it is marked password_change_required.
func OneTimePassword() (string, error) {
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(raw[:]), nil
}

// ResetPasswordOf is ResetPassword for the operator of the service
// (`qinqing admin reset-password USER`): the account is named by its
// username, whatever its region. ErrNotFound when there is none.
func (s *Store) ResetPasswordOf(ctx context.Context, h PasswordHasher, username, password string) (*Account, error) {
	a, err := s.FindAccountByUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	return s.ResetPassword(ctx, h, Scope{Regions: []string{a.RegionCode}}, a.ID, password)
}

// ResetPassword gives the account id in the scope's regions a new password
// set by an administrator: it is marked password_change_required (its
// holder must choose another before using the console), and every token
// and session the account holds ends. ErrNotFound outside the scope.
func (s *Store) ResetPassword(ctx context.Context, h PasswordHasher, sc Scope, id uint64, password string) (*Account, error) {
	hash, err := h.Hash(password)
	if err != nil {
		return nil, err
	}
	var a Account
	defer s.tokens.clear()
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND region_code IN ?", id, nonEmpty(sc.Regions)).Take(&a).Error; err != nil {
			return err
		}
		if err := s.invalidate(tx, a.ID, RevokePasswordChanged,
			map[string]any{"password_hash": hash, "password_change_required": true}); err != nil {
			return err
		}
		return tx.Take(&a, a.ID).Error
	})
	if err != nil {
		return nil, formatError(err)
	}
	return &a, nil
}
