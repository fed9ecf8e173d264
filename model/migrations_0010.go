package model

import (
	"time"

	"gorm.io/gorm"
)

// 0010: limits shared by every instance (limits.go): sign-in attempts per
// key, the row that serialises the reservations of a key, and the token
// buckets of the rate limit.

type m0010LimitAttempt struct {
	ID     uint64    `gorm:"primaryKey"`
	Key    string    `gorm:"column:limit_key;size:191;not null;index:idx_limit_attempts_key_at,priority:1"`
	At     time.Time `gorm:"not null;index:idx_limit_attempts_key_at,priority:2;index:idx_limit_attempts_at"`
	Ticket string    `gorm:"size:32;not null;index"`
	Fail   bool      `gorm:"not null"`
}

func (m0010LimitAttempt) TableName() string { return "limit_attempts" }

type m0010LimitKey struct {
	Key     string    `gorm:"column:limit_key;primaryKey;size:191"`
	Touched time.Time `gorm:"not null"`
	Seq     int64     `gorm:"not null"`
}

func (m0010LimitKey) TableName() string { return "limit_keys" }

type m0010LimitBucket struct {
	Key     string `gorm:"column:limit_key;primaryKey;size:191"`
	Milli   int64  `gorm:"not null"`
	AtMS    int64  `gorm:"column:at_ms;not null"`
	Version int64  `gorm:"not null"`
}

func (m0010LimitBucket) TableName() string { return "limit_buckets" }

func migrate0010(tx *gorm.DB) error {
	return tableOptions(tx).Migrator().CreateTable(&m0010LimitAttempt{}, &m0010LimitKey{}, &m0010LimitBucket{})
}

func rollback0010(tx *gorm.DB) error {
	return tx.Migrator().DropTable(&m0010LimitAttempt{}, &m0010LimitKey{}, &m0010LimitBucket{})
}
