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
	return addColumns(tx, &m0060Lead{}, m0060Columns...)
}

func rollback0060(tx *gorm.DB) error {
	return dropColumns(tx, &m0060Lead{}, m0060Columns...)
}
