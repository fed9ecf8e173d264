package model

import (
	"time"

	"gorm.io/gorm"
)

// 0070: exemptions, the 容错免责 procedure (docs/design.md#tolerance): an
// application about one lead or one request, carried by 纪检监察 through
// 受理, 核实, 集体认定, the written decision and 报备.

type m0070Exemption struct {
	ID             uint64     `gorm:"primaryKey"`
	RegionCode     string     `gorm:"size:16;not null;index:idx_exemptions_region_status,priority:1;index:idx_exemptions_filed,priority:2"`
	Status         string     `gorm:"size:16;not null;index:idx_exemptions_region_status,priority:2"`
	ApplicantID    uint64     `gorm:"not null"`
	ApplicantRole  string     `gorm:"size:16;not null"`
	DepartmentCode *string    `gorm:"size:16;index:idx_exemptions_unit,priority:1"`
	UnitRegionCode *string    `gorm:"size:16;index:idx_exemptions_unit,priority:2"`
	EnterpriseID   *uint64    `gorm:"index"`
	OfficialName   string     `gorm:"size:100;not null"`
	LeadID         *uint64    `gorm:"index"`
	RequestID      *uint64    `gorm:"index"`
	Circumstances  string     `gorm:"type:text;not null"`
	AcceptedAt     *time.Time ``
	AcceptNote     string     `gorm:"type:text;not null"`
	RejectReason   string     `gorm:"type:text;not null"`
	Findings       string     `gorm:"type:text;not null"`
	Outcome        *string    `gorm:"size:16"`
	Members        string     `gorm:"type:text;not null"`
	MeetingAt      *time.Time ``
	Opinion        string     `gorm:"type:text;not null"`
	DecisionNo     string     `gorm:"size:200;not null"`
	DecisionText   string     `gorm:"type:text;not null"`
	DecidedAt      *time.Time ``
	FiledWith      string     `gorm:"size:200;not null"`
	FileNote       string     `gorm:"type:text;not null"`
	FiledAt        *time.Time `gorm:"index:idx_exemptions_filed,priority:1"`
	ClosedAt       *time.Time ``
	Version        int        `gorm:"not null"`
	CreatedAt      time.Time  `gorm:"not null"`
	UpdatedAt      time.Time  `gorm:"not null"`
}

func (m0070Exemption) TableName() string { return "exemptions" }

func migrate0070(tx *gorm.DB) error {
	if tx.Migrator().HasTable(&m0070Exemption{}) {
		return nil
	}
	return tx.Migrator().CreateTable(&m0070Exemption{})
}

func rollback0070(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&m0070Exemption{})
}
