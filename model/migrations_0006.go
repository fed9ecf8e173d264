package model

import (
	"time"

	"gorm.io/gorm"
)

// 0006: indexes the performance measurements showed missing (README
// "Performance"; model/explain_test.go proves the plans on MariaDB).
//
//   - requests (status, closed_at): /stats counts the requests closed in a
//     period; without it MariaDB read the whole requests table whenever the
//     region filter covered most regions (the city, a large district).

type m0006Request struct {
	Status   string     `gorm:"size:16;not null;index:idx_requests_status_closed,priority:1"`
	ClosedAt *time.Time `gorm:"index:idx_requests_status_closed,priority:2"`
}

func (m0006Request) TableName() string { return "requests" }

func migrate0006(tx *gorm.DB) error {
	m := tx.Migrator()
	if m.HasIndex(&m0006Request{}, "idx_requests_status_closed") {
		return nil
	}
	return m.CreateIndex(&m0006Request{}, "idx_requests_status_closed")
}

func rollback0006(tx *gorm.DB) error {
	return tx.Migrator().DropIndex(&m0006Request{}, "idx_requests_status_closed")
}
