package model

import "time"

// Region is a node of the region tree (docs/design.md#organisation-model), loaded from configs/.
type Region struct {
	Code       string `gorm:"primaryKey;size:16"`
	Name       string `gorm:"size:64;not null"`
	Level      string `gorm:"size:16;not null"`
	ParentCode string `gorm:"size:16;not null;index"`
}

// Department is a functional department, loaded from configs/.
type Department struct {
	Code string `gorm:"primaryKey;size:16"`
	Name string `gorm:"size:64;not null"`
}

// Station is a 亲清家园 service station.
type Station struct {
	ID         uint64    `gorm:"primaryKey"`
	Name       string    `gorm:"size:128;not null"`
	RegionCode string    `gorm:"size:16;not null;index"`
	Address    string    `gorm:"size:256;not null"`
	CreatedAt  time.Time `gorm:"not null"`
}

// Enterprise is a private enterprise identified by its USCC.
type Enterprise struct {
	ID           uint64    `gorm:"primaryKey"`
	USCC         string    `gorm:"column:uscc;size:18;not null;uniqueIndex"`
	Name         string    `gorm:"size:128;not null"`
	RegionCode   string    `gorm:"size:16;not null;index:idx_enterprises_region,priority:1"`
	ContactName  string    `gorm:"size:64;not null"`
	ContactPhone string    `gorm:"size:32;not null"`
	CreatedAt    time.Time `gorm:"not null"`
	UpdatedAt    time.Time `gorm:"not null"`
}

// Account is a login: one role, a home region, and where the role needs it a
// department, a station or an enterprise.
type Account struct {
	ID             uint64  `gorm:"primaryKey"`
	Username       string  `gorm:"size:64;not null;uniqueIndex"`
	PasswordHash   string  `gorm:"size:255;not null"`
	Role           string  `gorm:"size:16;not null;index:idx_accounts_role_region,priority:1;index:idx_accounts_unit,priority:1"`
	RegionCode     string  `gorm:"size:16;not null;index:idx_accounts_role_region,priority:2;index:idx_accounts_unit,priority:2"`
	DepartmentCode *string `gorm:"size:16;index:idx_accounts_unit,priority:3"`
	StationID      *uint64
	EnterpriseID   *uint64
	DisplayName    string    `gorm:"size:64;not null"`
	Disabled       bool      `gorm:"not null"`
	CreatedAt      time.Time `gorm:"not null"`
	UpdatedAt      time.Time `gorm:"not null"`
	// TokenVersion is carried by every access token; raising it (logout
	// everywhere, password change, disabling) invalidates the account's
	// outstanding tokens at their next request.
	TokenVersion int `gorm:"not null;default:0"`
	// PasswordChangeRequired: the password was generated, not chosen by the
	// account's holder (the admin's first password); the console asks for a
	// new one before anything else, and SetPassword clears it.
	PasswordChangeRequired bool `gorm:"not null;default:false"`
}

