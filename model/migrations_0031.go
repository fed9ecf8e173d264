package model

import (
	"time"

	"gorm.io/gorm"
)

// 0031: lead_recusals, the inspectors who declared a conflict of interest
// (回避) with a lead and no longer see it.

type m0031LeadRecusal struct {
	ID        uint64    `gorm:"primaryKey"`
	LeadID    uint64    `gorm:"not null;uniqueIndex:idx_lead_recusals_lead_account,priority:1"`
	AccountID uint64    `gorm:"not null;uniqueIndex:idx_lead_recusals_lead_account,priority:2"`
	CreatedAt time.Time `gorm:"not null"`
}

func (m0031LeadRecusal) TableName() string { return "lead_recusals" }

func migrate0031(tx *gorm.DB) error {
	if tx.Migrator().HasTable(&m0031LeadRecusal{}) {
		return nil
	}
	return tx.Migrator().CreateTable(&m0031LeadRecusal{})
}

func rollback0031(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&m0031LeadRecusal{})
}
