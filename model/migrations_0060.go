package model

import "gorm.io/gorm"

// 0060: leads.proposal and leads.proposed_by, the disposal waiting for a
// second inspector's approval (报批, docs/design.md#lead-review) and who
// proposed it.

type m0060Lead struct {
	Proposal   *string `gorm:"type:text"`
	ProposedBy *uint64 ``
}

func (m0060Lead) TableName() string { return "leads" }

var m0060Columns = []string{"Proposal", "ProposedBy"}

func migrate0060(tx *gorm.DB) error {
	for _, c := range m0060Columns {
		if tx.Migrator().HasColumn(&m0060Lead{}, c) {
			continue
		}
		if err := tx.Migrator().AddColumn(&m0060Lead{}, c); err != nil {
			return err
		}
	}
	return nil
}

func rollback0060(tx *gorm.DB) error {
	for _, c := range m0060Columns {
		if err := tx.Migrator().DropColumn(&m0060Lead{}, c); err != nil {
			return err
		}
	}
	return nil
}
