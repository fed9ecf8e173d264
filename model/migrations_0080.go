package model

import (
	"time"

	"gorm.io/gorm"
)

// 0080: notices (站内通知), the messages an account reads in the app
// (model/notice.go). A notice with a dedup key is stored once per account.

type m0080Notice struct {
	ID         uint64     `gorm:"primaryKey;index:idx_notices_account,priority:2"`
	AccountID  uint64     `gorm:"not null;index:idx_notices_account,priority:1;uniqueIndex:idx_notices_dedup,priority:1"`
	Kind       string     `gorm:"size:32;not null"`
	Title      string     `gorm:"size:128;not null"`
	Body       string     `gorm:"type:text;not null"`
	ObjectKind string     `gorm:"size:32;not null"`
	ObjectID   string     `gorm:"size:64;not null"`
	DedupKey   *string    `gorm:"size:128;uniqueIndex:idx_notices_dedup,priority:2"`
	CreatedAt  time.Time  `gorm:"not null"`
	ReadAt     *time.Time ``
}

func (m0080Notice) TableName() string { return "notices" }

func migrate0080(tx *gorm.DB) error {
	return tableOptions(tx).Migrator().CreateTable(&m0080Notice{})
}

func rollback0080(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&m0080Notice{})
}
