package model

import "gorm.io/gorm"

// 0110: a unit's accounts by (role, region, department). A case notice to a
// unit reads its accounts (role department, the unit's region and
// department); with (role, region_code) alone MariaDB examined every
// department's accounts of the region (26 rows for one or two) at each
// transition that tells a unit. (role, region_code) stays: by it a role's
// accounts at a region come in id order without a sort.

type m0110Account struct {
	Role           string  `gorm:"size:16;not null;index:idx_accounts_unit,priority:1;index:idx_accounts_role_region,priority:1"`
	RegionCode     string  `gorm:"size:16;not null;index:idx_accounts_unit,priority:2;index:idx_accounts_role_region,priority:2"`
	DepartmentCode *string `gorm:"size:16;index:idx_accounts_unit,priority:3"`
}

func (m0110Account) TableName() string { return "accounts" }

func migrate0110(tx *gorm.DB) error {
	m := tx.Migrator()
	if m.HasIndex(&m0110Account{}, "idx_accounts_unit") {
		return nil
	}
	return m.CreateIndex(&m0110Account{}, "idx_accounts_unit")
}

func rollback0110(tx *gorm.DB) error {
	return tx.Migrator().DropIndex(&m0110Account{}, "idx_accounts_unit")
}
