package model

import (
	"time"

	"gorm.io/gorm"
)

// 0005: authentication and the audit chain — the token version on accounts,
// sign-in sessions with their rotating refresh tokens, API keys for system
// integrations, and the hash chain of the events (existing events are
// chained here, case by case in id order).

type m0005Account struct {
	TokenVersion int `gorm:"not null;default:0"`
}

func (m0005Account) TableName() string { return "accounts" }

type m0005Event struct {
	Hash     string `gorm:"size:64;not null;default:''"`
	PrevHash string `gorm:"size:64;not null;default:''"`
}

func (m0005Event) TableName() string { return "events" }

type m0005AuthSession struct {
	ID           uint64     `gorm:"primaryKey"`
	AccountID    uint64     `gorm:"not null;index:idx_auth_sessions_account,priority:1"`
	CreatedAt    time.Time  `gorm:"not null"`
	ExpiresAt    time.Time  `gorm:"not null"`
	RevokedAt    *time.Time ``
	RevokeReason string     `gorm:"size:32;not null"`
	ClientIP     string     `gorm:"size:64;not null"`
}

func (m0005AuthSession) TableName() string { return "auth_sessions" }

type m0005RefreshToken struct {
	ID        uint64     `gorm:"primaryKey"`
	SessionID uint64     `gorm:"not null;index:idx_refresh_tokens_session,priority:1"`
	AccountID uint64     `gorm:"not null"`
	TokenHash string     `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt time.Time  `gorm:"not null"`
	ExpiresAt time.Time  `gorm:"not null;index:idx_refresh_tokens_expires,priority:1"`
	UsedAt    *time.Time ``
}

func (m0005RefreshToken) TableName() string { return "refresh_tokens" }

type m0005APIKey struct {
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

func (m0005APIKey) TableName() string { return "api_keys" }

func migrate0005(tx *gorm.DB) error {
	m := tableOptions(tx).Migrator()
	if !m.HasColumn(&m0005Account{}, "TokenVersion") {
		if err := m.AddColumn(&m0005Account{}, "TokenVersion"); err != nil {
			return err
		}
	}
	for _, col := range []string{"Hash", "PrevHash"} {
		if !m.HasColumn(&m0005Event{}, col) {
			if err := m.AddColumn(&m0005Event{}, col); err != nil {
				return err
			}
		}
	}
	if err := m.CreateTable(&m0005AuthSession{}, &m0005RefreshToken{}, &m0005APIKey{}); err != nil {
		return err
	}
	return backfillEventHashes(tx)
}

func rollback0005(tx *gorm.DB) error {
	m := tx.Migrator()
	if err := m.DropTable(&m0005APIKey{}, &m0005RefreshToken{}, &m0005AuthSession{}); err != nil {
		return err
	}
	for _, col := range []string{"PrevHash", "Hash"} {
		if err := m.DropColumn(&m0005Event{}, col); err != nil {
			return err
		}
	}
	return m.DropColumn(&m0005Account{}, "TokenVersion")
}
