package model

import (
	"time"

	"gorm.io/gorm"
)

// 0062: the feedback to a lead's reporter (反馈, docs/design.md#feedback):
// when it is due, how, when and what was given, when it was recorded. A
// lead closed before this migration has none due (FeedbackDue computes its
// date for the view, as before); one closed after it has the feedback step
// on the deadline board.

type m0062Lead struct {
	FeedbackDueAt      *time.Time ``
	FeedbackMethod     *string    `gorm:"size:16"`
	FeedbackAt         *time.Time ``
	FeedbackContent    *string    `gorm:"type:text"`
	FeedbackRecordedAt *time.Time ``
}

func (m0062Lead) TableName() string { return "leads" }

var m0062Columns = []string{"FeedbackDueAt", "FeedbackMethod", "FeedbackAt", "FeedbackContent", "FeedbackRecordedAt"}

func migrate0062(tx *gorm.DB) error {
	return addColumns(tx, &m0062Lead{}, m0062Columns...)
}

func rollback0062(tx *gorm.DB) error {
	return dropColumns(tx, &m0062Lead{}, m0062Columns...)
}
