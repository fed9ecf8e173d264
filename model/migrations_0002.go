package model

import (
	"time"

	"gorm.io/gorm"
)

// 0002: the lead loop (问题线索) and the record of who read a lead.

type m0002Lead struct {
	ID                    uint64     `gorm:"primaryKey"`
	Content               string     `gorm:"type:text;not null"`
	Evidence              string     `gorm:"type:text;not null"`
	OccurredAt            *time.Time ``
	RegionCode            string     `gorm:"size:16;not null;index:idx_leads_region_status,priority:1"`
	Anonymous             bool       `gorm:"not null"`
	ReporterAccountID     *uint64    `gorm:"index:idx_leads_reporter,priority:1"`
	ReporterRole          string     `gorm:"size:16;not null"`
	StationID             *uint64    `gorm:"index:idx_leads_station,priority:1"`
	ReceiptHash           *string    `gorm:"size:64;uniqueIndex"`
	EnterpriseID          *uint64    ``
	SubjectDepartmentCode *string    `gorm:"size:16"`
	SubjectName           string     `gorm:"size:100;not null"`
	SubjectUsername       string     `gorm:"size:64;not null"`
	SubjectAccountID      *uint64    `gorm:"index:idx_leads_subject,priority:1"`
	RuleCode              *string    `gorm:"size:16"`
	Status                string     `gorm:"size:16;not null;index:idx_leads_region_status,priority:2;index:idx_leads_status_due,priority:1"`
	Disposal              *string    `gorm:"size:32"`
	Assessment            string     `gorm:"type:text;not null"`
	TransferTo            string     `gorm:"size:200;not null"`
	Grounds               string     `gorm:"type:text;not null"`
	RectifyDepartmentCode *string    `gorm:"size:16;index:idx_leads_unit,priority:1"`
	RectifyRegionCode     *string    `gorm:"size:16;index:idx_leads_unit,priority:2"`
	RectifyDays           int        `gorm:"not null"`
	RectifyDueAt          *time.Time ``
	RectifyReport         string     `gorm:"type:text;not null"`
	RectifiedAt           *time.Time ``
	VerifyAccepted        *bool      ``
	VerifyResult          string     `gorm:"type:text;not null"`
	VerifiedAt            *time.Time ``
	DueAt                 *time.Time `gorm:"index:idx_leads_status_due,priority:2"`
	DueWorking            bool       `gorm:"not null"`
	StepStartedAt         time.Time  `gorm:"not null"`
	Overdue               bool       `gorm:"not null"`
	DueSoon               bool       `gorm:"not null;default:false"`
	ScanToken             *string    `gorm:"size:32;index"`
	Version               int        `gorm:"not null"`
	CreatedAt             time.Time  `gorm:"not null"`
	UpdatedAt             time.Time  `gorm:"not null"`
	ClosedAt              *time.Time ``
}

type m0002LeadRead struct {
	ID        uint64    `gorm:"primaryKey"`
	LeadID    uint64    `gorm:"not null;index:idx_lead_reads_lead,priority:1"`
	AccountID uint64    `gorm:"not null"`
	Role      string    `gorm:"size:16;not null"`
	What      string    `gorm:"size:16;not null"`
	At        time.Time `gorm:"not null"`
}

func (m0002Lead) TableName() string     { return "leads" }
func (m0002LeadRead) TableName() string { return "lead_reads" }

func migrate0002(tx *gorm.DB) error {
	return tableOptions(tx).Migrator().CreateTable(&m0002Lead{}, &m0002LeadRead{})
}

func rollback0002(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&m0002LeadRead{}, &m0002Lead{})
}
