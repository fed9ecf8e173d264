package model

import (
	"time"

	"gorm.io/gorm"
)

// 0081: index_periods, the periods whose department-submitted values
// 工商联 collects: due date, confirmation (with the highest value id it
// covered) and when the scanner sent the reminders (model/index_loop.go).

type m0081IndexPeriod struct {
	ID               uint64     `gorm:"primaryKey"`
	Period           string     `gorm:"size:8;not null;uniqueIndex"`
	DueAt            time.Time  `gorm:"not null"`
	OpenedBy         uint64     `gorm:"not null"`
	OpenedAt         time.Time  `gorm:"not null"`
	ConfirmedAt      *time.Time ``
	ConfirmedBy      *uint64    ``
	ConfirmedMark    uint64     `gorm:"not null"`
	ConfirmedRunMark uint64     `gorm:"not null"`
	ConfirmedMissing int        `gorm:"not null"`
	DueSoonSentAt    *time.Time ``
	OverdueSentAt    *time.Time ``
}

func (m0081IndexPeriod) TableName() string { return "index_periods" }

func migrate0081(tx *gorm.DB) error {
	return tableOptions(tx).Migrator().CreateTable(&m0081IndexPeriod{})
}

func rollback0081(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&m0081IndexPeriod{})
}
