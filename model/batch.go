package model

import "gorm.io/gorm"

// insertBatch is how many rows of cols columns one multi-row INSERT should
// carry. MySQL takes 500 comfortably. On SQLite a statement stays at about
// 1,200 values: the driver first used here bound parameters in time
// quadratic in their number (a 500-event INSERT, 8,500 values, spent most
// of a scanner pass binding), and a small statement is one that each
// connection keeps compiled (stmtcache.go).
func insertBatch(tx *gorm.DB, cols int) int {
	if IsMySQL(tx) {
		return 500
	}
	return max(1, min(500, 1200/max(1, cols)))
}
