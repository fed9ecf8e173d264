package model

import "gorm.io/gorm"

// addColumns adds the fields cols of the frozen model m that its table
// lacks (a migration that runs again adds nothing); dropColumns removes
// them. The lead migrations from 0060 on add their columns this way.
func addColumns(tx *gorm.DB, m any, cols ...string) error {
	for _, c := range cols {
		if tx.Migrator().HasColumn(m, c) {
			continue
		}
		if err := tx.Migrator().AddColumn(m, c); err != nil {
			return err
		}
	}
	return nil
}

func dropColumns(tx *gorm.DB, m any, cols ...string) error {
	for _, c := range cols {
		if err := tx.Migrator().DropColumn(m, c); err != nil {
			return err
		}
	}
	return nil
}
