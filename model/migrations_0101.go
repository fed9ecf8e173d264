package model

import "gorm.io/gorm"

// 0101: co-handling units (协办, docs/design.md#co-handling). The request
// row keeps its co-units as dept@region;… (co_units: who the party is); the
// table lists them one per row, for a unit to find the requests it
// co-handles.

type m0101Request struct {
	CoUnits string `gorm:"size:255;not null;default:''"`
}

func (m0101Request) TableName() string { return "requests" }

type m0101RequestCoUnit struct {
	RequestID      uint64 `gorm:"primaryKey;autoIncrement:false"`
	DepartmentCode string `gorm:"primaryKey;size:16;index:idx_request_co_units_unit,priority:1"`
	UnitRegionCode string `gorm:"primaryKey;size:16;index:idx_request_co_units_unit,priority:2"`
}

func (m0101RequestCoUnit) TableName() string { return "request_co_units" }

func migrate0101(tx *gorm.DB) error {
	if err := addColumns(tx, &m0101Request{}, "CoUnits"); err != nil {
		return err
	}
	return tableOptions(tx).Migrator().AutoMigrate(&m0101RequestCoUnit{})
}

func rollback0101(tx *gorm.DB) error {
	if err := tx.Migrator().DropTable(&m0101RequestCoUnit{}); err != nil {
		return err
	}
	return dropColumns(tx, &m0101Request{}, "CoUnits")
}
