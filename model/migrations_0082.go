package model

import (
	"time"

	"gorm.io/gorm"
)

// 0082: rectification_items, the 问题整改清单 of a published index under
// way (one per period, unit and indicator), and rectification_reports, the
// owner unit's progress reports (model/rectification.go).

type m0082RectificationItem struct {
	ID             uint64     `gorm:"primaryKey"`
	RunID          uint64     `gorm:"not null"`
	Period         string     `gorm:"size:8;not null;uniqueIndex:idx_rectification_key,priority:1"`
	UnitCode       string     `gorm:"size:16;not null;uniqueIndex:idx_rectification_key,priority:2;index:idx_rectification_owner,priority:2"`
	IndicatorCode  string     `gorm:"size:16;not null;uniqueIndex:idx_rectification_key,priority:3"`
	IndicatorName  string     `gorm:"size:128;not null"`
	Kind           string     `gorm:"size:8;not null"`
	DepartmentCode string     `gorm:"size:16;not null;index:idx_rectification_owner,priority:1"`
	Gap            string     `gorm:"type:text;not null"`
	Status         string     `gorm:"size:16;not null;index:idx_rectification_due,priority:1"`
	DueAt          time.Time  `gorm:"not null;index:idx_rectification_due,priority:2"`
	DueSoonSent    bool       `gorm:"not null"`
	Overdue        bool       `gorm:"not null"`
	ReportCount    int        `gorm:"not null"`
	LastReportAt   *time.Time ``
	ClosedAt       *time.Time ``
	ClosedBy       *uint64    ``
	CloseNote      string     `gorm:"type:text;not null"`
	Version        int        `gorm:"not null"`
	CreatedAt      time.Time  `gorm:"not null"`
}

func (m0082RectificationItem) TableName() string { return "rectification_items" }

type m0082RectificationReport struct {
	ID        uint64    `gorm:"primaryKey"`
	ItemID    uint64    `gorm:"not null;index"`
	AccountID uint64    `gorm:"not null"`
	Content   string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

func (m0082RectificationReport) TableName() string { return "rectification_reports" }

func migrate0082(tx *gorm.DB) error {
	return tableOptions(tx).Migrator().CreateTable(&m0082RectificationItem{}, &m0082RectificationReport{})
}

func rollback0082(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&m0082RectificationItem{}, &m0082RectificationReport{})
}