// Request is an enterprise request (企呼我应).
type Request struct {
	ID           uint64 `gorm:"primaryKey"`
	Title        string `gorm:"size:200;not null"`
	Content      string `gorm:"type:text;not null"`
	Category     string `gorm:"size:32;not null"`
	EnterpriseID uint64 `gorm:"not null;index:idx_requests_enterprise,priority:1"`
	// RegionCode is the enterprise's region: the request's place in the region tree.
	RegionCode string  `gorm:"size:16;not null;index:idx_requests_region_status,priority:1;index:idx_requests_status_closed,priority:3;index:idx_requests_assigned_region,priority:2;index:idx_requests_board,priority:3"`
	FiledBy    uint64  `gorm:"not null"`
	FilerRole  string  `gorm:"size:16;not null"`
	StationID  *uint64 `gorm:"index:idx_requests_station,priority:1"`
	Status     string  `gorm:"size:16;not null;index:idx_requests_region_status,priority:2;index:idx_requests_status_due,priority:1;index:idx_requests_status_closed,priority:1;index:idx_requests_assigned_region,priority:3;index:idx_requests_scan,priority:1;index:idx_requests_unit_due,priority:3;index:idx_requests_board,priority:1"`
	// The handling unit once assigned.
	DepartmentCode *string `gorm:"size:16;index:idx_requests_unit,priority:1;index:idx_requests_unit_due,priority:1"`
	UnitRegionCode *string `gorm:"size:16;index:idx_requests_unit,priority:2;index:idx_requests_unit_due,priority:2"`
	// The deadline of the current step.
	DueAt         *time.Time `gorm:"index:idx_requests_status_due,priority:2;index:idx_requests_scan,priority:3;index:idx_requests_unit_due,priority:4;index:idx_requests_board,priority:2"`
	DueWorking    bool       `gorm:"not null;index:idx_requests_board,priority:4"`
	StepStartedAt time.Time  `gorm:"not null"`
	// FirstAssignedAt is when 工商联 first assigned the request (办结率 cohort).
	FirstAssignedAt *time.Time `gorm:"index:idx_requests_assigned_region,priority:1"`
	// RoundStartedAt is when the current handling round began (assign, or a reopening evaluation).
	RoundStartedAt time.Time `gorm:"not null"`
	Overdue        bool      `gorm:"not null;index:idx_requests_scan,priority:2"`
	// DueSoon is set once the current step's due_soon reminder was written.
	DueSoon bool `gorm:"not null;default:false"`
	// ScanToken marks the rows one scanner pass claimed, so that each pass
	// knows exactly which rows it changed (several instances may scan at once).
	ScanToken   *string `gorm:"size:32;index"`
	Supervised  bool    `gorm:"not null;index:idx_requests_supervised,priority:1;index:idx_requests_status_closed,priority:5"`
	ReopenCount int     `gorm:"not null;index:idx_requests_status_closed,priority:6"`
	ReturnCount int     `gorm:"not null"`
	LateSteps   int     `gorm:"not null;index:idx_requests_status_closed,priority:4"`
	// A department's extension request waiting for 工商联 (0 = none).
	PendingExtensionDays int        `gorm:"not null;index:idx_requests_pending_extension,priority:1"`
	Response             string     `gorm:"type:text;not null"`
	EvaluationScore      *int       ``
	EvaluationComment    string     `gorm:"type:text;not null"`
	EvaluatedAt          *time.Time ``
	ClosedAt             *time.Time `gorm:"index:idx_requests_status_closed,priority:2"`
	Version              int        `gorm:"not null"`
	CreatedAt            time.Time  `gorm:"not null;index:idx_requests_created,priority:1"`
	UpdatedAt            time.Time  `gorm:"not null"`
	// ChainHead is the Hash of the request's newest event when its last
	// writer recorded it; NULL: read it from events (model/audit.go).
	ChainHead *string `gorm:"size:64"`
	// MergedInto is the request this one was merged into (status merged).
	MergedInto *uint64 `gorm:"index:idx_requests_merged_into"`
	// CoUnits are the units co-handling it (协办), dept@region;… ("" none);
	// request_co_units lists them one per row.
	CoUnits string `gorm:"size:255;not null;default:''"`
	// Channel is how the request came: direct (filed by the enterprise or
	// a station) or consultation (raised at a 政企协商会, ConsultationID).
	Channel        string  `gorm:"size:16;not null;default:direct"`
	ConsultationID *uint64 `gorm:"index"`
}

// RequestCoUnit is one co-handling unit (协办单位) of a request.
type RequestCoUnit struct {
	RequestID      uint64 `gorm:"primaryKey;autoIncrement:false"`
	DepartmentCode string `gorm:"primaryKey;size:16;index:idx_request_co_units_unit,priority:1"`
	UnitRegionCode string `gorm:"primaryKey;size:16;index:idx_request_co_units_unit,priority:2"`
}

