package model

import (
	"time"

	"gorm.io/gorm"
)

// 0102: notices by SMS and e-mail (docs/design.md#notice-channels): each
// account's choice, and the outbox of deliveries.

type m0102NotifySetting struct {
	AccountID uint64    `gorm:"primaryKey;autoIncrement:false"`
	Phone     string    `gorm:"size:20;not null"`
	Email     string    `gorm:"size:254;not null"`
	SMS       bool      `gorm:"column:sms;not null"`
	ByEmail   bool      `gorm:"column:by_email;not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (m0102NotifySetting) TableName() string { return "notify_settings" }

type m0102NoticeDelivery struct {
	ID            uint64     `gorm:"primaryKey"`
	AccountID     uint64     `gorm:"not null"`
	Channel       string     `gorm:"size:8;not null"`
	Address       string     `gorm:"size:254;not null"`
	Title         string     `gorm:"size:128;not null"`
	Body          string     `gorm:"type:text;not null"`
	Status        string     `gorm:"size:16;not null;index:idx_notice_deliveries_due,priority:1"`
	NextAttemptAt time.Time  `gorm:"not null;index:idx_notice_deliveries_due,priority:2"`
	Attempts      int        `gorm:"not null"`
	ClaimedBy     *string    `gorm:"size:32"`
	LastError     string     `gorm:"size:500;not null"`
	SentAt        *time.Time ``
	CreatedAt     time.Time  `gorm:"not null"`
}

func (m0102NoticeDelivery) TableName() string { return "notice_deliveries" }

func migrate0102(tx *gorm.DB) error {
	return tableOptions(tx).Migrator().AutoMigrate(&m0102NotifySetting{}, &m0102NoticeDelivery{})
}

func rollback0102(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&m0102NotifySetting{}, &m0102NoticeDelivery{})
}
