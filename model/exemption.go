package model

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// Exemption is an application under the 容错免责 procedure
// (docs/design.md#tolerance). It concerns one lead or one request and
// never changes it.
type Exemption struct {
	ID uint64 `gorm:"primaryKey"`
	// RegionCode is the region of the unit or enterprise concerned: the
	// application's place in the region tree.
	RegionCode    string `gorm:"size:16;not null;index:idx_exemptions_region_status,priority:1;index:idx_exemptions_filed,priority:2"`
	Status        string `gorm:"size:16;not null;index:idx_exemptions_region_status,priority:2"`
	ApplicantID   uint64 `gorm:"not null"`
	ApplicantRole string `gorm:"size:16;not null"`
	// The unit concerned (a department applying for itself, or named by the
	// inspector who registers an application), or the enterprise 工商联
	// applied for.
	DepartmentCode *string `gorm:"size:16;index:idx_exemptions_unit,priority:1"`
	UnitRegionCode *string `gorm:"size:16;index:idx_exemptions_unit,priority:2"`
	EnterpriseID   *uint64 `gorm:"index"`
	OfficialName   string  `gorm:"size:100;not null"`
	LeadID         *uint64 `gorm:"index"`
	RequestID      *uint64 `gorm:"index"`
	Circumstances  string  `gorm:"type:text;not null"`
	// What each step recorded.
	AcceptedAt   *time.Time ``
	AcceptNote   string     `gorm:"type:text;not null"`
	RejectReason string     `gorm:"type:text;not null"`
	Findings     string     `gorm:"type:text;not null"`
	Outcome      *string    `gorm:"size:16"`
	Members      string     `gorm:"type:text;not null"` // JSON array of names
	MeetingAt    *time.Time ``
	Opinion      string     `gorm:"type:text;not null"`
	DecisionNo   string     `gorm:"size:200;not null"`
	DecisionText string     `gorm:"type:text;not null"`
	DecidedAt    *time.Time ``
	FiledWith    string     `gorm:"size:200;not null"`
	FileNote     string     `gorm:"type:text;not null"`
	FiledAt      *time.Time `gorm:"index:idx_exemptions_filed,priority:1"`
	ClosedAt     *time.Time ``
	Version      int        `gorm:"not null"`
	CreatedAt    time.Time  `gorm:"not null"`
	UpdatedAt    time.Time  `gorm:"not null"`
}

// MemberList is the members of the collective determination.
func (e *Exemption) MemberList() []string {
	var out []string
	_ = json.Unmarshal([]byte(e.Members), &out)
	return out
}

// NewExemption is an application as the api checked it.
type NewExemption struct {
	RegionCode     string
	ApplicantID    uint64
	ApplicantRole  workflow.Role
	DepartmentCode string
	UnitRegionCode string
	EnterpriseID   uint64
	OfficialName   string
	LeadID         uint64
	RequestID      uint64
	Circumstances  string
}

// ErrExemptionOpen: the case already has an application under way (409).
var ErrExemptionOpen = errors.New("model: an exemption application for this case is under way")

// exemptionEnded are the statuses in which an application is finished.
var exemptionEnded = []string{string(workflow.ExemptFiled), string(workflow.ExemptRejected)}

// CreateExemption files an application with its first event. A case has
// at most one application under way.
func (s *Store) CreateExemption(ctx context.Context, in NewExemption) (*Exemption, error) {
	var out *Exemption
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.Now()
		q := tx.Model(&Exemption{}).Where("status NOT IN ?", exemptionEnded)
		if in.LeadID != 0 {
			q = q.Where("lead_id = ?", in.LeadID)
		} else {
			q = q.Where("request_id = ?", in.RequestID)
		}
		var n int64
		if err := q.Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrExemptionOpen
		}
		e := &Exemption{RegionCode: in.RegionCode, Status: string(workflow.ExemptApplied), ApplicantID: in.ApplicantID,
			ApplicantRole: string(in.ApplicantRole), OfficialName: in.OfficialName, Circumstances: in.Circumstances,
			Members: "[]", Version: 1, CreatedAt: now, UpdatedAt: now}
		if in.DepartmentCode != "" {
			e.DepartmentCode, e.UnitRegionCode = &in.DepartmentCode, &in.UnitRegionCode
		}
		if in.EnterpriseID != 0 {
			e.EnterpriseID = &in.EnterpriseID
		}
		if in.LeadID != 0 {
			e.LeadID = &in.LeadID
		}
		if in.RequestID != 0 {
			e.RequestID = &in.RequestID
		}
		if err := tx.Create(e).Error; err != nil {
			return err
		}
		ev := &Event{CaseKind: string(workflow.KindExemption), CaseID: e.ID, Action: string(workflow.ExemptApply),
			ToStatus: e.Status, ActorID: in.ApplicantID, ActorRole: string(in.ApplicantRole), At: now,
			Payload: "{}", RegionCode: e.RegionCode}
		if err := s.insertEvents(tx, ev); err != nil {
			return err
		}
		out = e
		return nil
	})
	if err != nil {
		return nil, formatError(err)
	}
	return out, nil
}

