package model

import (
	"time"

	"gorm.io/gorm"
)

// 0061: the written inquiry (函询, docs/design.md#written-inquiry) a
// decision may send: the unit the letter went to, the letter, when it was
// sent and when the reply was due, the reply recorded, the conclusion. All
// NULL until a lead has one.

type m0061Lead struct {
	InquiryDepartmentCode *string    `gorm:"size:16"`
	InquiryRegionCode     *string    `gorm:"size:16"`
	InquiryLetter         *string    `gorm:"type:text"`
	InquirySentAt         *time.Time ``
	InquiryDueAt          *time.Time ``
	InquiryReply          *string    `gorm:"type:text"`
	InquiryRepliedAt      *time.Time ``
	InquiryConclusion     *string    `gorm:"size:16"`
	InquiryResult         *string    `gorm:"type:text"`
	InquiryConcludedAt    *time.Time ``
}

func (m0061Lead) TableName() string { return "leads" }

var m0061Columns = []string{"InquiryDepartmentCode", "InquiryRegionCode", "InquiryLetter", "InquirySentAt", "InquiryDueAt",
	"InquiryReply", "InquiryRepliedAt", "InquiryConclusion", "InquiryResult", "InquiryConcludedAt"}

func migrate0061(tx *gorm.DB) error {
	return addColumns(tx, &m0061Lead{}, m0061Columns...)
}

func rollback0061(tx *gorm.DB) error {
	return dropColumns(tx, &m0061Lead{}, m0061Columns...)
}
