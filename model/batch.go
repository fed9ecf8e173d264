package model

import "gorm.io/gorm"

// insertBatch is how many rows of cols columns one multi-row INSERT should
// carry. MySQL takes 500 comfortably. The SQLite driver (glebarez/go-sqlite
// conn.bind) binds parameters in time quadratic in their number per
// statement: a 500-event INSERT (8,500 values) spent most of a scanner pass
// binding (README "Performance"), so SQLite gets statements of at most
// about 1,200 values.
func insertBatch(tx *gorm.DB, cols int) int {
	if IsMySQL(tx) {
		return 500
	}
	return max(1, min(500, 1200/max(1, cols)))
}