// Event is one entry of a case's timeline, written in the same transaction
// as the change it records.
type Event struct {
	ID         uint64    `gorm:"primaryKey"`
	CaseKind   string    `gorm:"size:8;not null;index:idx_events_case,priority:1;index:idx_events_stats,priority:3"`
	CaseID     uint64    `gorm:"not null;index:idx_events_case,priority:2"`
	Action     string    `gorm:"size:32;not null;index:idx_events_stats,priority:1"`
	FromStatus string    `gorm:"size:16;not null;index:idx_events_stats,priority:5"`
	ToStatus   string    `gorm:"size:16;not null;index:idx_events_stats,priority:6"`
	ActorID    uint64    `gorm:"not null"`
	ActorRole  string    `gorm:"size:16;not null"`
	At         time.Time `gorm:"not null;index:idx_events_stats,priority:2"`
	Payload    string    `gorm:"type:text;not null"`
	// The step this event completes, its deadline and whether it was met;
	// WorkingSeconds is the working time the step took. They feed the indicators.
	Step           string     `gorm:"size:16;not null"`
	StepDueAt      *time.Time ``
	OnTime         *bool      `gorm:"index:idx_events_stats,priority:7"`
	WorkingSeconds int64      `gorm:"not null;index:idx_events_stats,priority:8"`
	RegionCode     string     `gorm:"size:16;not null;index:idx_events_stats,priority:4"`
	// Hash is the SHA-256 (hex) of the event's content and PrevHash;
	// PrevHash is the Hash of the case's previous event ("" for the first).
	// The tamper-evident chain, model/audit.go.
	Hash     string `gorm:"size:64;not null;default:''"`
	PrevHash string `gorm:"size:64;not null;default:''"`

	// chain tells chainEvents what the writer already knows of the case's
	// chain (not stored).
	chain chainHint `gorm:"-"`
}

// IdempotencyKey remembers the first answer to a POST carrying an Idempotency-Key.
type IdempotencyKey struct {
	ID        uint64    `gorm:"primaryKey"`
	AccountID uint64    `gorm:"not null;uniqueIndex:idx_idem_account_key,priority:1"`
	Key       string    `gorm:"column:idem_key;size:128;not null;uniqueIndex:idx_idem_account_key,priority:2"`
	BodyHash  string    `gorm:"size:64;not null"`
	Status    int       `gorm:"not null"`
	Response  string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null;index"`
}

// WebhookDelivery is one event waiting to be (or already) posted to one
// webhook subscription: the outbox. It is written in the same transaction
// as the event, so no event is lost when the service stops mid-retry.
type WebhookDelivery struct {
	ID            uint64     `gorm:"primaryKey"`
	DeliveryID    string     `gorm:"size:36;not null;uniqueIndex"`
	URL           string     `gorm:"size:512;not null"`
	EventID       uint64     `gorm:"not null"`
	EventType     string     `gorm:"size:48;not null"`
	Body          string     `gorm:"type:text;not null"`
	Status        string     `gorm:"size:16;not null;index:idx_deliveries_due,priority:1"`
	Attempts      int        `gorm:"not null"`
	NextAttemptAt time.Time  `gorm:"not null;index:idx_deliveries_due,priority:2"`
	LeaseUntil    *time.Time ``
	ClaimedBy     *string    `gorm:"size:32"`
	LastError     string     `gorm:"size:512;not null"`
	CreatedAt     time.Time  `gorm:"not null"`
	DeliveredAt   *time.Time ``
}

