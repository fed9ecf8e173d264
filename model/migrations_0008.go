package model

import (
	"time"

	"gorm.io/gorm"
)

// 0008: indexes for the deadline scanner's candidates. A scanner batch asks
// for open steps not yet marked overdue whose deadline passed
// (status IN … AND overdue = 0 AND due_at < now). With only (status,
// due_at), MariaDB read the primary key in id order and examined over half
// a million rows per batch of 2,000 on 1 M requests (and every idle pass
// scanned the table). With (status, overdue, due_at) a batch reads its
// 2,000 index entries, and marking a row overdue moves it out of the range.

type m0008Request struct {
	Status  string     `gorm:"size:16;not null;index:idx_requests_scan,priority:1"`
	Overdue bool       `gorm:"not null;index:idx_requests_scan,priority:2"`
	DueAt   *time.Time `gorm:"index:idx_requests_scan,priority:3"`
}

func (m0008Request) TableName() string { return "requests" }

type m0008Lead struct {
	Status  string     `gorm:"size:16;not null;index:idx_leads_scan,priority:1"`
	Overdue bool       `gorm:"not null;index:idx_leads_scan,priority:2"`
	DueAt   *time.Time `gorm:"index:idx_leads_scan,priority:3"`
}

func (m0008Lead) TableName() string { return "leads" }

func migrate0008(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, ix := range []struct {
		table any
		name  string
	}{{&m0008Request{}, "idx_requests_scan"}, {&m0008Lead{}, "idx_leads_scan"}} {
		if !m.HasIndex(ix.table, ix.name) {
			if err := m.CreateIndex(ix.table, ix.name); err != nil {
				return err
			}
		}
	}
	return nil
}

func rollback0008(tx *gorm.DB) error {
	m := tx.Migrator()
	if err := m.DropIndex(&m0008Lead{}, "idx_leads_scan"); err != nil {
		return err
	}
	return m.DropIndex(&m0008Request{}, "idx_requests_scan")
}
