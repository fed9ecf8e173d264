package model

import (
	"time"

	"gorm.io/gorm"
)

// 0090: attachments (docs/design.md#attachments). One row per upload; the
// content is in the blob store under the id. idx_files_orphans finds the
// uploads never attached (attached_at NULL) by age for the sweep;
// idx_files_case lists a case's files.

type m0090File struct {
	ID           string     `gorm:"primaryKey;size:32"`
	Name         string     `gorm:"size:255;not null"`
	Kind         string     `gorm:"size:8;not null"`
	ContentType  string     `gorm:"size:128;not null"`
	Size         int64      `gorm:"not null"`
	SHA256       string     `gorm:"column:sha256;size:64;not null"`
	UploadedBy   *uint64    ``
	UploaderRole string     `gorm:"size:16;not null"`
	CreatedAt    time.Time  `gorm:"not null;index:idx_files_orphans,priority:2"`
	CaseKind     *string    `gorm:"size:8"`
	CaseID       *uint64    `gorm:"index:idx_files_case"`
	Action       *string    `gorm:"size:32"`
	AttachedAt   *time.Time `gorm:"index:idx_files_orphans,priority:1"`
}

func (m0090File) TableName() string { return "files" }

func migrate0090(tx *gorm.DB) error {
	return tableOptions(tx).Migrator().CreateTable(&m0090File{})
}

func rollback0090(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&m0090File{})
}
