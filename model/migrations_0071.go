package model

import (
	"time"

	"gorm.io/gorm"
)

// 0071: 政企协商会 (docs/design.md#consultations): the meetings, whom they
// invite, and on requests the channel they came by and the meeting an
// issue was raised at. Requests filed before have the channel direct.

type m0071Consultation struct {
	ID                uint64     `gorm:"primaryKey"`
	Theme             string     `gorm:"size:200;not null"`
	RegionCode        string     `gorm:"size:16;not null;index:idx_consultations_region_held,priority:1"`
	HeldOn            time.Time  `gorm:"not null;index:idx_consultations_region_held,priority:2"`
	Venue             string     `gorm:"size:200;not null"`
	OrganiserID       uint64     `gorm:"not null"`
	Status            string     `gorm:"size:16;not null"`
	Agenda            string     `gorm:"type:text;not null"`
	AgendaItems       string     `gorm:"type:text;not null"`
	AgendaPublishedAt *time.Time ``
	Minutes           string     `gorm:"type:text;not null"`
	HeldAt            *time.Time ``
	CancelReason      string     `gorm:"type:text;not null"`
	Version           int        `gorm:"not null"`
	CreatedAt         time.Time  `gorm:"not null"`
	UpdatedAt         time.Time  `gorm:"not null"`
}

func (m0071Consultation) TableName() string { return "consultations" }

type m0071ConsultationInvitee struct {
	ID             uint64  `gorm:"primaryKey"`
	ConsultationID uint64  `gorm:"not null;index"`
	EnterpriseID   *uint64 `gorm:"index"`
	DepartmentCode *string `gorm:"size:16;index"`
}

func (m0071ConsultationInvitee) TableName() string { return "consultation_invitees" }

type m0071Request struct {
	Channel        string  `gorm:"size:16;not null;default:direct"`
	ConsultationID *uint64 `gorm:"index"`
}

func (m0071Request) TableName() string { return "requests" }

var m0071Columns = []string{"Channel", "ConsultationID"}

func migrate0071(tx *gorm.DB) error {
	m := tableOptions(tx).Migrator()
	for _, t := range []any{&m0071Consultation{}, &m0071ConsultationInvitee{}} {
		if !m.HasTable(t) {
			if err := m.CreateTable(t); err != nil {
				return err
			}
		}
	}
	if err := addColumns(tx, &m0071Request{}, m0071Columns...); err != nil {
		return err
	}
	if m.HasIndex(&m0071Request{}, "ConsultationID") {
		return nil
	}
	return m.CreateIndex(&m0071Request{}, "ConsultationID")
}

func rollback0071(tx *gorm.DB) error {
	if err := dropColumns(tx, &m0071Request{}, m0071Columns...); err != nil {
		return err
	}
	return tx.Migrator().DropTable(&m0071ConsultationInvitee{}, &m0071Consultation{})
}
