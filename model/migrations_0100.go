package model

import "gorm.io/gorm"

// 0100: a request merged into another (合并, docs/design.md#repeats-and-merge)
// keeps the other's id; the index finds the repeats merged into a request.

type m0100Request struct {
	MergedInto *uint64 `gorm:"index:idx_requests_merged_into"`
}

func (m0100Request) TableName() string { return "requests" }

func migrate0100(tx *gorm.DB) error {
	if err := addColumns(tx, &m0100Request{}, "MergedInto"); err != nil {
		return err
	}
	if m := tx.Migrator(); !m.HasIndex(&m0100Request{}, "idx_requests_merged_into") {
		return m.CreateIndex(&m0100Request{}, "idx_requests_merged_into")
	}
	return nil
}

func rollback0100(tx *gorm.DB) error {
	if m := tx.Migrator(); m.HasIndex(&m0100Request{}, "idx_requests_merged_into") {
		if err := m.DropIndex(&m0100Request{}, "idx_requests_merged_into"); err != nil {
			return err
		}
	}
	return dropColumns(tx, &m0100Request{}, "MergedInto")
}
