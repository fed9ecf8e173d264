package model

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// Migrations lists every schema change in order. Each one works on frozen
// copies of the types as they were when it was written, so it still means
// the same thing after the models move on; the same list runs on SQLite and
// MySQL. Never edit a migration that has shipped: add one.
func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "202611250001_initial", Migrate: migrate0001, Rollback: rollback0001},
		{ID: "202611250002_leads", Migrate: migrate0002, Rollback: rollback0002},
		{ID: "202611250003_deadlines", Migrate: migrate0003, Rollback: rollback0003},
		{ID: "202611250004_index", Migrate: migrate0004, Rollback: rollback0004},
		{ID: "202611250005_auth", Migrate: migrate0005, Rollback: rollback0005},
		{ID: "202611250006_perf_indexes", Migrate: migrate0006, Rollback: rollback0006},
		{ID: "202611250007_request_chain_head", Migrate: migrate0007, Rollback: rollback0007},
		{ID: "202611250008_scan_indexes", Migrate: migrate0008, Rollback: rollback0008},
		{ID: "202611250009_password_change_extensions", Migrate: migrate0009, Rollback: rollback0009},
		{ID: "202611250010_shared_limits", Migrate: migrate0010, Rollback: rollback0010},
		{ID: "202612060011_board_counts", Migrate: migrate0011, Rollback: rollback0011},
		{ID: "202612060030_session_purge", Migrate: migrate0030, Rollback: rollback0030},
		{ID: "202612060031_lead_recusals", Migrate: migrate0031, Rollback: rollback0031},
		{ID: "202612060060_lead_proposals", Migrate: migrate0060, Rollback: rollback0060},
		{ID: "202612060061_lead_inquiries", Migrate: migrate0061, Rollback: rollback0061},
		{ID: "202612060062_lead_feedback", Migrate: migrate0062, Rollback: rollback0062},
		{ID: "202612070100_request_merge", Migrate: migrate0100, Rollback: rollback0100},
		{ID: "202612070101_request_co_units", Migrate: migrate0101, Rollback: rollback0101},
		{ID: "202612070080_notices", Migrate: migrate0080, Rollback: rollback0080},
		{ID: "202612070081_index_periods", Migrate: migrate0081, Rollback: rollback0081},
		{ID: "202612070082_rectification_items", Migrate: migrate0082, Rollback: rollback0082},
		{ID: "202612070090_files", Migrate: migrate0090, Rollback: rollback0090},
		{ID: "202612070070_exemptions", Migrate: migrate0070, Rollback: rollback0070},
		{ID: "202612070071_consultations", Migrate: migrate0071, Rollback: rollback0071},
		{ID: "202612070102_notice_channels", Migrate: migrate0102, Rollback: rollback0102},
		{ID: "202612070110_accounts_unit_index", Migrate: migrate0110, Rollback: rollback0110},
	}
}

// Migrate brings the schema up to date. Safe to run on every start and from
// several instances (gormigrate records applied IDs; a concurrent duplicate
// fails on the migrations table's primary key and is retried by the caller).
func Migrate(db *gorm.DB) error {
	m := gormigrate.New(tableOptions(db), &gormigrate.Options{TableName: "schema_migrations", IDColumnSize: 64,
		UseTransaction: !IsMySQL(db)}, migrations())
	return m.Migrate()
}

func migrate0001(tx *gorm.DB) error {
	return tableOptions(tx).Migrator().CreateTable(m0001Tables()...)
}

func rollback0001(tx *gorm.DB) error {
	return tx.Migrator().DropTable(m0001Tables()...)
}

func m0001Tables() []any {
	return []any{&m0001Region{}, &m0001Department{}, &m0001Station{}, &m0001Enterprise{}, &m0001Account{}, &m0001Request{}, &m0001Event{}, &m0001IdempotencyKey{}}
}

type m0001Region struct {
	Code       string `gorm:"primaryKey;size:16"`
	Name       string `gorm:"size:64;not null"`
	Level      string `gorm:"size:16;not null"`
	ParentCode string `gorm:"size:16;not null;index"`
}

type m0001Department struct {
	Code string `gorm:"primaryKey;size:16"`
	Name string `gorm:"size:64;not null"`
}

type m0001Station struct {
	ID         uint64    `gorm:"primaryKey"`
	Name       string    `gorm:"size:128;not null"`
	RegionCode string    `gorm:"size:16;not null;index"`
	Address    string    `gorm:"size:256;not null"`
	CreatedAt  time.Time `gorm:"not null"`
}

type m0001Enterprise struct {
	ID           uint64    `gorm:"primaryKey"`
	USCC         string    `gorm:"column:uscc;size:18;not null;uniqueIndex"`
	Name         string    `gorm:"size:128;not null"`
	RegionCode   string    `gorm:"size:16;not null;index:idx_enterprises_region,priority:1"`
	ContactName  string    `gorm:"size:64;not null"`
	ContactPhone string    `gorm:"size:32;not null"`
	CreatedAt    time.Time `gorm:"not null"`
	UpdatedAt    time.Time `gorm:"not null"`
}

