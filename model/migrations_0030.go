package model

import (
	"time"

	"gorm.io/gorm"
)

// 0030: the session purge (PurgeSessions) finds sessions past their
// absolute end by auth_sessions (expires_at), not by reading them all.

type m0030AuthSession struct {
	ExpiresAt time.Time `gorm:"not null;index:idx_auth_sessions_expires,priority:1"`
}

func (m0030AuthSession) TableName() string { return "auth_sessions" }

func migrate0030(tx *gorm.DB) error {
	if m := tx.Migrator(); !m.HasIndex(&m0030AuthSession{}, "idx_auth_sessions_expires") {
		return m.CreateIndex(&m0030AuthSession{}, "idx_auth_sessions_expires")
	}
	return nil
}

func rollback0030(tx *gorm.DB) error {
	return tx.Migrator().DropIndex(&m0030AuthSession{}, "idx_auth_sessions_expires")
}
