package model

import (
	"time"

	"gorm.io/gorm"
)

// 0004: the 亲清健康指数 — uploaded indicator trees, department-submitted
// values (every submission kept), the enterprise questionnaire, and index
// runs. The large JSON columns are longtext: MySQL's text holds only 64 KiB,
// less than a report of 28 units × 60 nodes.

type m0004IndicatorTree struct {
	ID        uint64    `gorm:"primaryKey"`
	Version   string    `gorm:"size:32;not null;uniqueIndex"`
	Body      string    `gorm:"type:longtext;not null"`
	CreatedBy uint64    `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

func (m0004IndicatorTree) TableName() string { return "indicator_trees" }

type m0004IndicatorValue struct {
	ID             uint64    `gorm:"primaryKey;index:idx_indicator_values_key,priority:4"`
	Period         string    `gorm:"size:8;not null;index:idx_indicator_values_key,priority:1"`
	IndicatorCode  string    `gorm:"size:16;not null;index:idx_indicator_values_key,priority:2"`
	RegionCode     string    `gorm:"size:16;not null;index:idx_indicator_values_key,priority:3"`
	Value          float64   `gorm:"not null"`
	SubmittedBy    uint64    `gorm:"not null"`
	DepartmentCode string    `gorm:"size:16;not null"`
	CreatedAt      time.Time `gorm:"not null"`
}

func (m0004IndicatorValue) TableName() string { return "indicator_values" }

type m0004SurveyResponse struct {
	ID           uint64    `gorm:"primaryKey"`
	EnterpriseID uint64    `gorm:"not null;uniqueIndex:idx_survey_responses_enterprise_period,priority:1"`
	Period       string    `gorm:"size:8;not null;uniqueIndex:idx_survey_responses_enterprise_period,priority:2"`
	RegionCode   string    `gorm:"size:16;not null"`
	AccountID    uint64    `gorm:"not null"`
	Answers      string    `gorm:"type:text;not null"`
	CreatedAt    time.Time `gorm:"not null"`
	UpdatedAt    time.Time `gorm:"not null"`
}

func (m0004SurveyResponse) TableName() string { return "survey_responses" }

type m0004SurveyAnswer struct {
	ID            uint64 `gorm:"primaryKey"`
	EnterpriseID  uint64 `gorm:"not null;uniqueIndex:idx_survey_answers_key,priority:1"`
	Period        string `gorm:"size:8;not null;uniqueIndex:idx_survey_answers_key,priority:2;index:idx_survey_answers_period,priority:1"`
	IndicatorCode string `gorm:"size:16;not null;uniqueIndex:idx_survey_answers_key,priority:3;index:idx_survey_answers_period,priority:3"`
	RegionCode    string `gorm:"size:16;not null;index:idx_survey_answers_period,priority:2"`
	Score         int    `gorm:"not null"`
}

func (m0004SurveyAnswer) TableName() string { return "survey_answers" }

type m0004IndexRun struct {
	ID          uint64     `gorm:"primaryKey"`
	Period      string     `gorm:"size:8;not null;uniqueIndex:idx_index_runs_period_version,priority:1"`
	Version     int        `gorm:"not null;uniqueIndex:idx_index_runs_period_version,priority:2"`
	Status      string     `gorm:"size:16;not null"`
	Method      string     `gorm:"size:16;not null"`
	TreeVersion string     `gorm:"size:32;not null"`
	TreeJSON    string     `gorm:"type:longtext;not null"`
	ValuesJSON  string     `gorm:"type:longtext;not null"`
	ReportJSON  string     `gorm:"type:longtext;not null"`
	Provisional bool       `gorm:"not null"`
	AsOf        time.Time  `gorm:"not null"`
	CreatedBy   uint64     `gorm:"not null"`
	CreatedAt   time.Time  `gorm:"not null"`
	PublishedAt *time.Time ``
	PublishedBy *uint64    ``
}

func (m0004IndexRun) TableName() string { return "index_runs" }

func m0004Tables() []any {
	return []any{&m0004IndicatorTree{}, &m0004IndicatorValue{}, &m0004SurveyResponse{}, &m0004SurveyAnswer{}, &m0004IndexRun{}}
}

func migrate0004(tx *gorm.DB) error {
	return tableOptions(tx).Migrator().CreateTable(m0004Tables()...)
}

func rollback0004(tx *gorm.DB) error {
	return tx.Migrator().DropTable(m0004Tables()...)
}
