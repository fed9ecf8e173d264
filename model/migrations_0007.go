package model

import "gorm.io/gorm"

// 0007: requests.chain_head, the hash of the request's newest event, kept
// by transitions so that the next one need not read it from events (a
// random read of a large table per transition; the deadline scanner uses
// it too). NULL means "look it up": rows from before this migration, and
// rows whose events the scanner wrote (it clears the column in one
// statement per batch rather than writing one value per row).

type m0007Request struct {
	ChainHead *string `gorm:"size:64"`
}

func (m0007Request) TableName() string { return "requests" }

func migrate0007(tx *gorm.DB) error {
	m := tx.Migrator()
	if m.HasColumn(&m0007Request{}, "ChainHead") {
		return nil
	}
	return m.AddColumn(&m0007Request{}, "ChainHead")
}

func rollback0007(tx *gorm.DB) error {
	return tx.Migrator().DropColumn(&m0007Request{}, "ChainHead")
}