// exemptionScope keeps the applications sc may see: an inspector those of
// its regions; a department those its own unit applied for; 工商联 those
// 工商联 applied for in its regions; an enterprise those made on its
// behalf. An application about a lead is seen only by whoever sees that
// lead (its confidentiality, docs/design.md#confidentiality: the lead's
// subject and the inspectors recused from it never find it).
func exemptionScope(q *gorm.DB, sc Scope) *gorm.DB {
	switch sc.Role {
	case workflow.RoleInspector:
		q = q.Where("exemptions.region_code IN ?", nonEmpty(sc.Regions))
	case workflow.RoleDepartment:
		q = q.Where("exemptions.applicant_role = ? AND exemptions.department_code = ? AND exemptions.unit_region_code = ?",
			string(workflow.RoleDepartment), sc.DepartmentCode, sc.HomeRegion)
	case workflow.RoleACFIC:
		q = q.Where("exemptions.applicant_role = ? AND exemptions.region_code IN ?", string(workflow.RoleACFIC), nonEmpty(sc.Regions))
	case workflow.RoleEnterprise:
		q = q.Where("exemptions.enterprise_id = ?", sc.EnterpriseID)
	case workflow.RoleSystem:
		return q
	default:
		return q.Where("1 = 0")
	}
	leads := leadScope(q.Session(&gorm.Session{NewDB: true}).Table("leads").Select("leads.id"), sc)
	return q.Where("(exemptions.lead_id IS NULL OR exemptions.lead_id IN (?))", leads)
}

// FindExemption returns the application when the scope may see it.
func (s *Store) FindExemption(ctx context.Context, sc Scope, id uint64) (*Exemption, error) {
	var e Exemption
	if err := exemptionScope(s.db.WithContext(ctx).Model(&Exemption{}), sc).Where("exemptions.id = ?", id).Take(&e).Error; err != nil {
		return nil, formatError(err)
	}
	return &e, nil
}

// ExemptionFilter filters ListExemptions; empty means any.
type ExemptionFilter struct {
	Status      []string
	RegionCodes []string
	LeadID      uint64
	RequestID   uint64
	Page        Page
}

// ListExemptions lists the applications the scope sees, newest first.
func (s *Store) ListExemptions(ctx context.Context, sc Scope, f ExemptionFilter) ([]Exemption, uint64, error) {
	q := exemptionScope(s.db.WithContext(ctx).Model(&Exemption{}), sc)
	if len(f.Status) > 0 {
		q = q.Where("exemptions.status IN ?", f.Status)
	}
	if len(f.RegionCodes) > 0 {
		q = q.Where("exemptions.region_code IN ?", f.RegionCodes)
	}
	if f.LeadID != 0 {
		q = q.Where("exemptions.lead_id = ?", f.LeadID)
	}
	if f.RequestID != 0 {
		q = q.Where("exemptions.request_id = ?", f.RequestID)
	}
	return newestFirst(q, "exemptions", f.Page, func(e *Exemption) uint64 { return e.ID })
}

// newestFirst reads a page of q (rows of table) in descending id order
// after page.After; next is the cursor of the following page (0: none).
func newestFirst[T any](q *gorm.DB, table string, page Page, id func(*T) uint64) ([]T, uint64, error) {
	if page.After != 0 {
		q = q.Where(table+".id < ?", page.After)
	}
	size := page.size()
	var out []T
	if err := q.Order(table + ".id DESC").Limit(size + 1).Find(&out).Error; err != nil {
		return nil, 0, formatError(err)
	}
	if len(out) > size {
		out = out[:size]
		return out, id(&out[size-1]), nil
	}
	return out, 0, nil
}

// TransitionExemption applies cmd to application id for actor: it reads the
// row through the scope (404), checks the grant (403) and the expected
// version (409), applies the workflow and writes the change with its event
// in one transaction.
func (s *Store) TransitionExemption(ctx context.Context, sc Scope, actor Actor, id uint64, cmd workflow.ExemptionCommand,
	expected *int, grant RegionSet) (*Exemption, error) {
	var out *Exemption
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var e Exemption
		if err := exemptionScope(tx.Model(&Exemption{}), sc).Where("exemptions.id = ?", id).Take(&e).Error; err != nil {
			return err
		}
		if !grant.Has(e.RegionCode) {
			return ErrForbidden
		}
		if expected != nil && *expected != e.Version {
			return ErrVersionConflict
		}
		now := s.Now()
		o, err := workflow.ApplyExemption(workflow.Status(e.Status), workflow.Actor{ID: actor.AccountID, Role: actor.Role}, cmd,
			workflow.ExemptionRules{MinMembers: s.ref.Raw.LeadLimits.ToleranceMinMembers}, now)
		if err != nil {
			return err
		}
		upd := map[string]any{"status": string(o.To)}
		for k, v := range o.Set {
			upd[k] = v
		}
		if o.Closes {
			upd["closed_at"] = now
		}
		ev := &Event{CaseKind: string(workflow.KindExemption), CaseID: e.ID, Action: string(o.Action), FromStatus: string(o.From),
			ToStatus: string(o.To), ActorID: actor.AccountID, ActorRole: string(actor.Role), At: now,
			Payload: payloadJSON(o.Payload), RegionCode: e.RegionCode}
		if err := s.commitChange(tx, &e, e.ID, e.Version, upd, ev, false); err != nil {
			return err
		}
		out = &e
		return nil
	})
	if err != nil {
		return nil, formatError(err)
	}
	return out, nil
}