// Lead is a lead (问题线索, docs/design.md#lead-loop): an early-warning sign reported by a
// station or an enterprise. It is confidential: the api shows each part of it
// only to the roles policy.csv lets read that part. An anonymous lead stores
// nothing that identifies its reporter: no account, no station, no role, only
// the hash of the receipt (查询码) the reporter was given once.
type Lead struct {
	ID         uint64     `gorm:"primaryKey"`
	Content    string     `gorm:"type:text;not null"`
	Evidence   string     `gorm:"type:text;not null"`
	OccurredAt *time.Time ``
	// RegionCode is where it happened: the lead's place in the region tree.
	RegionCode string `gorm:"size:16;not null;index:idx_leads_region_status,priority:1"`
	Anonymous  bool   `gorm:"not null"`
	// The reporter of a named lead (all three NULL or empty when anonymous).
	ReporterAccountID *uint64 `gorm:"index:idx_leads_reporter,priority:1"`
	ReporterRole      string  `gorm:"size:16;not null"`
	StationID         *uint64 `gorm:"index:idx_leads_station,priority:1"`
	// ReceiptHash is the SHA-256 (hex) of an anonymous lead's receipt.
	ReceiptHash *string `gorm:"size:64;uniqueIndex"`
	// EnterpriseID is the enterprise the lead concerns, when there is one.
	EnterpriseID *uint64 ``
	// The unit or person concerned. SubjectAccountID is the account named as
	// the subject (recused from the lead), when the name given matched one.
	SubjectDepartmentCode *string `gorm:"size:16"`
	SubjectName           string  `gorm:"size:100;not null"`
	SubjectUsername       string  `gorm:"size:64;not null"`
	SubjectAccountID      *uint64 `gorm:"index:idx_leads_subject,priority:1"`
	// RuleCode is the interaction-list item (configs/interaction_rules.yaml) cited.
	RuleCode *string `gorm:"size:16"`
	Status   string  `gorm:"size:16;not null;index:idx_leads_region_status,priority:2;index:idx_leads_status_due,priority:1;index:idx_leads_scan,priority:1;index:idx_leads_unit_due,priority:3"`
	// The decision (评估决策). Investigation notes are the investigate events.
	Disposal   *string `gorm:"size:32"`
	Assessment string  `gorm:"type:text;not null"`
	TransferTo string  `gorm:"size:200;not null"`
	Grounds    string  `gorm:"type:text;not null"`
	// Proposal is the disposal waiting for a second inspector's approval
	// (报批; workflow.Proposal as JSON), ProposedBy the account that
	// proposed it; both NULL when none waits.
	Proposal   *string `gorm:"type:text"`
	ProposedBy *uint64 ``
	// The written inquiry (函询), once a decision sends one: the unit the
	// letter went to, the letter, when it was sent and the reply was due,
	// the reply recorded and the conclusion. Inspectors only.
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
	// The feedback to the reporter (反馈): when it is due (a named
	// reporter, from the closure), how, when and what was given, and when
	// it was recorded. For an anonymous reporter only the text (the outcome
	// it reads through its receipt) and the time it was recorded.
	FeedbackDueAt      *time.Time `gorm:""`
	FeedbackMethod     *string    `gorm:"size:16"`
	FeedbackAt         *time.Time ``
	FeedbackContent    *string    `gorm:"type:text"`
	FeedbackRecordedAt *time.Time ``
	// The rectification task (执行), once a decision charges a unit with it.
	RectifyDepartmentCode *string    `gorm:"size:16;index:idx_leads_unit,priority:1;index:idx_leads_unit_due,priority:1"`
	RectifyRegionCode     *string    `gorm:"size:16;index:idx_leads_unit,priority:2;index:idx_leads_unit_due,priority:2"`
	RectifyDays           int        `gorm:"not null"`
	RectifyDueAt          *time.Time ``
	RectifyReport         string     `gorm:"type:text;not null"`
	RectifiedAt           *time.Time ``
	// The last return visit (监督回访).
	VerifyAccepted *bool      ``
	VerifyResult   string     `gorm:"type:text;not null"`
	VerifiedAt     *time.Time ``
	// The deadline of the current step.
	DueAt         *time.Time `gorm:"index:idx_leads_status_due,priority:2;index:idx_leads_scan,priority:3;index:idx_leads_unit_due,priority:4"`
	DueWorking    bool       `gorm:"not null"`
	StepStartedAt time.Time  `gorm:"not null"`
	Overdue       bool       `gorm:"not null;index:idx_leads_scan,priority:2"`
	// DueSoon and ScanToken serve the deadline scanner as on requests.
	DueSoon   bool       `gorm:"not null;default:false"`
	ScanToken *string    `gorm:"size:32;index"`
	Version   int        `gorm:"not null"`
	CreatedAt time.Time  `gorm:"not null"`
	UpdatedAt time.Time  `gorm:"not null"`
	ClosedAt  *time.Time ``
}

// LeadRead records that an account was shown a lead's detail (docs/design.md#lead-loop:
// every read is recorded; inspectors list them).
// LeadRecusal records an inspector's declared conflict of interest (回避)
// with a lead: the lead is hidden from that account from then on. The
// recuse event in the lead's timeline says who and when.
type LeadRecusal struct {
	ID        uint64    `gorm:"primaryKey"`
	LeadID    uint64    `gorm:"not null;uniqueIndex:idx_lead_recusals_lead_account,priority:1"`
	AccountID uint64    `gorm:"not null;uniqueIndex:idx_lead_recusals_lead_account,priority:2"`
	CreatedAt time.Time `gorm:"not null"`
}

type LeadRead struct {
	ID        uint64 `gorm:"primaryKey"`
	LeadID    uint64 `gorm:"not null;index:idx_lead_reads_lead,priority:1"`
	AccountID uint64 `gorm:"not null"`
	Role      string `gorm:"size:16;not null"`
	// What was shown: detail (GET), events (the timeline), transition (the
	// answer to an action).
	What string    `gorm:"size:16;not null"`
	At   time.Time `gorm:"not null"`
}
