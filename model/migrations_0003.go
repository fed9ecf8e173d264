package model

import (
	"time"

	"gorm.io/gorm"
)

// 0003: deadline reminders and the scanner's claim token on requests, and
// the webhook outbox.

type m0003Request struct {
	DueSoon         bool       `gorm:"not null;default:false"`
	ScanToken       *string    `gorm:"size:32;index"`
	FirstAssignedAt *time.Time `gorm:"index"`
}

func (m0003Request) TableName() string { return "requests" }

type m0003WebhookDelivery struct {
	ID            uint64     `gorm:"primaryKey"`
	DeliveryID    string     `gorm:"size:36;not null;uniqueIndex"`
	URL           string     `gorm:"size:512;not null"`
	EventID       uint64     `gorm:"not null"`
	EventType     string     `gorm:"size:48;not null"`
	Body          string     `gorm:"type:text;not null"`
	Status        string     `gorm:"size:16;not null;index:idx_deliveries_due,priority:1"`
	Attempts      int        `gorm:"not null"`
	NextAttemptAt time.Time  `gorm:"not null;index:idx_deliveries_due,priority:2"`
	LeaseUntil    *time.Time ``
	ClaimedBy     *string    `gorm:"size:32"`
	LastError     string     `gorm:"size:512;not null"`
	CreatedAt     time.Time  `gorm:"not null"`
	DeliveredAt   *time.Time ``
}

func (m0003WebhookDelivery) TableName() string { return "webhook_deliveries" }

func migrate0003(tx *gorm.DB) error {
	m := tableOptions(tx).Migrator()
	for _, col := range []string{"DueSoon", "ScanToken", "FirstAssignedAt"} {
		if !m.HasColumn(&m0003Request{}, col) {
			if err := m.AddColumn(&m0003Request{}, col); err != nil {
				return err
			}
		}
	}
	for _, idx := range []string{"ScanToken", "FirstAssignedAt"} {
		if !m.HasIndex(&m0003Request{}, idx) {
			if err := m.CreateIndex(&m0003Request{}, idx); err != nil {
				return err
			}
		}
	}
	return m.CreateTable(&m0003WebhookDelivery{})
}

func rollback0003(tx *gorm.DB) error {
	m := tx.Migrator()
	if err := m.DropTable(&m0003WebhookDelivery{}); err != nil {
		return err
	}
	for _, col := range []string{"FirstAssignedAt", "ScanToken"} {
		_ = m.DropIndex(&m0003Request{}, col)
		if err := m.DropColumn(&m0003Request{}, col); err != nil {
			return err
		}
	}
	return m.DropColumn(&m0003Request{}, "DueSoon")
}