type m0001Account struct {
	ID             uint64  `gorm:"primaryKey"`
	Username       string  `gorm:"size:64;not null;uniqueIndex"`
	PasswordHash   string  `gorm:"size:255;not null"`
	Role           string  `gorm:"size:16;not null;index:idx_accounts_role_region,priority:1"`
	RegionCode     string  `gorm:"size:16;not null;index:idx_accounts_role_region,priority:2"`
	DepartmentCode *string `gorm:"size:16"`
	StationID      *uint64
	EnterpriseID   *uint64
	DisplayName    string    `gorm:"size:64;not null"`
	Disabled       bool      `gorm:"not null"`
	CreatedAt      time.Time `gorm:"not null"`
	UpdatedAt      time.Time `gorm:"not null"`
}

type m0001Request struct {
	ID                   uint64     `gorm:"primaryKey"`
	Title                string     `gorm:"size:200;not null"`
	Content              string     `gorm:"type:text;not null"`
	Category             string     `gorm:"size:32;not null"`
	EnterpriseID         uint64     `gorm:"not null;index:idx_requests_enterprise,priority:1"`
	RegionCode           string     `gorm:"size:16;not null;index:idx_requests_region_status,priority:1"`
	FiledBy              uint64     `gorm:"not null"`
	FilerRole            string     `gorm:"size:16;not null"`
	StationID            *uint64    `gorm:"index:idx_requests_station,priority:1"`
	Status               string     `gorm:"size:16;not null;index:idx_requests_region_status,priority:2;index:idx_requests_status_due,priority:1"`
	DepartmentCode       *string    `gorm:"size:16;index:idx_requests_unit,priority:1"`
	UnitRegionCode       *string    `gorm:"size:16;index:idx_requests_unit,priority:2"`
	DueAt                *time.Time `gorm:"index:idx_requests_status_due,priority:2"`
	DueWorking           bool       `gorm:"not null"`
	StepStartedAt        time.Time  `gorm:"not null"`
	RoundStartedAt       time.Time  `gorm:"not null"`
	Overdue              bool       `gorm:"not null"`
	Supervised           bool       `gorm:"not null;index:idx_requests_supervised,priority:1"`
	ReopenCount          int        `gorm:"not null"`
	ReturnCount          int        `gorm:"not null"`
	LateSteps            int        `gorm:"not null"`
	PendingExtensionDays int        `gorm:"not null"`
	Response             string     `gorm:"type:text;not null"`
	EvaluationScore      *int       ``
	EvaluationComment    string     `gorm:"type:text;not null"`
	EvaluatedAt          *time.Time ``
	ClosedAt             *time.Time ``
	Version              int        `gorm:"not null"`
	CreatedAt            time.Time  `gorm:"not null"`
	UpdatedAt            time.Time  `gorm:"not null"`
}

type m0001Event struct {
	ID             uint64     `gorm:"primaryKey"`
	CaseKind       string     `gorm:"size:8;not null;index:idx_events_case,priority:1"`
	CaseID         uint64     `gorm:"not null;index:idx_events_case,priority:2"`
	Action         string     `gorm:"size:32;not null;index:idx_events_action_at,priority:1"`
	FromStatus     string     `gorm:"size:16;not null"`
	ToStatus       string     `gorm:"size:16;not null"`
	ActorID        uint64     `gorm:"not null"`
	ActorRole      string     `gorm:"size:16;not null"`
	At             time.Time  `gorm:"not null;index:idx_events_action_at,priority:2"`
	Payload        string     `gorm:"type:text;not null"`
	Step           string     `gorm:"size:16;not null"`
	StepDueAt      *time.Time ``
	OnTime         *bool      ``
	WorkingSeconds int64      `gorm:"not null"`
	RegionCode     string     `gorm:"size:16;not null"`
}

type m0001IdempotencyKey struct {
	ID        uint64    `gorm:"primaryKey"`
	AccountID uint64    `gorm:"not null;uniqueIndex:idx_idem_account_key,priority:1"`
	Key       string    `gorm:"column:idem_key;size:128;not null;uniqueIndex:idx_idem_account_key,priority:2"`
	BodyHash  string    `gorm:"size:64;not null"`
	Status    int       `gorm:"not null"`
	Response  string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null;index"`
}

func (m0001Region) TableName() string         { return "regions" }
func (m0001Department) TableName() string     { return "departments" }
func (m0001Station) TableName() string        { return "stations" }
func (m0001Enterprise) TableName() string     { return "enterprises" }
func (m0001Account) TableName() string        { return "accounts" }
func (m0001Request) TableName() string        { return "requests" }
func (m0001Event) TableName() string          { return "events" }
func (m0001IdempotencyKey) TableName() string { return "idempotency_keys" }
