package model

import "gorm.io/gorm"

// 0009: what the web console needs of the schema.
//
//   - accounts.password_change_required: set on an account whose password
//     was generated rather than chosen by its holder (the admin's first
//     password printed at the first start); the console lets such an
//     account do nothing but choose a new one, and SetPassword clears it.
//   - requests (pending_extension_days): 工商联's worklist asks for the
//     extension requests waiting for a decision (pending_extension_days >
//     0). They are few among the requests in progress; without the index
//     the query read every request in progress of the region to find them.

type m0009Account struct {
	PasswordChangeRequired bool `gorm:"not null;default:false"`
}

func (m0009Account) TableName() string { return "accounts" }

type m0009Request struct {
	PendingExtensionDays int `gorm:"not null;index:idx_requests_pending_extension,priority:1"`
}

func (m0009Request) TableName() string { return "requests" }

func migrate0009(tx *gorm.DB) error {
	m := tx.Migrator()
	if !m.HasColumn(&m0009Account{}, "PasswordChangeRequired") {
		if err := m.AddColumn(&m0009Account{}, "PasswordChangeRequired"); err != nil {
			return err
		}
	}
	if !m.HasIndex(&m0009Request{}, "idx_requests_pending_extension") {
		return m.CreateIndex(&m0009Request{}, "idx_requests_pending_extension")
	}
	return nil
}

func rollback0009(tx *gorm.DB) error {
	m := tx.Migrator()
	if err := m.DropIndex(&m0009Request{}, "idx_requests_pending_extension"); err != nil {
		return err
	}
	return m.DropColumn(&m0009Account{}, "PasswordChangeRequired")
}
