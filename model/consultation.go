package model

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// Consultation is a 政企协商会 (docs/design.md#consultations).
type Consultation struct {
	ID         uint64 `gorm:"primaryKey"`
	Theme      string `gorm:"size:200;not null"`
	RegionCode string `gorm:"size:16;not null;index:idx_consultations_region_held,priority:1"`
	// HeldOn is the meeting's day: its midnight in Beijing time, in UTC.
	HeldOn      time.Time `gorm:"not null;index:idx_consultations_region_held,priority:2"`
	Venue       string    `gorm:"size:200;not null"`
	OrganiserID uint64    `gorm:"not null"`
	Status      string    `gorm:"size:16;not null"`
	Agenda      string    `gorm:"type:text;not null"`
	// AgendaItems are the 共性问题 gathered into the agenda (JSON).
	AgendaItems       string     `gorm:"type:text;not null"`
	AgendaPublishedAt *time.Time ``
	Minutes           string     `gorm:"type:text;not null"`
	HeldAt            *time.Time ``
	CancelReason      string     `gorm:"type:text;not null"`
	Version           int        `gorm:"not null"`
	CreatedAt         time.Time  `gorm:"not null"`
	UpdatedAt         time.Time  `gorm:"not null"`
}

// ConsultationInvitee is one enterprise or department invited to a meeting.
type ConsultationInvitee struct {
	ID             uint64  `gorm:"primaryKey"`
	ConsultationID uint64  `gorm:"not null;index"`
	EnterpriseID   *uint64 `gorm:"index"`
	DepartmentCode *string `gorm:"size:16;index"`
}

// AgendaItem is a 共性问题 gathered into a meeting's agenda: the open
// requests of one category across enterprises.
type AgendaItem struct {
	Category    string   `json:"category"`
	Title       string   `json:"title"`
	Enterprises int      `json:"enterprises"`
	RequestIDs  []uint64 `json:"request_ids"`
}

// Items decodes the gathered agenda items.
func (m *Consultation) Items() []AgendaItem {
	out := []AgendaItem{}
	_ = json.Unmarshal([]byte(m.AgendaItems), &out)
	return out
}

// NewConsultation is a meeting as the api checked it.
type NewConsultation struct {
	Theme, RegionCode, Venue, Agenda string
	HeldOn                           time.Time
	OrganiserID                      uint64
	EnterpriseIDs                    []uint64
	DepartmentCodes                  []string
}

// CreateConsultation plans a meeting with its invitees and first event.
func (s *Store) CreateConsultation(ctx context.Context, in NewConsultation) (*Consultation, error) {
	var out *Consultation
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.Now()
		m := &Consultation{Theme: in.Theme, RegionCode: in.RegionCode, HeldOn: in.HeldOn.UTC(), Venue: in.Venue,
			OrganiserID: in.OrganiserID, Status: string(workflow.MeetingPlanned), Agenda: in.Agenda, AgendaItems: "[]",
			Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(m).Error; err != nil {
			return err
		}
		var inv []ConsultationInvitee
		for i := range in.EnterpriseIDs {
			inv = append(inv, ConsultationInvitee{ConsultationID: m.ID, EnterpriseID: &in.EnterpriseIDs[i]})
		}
		for i := range in.DepartmentCodes {
			inv = append(inv, ConsultationInvitee{ConsultationID: m.ID, DepartmentCode: &in.DepartmentCodes[i]})
		}
		if len(inv) > 0 {
			if err := tx.Create(&inv).Error; err != nil {
				return err
			}
		}
		out = m
		return s.insertEvents(tx, &Event{CaseKind: string(workflow.KindConsultation), CaseID: m.ID, Action: string(workflow.MeetingCreate),
			ToStatus: m.Status, ActorID: in.OrganiserID, ActorRole: string(workflow.RoleACFIC), At: now, Payload: "{}", RegionCode: m.RegionCode})
	})
	if err != nil {
		return nil, formatError(err)
	}
	return out, nil
}

// consultationScope keeps the meetings sc may see: 工商联 and 纪检监察 those
// of their regions; a department those of its regions it is invited to;
// an enterprise those it is invited to, once the agenda is published.
func consultationScope(q *gorm.DB, sc Scope) *gorm.DB {
	invited := "EXISTS (SELECT 1 FROM consultation_invitees i WHERE i.consultation_id = consultations.id AND "
	switch sc.Role {
	case workflow.RoleACFIC, workflow.RoleInspector:
		return q.Where("consultations.region_code IN ?", nonEmpty(sc.Regions))
	case workflow.RoleDepartment:
		return q.Where("consultations.region_code IN ? AND "+invited+"i.department_code = ?)", nonEmpty(sc.Regions), sc.DepartmentCode)
	case workflow.RoleEnterprise:
		return q.Where("consultations.status <> ? AND "+invited+"i.enterprise_id = ?)", string(workflow.MeetingPlanned), sc.EnterpriseID)
	case workflow.RoleSystem:
		return q
	}
	return q.Where("1 = 0")
}

// FindConsultation returns the meeting when the scope may see it.
func (s *Store) FindConsultation(ctx context.Context, sc Scope, id uint64) (*Consultation, error) {
	var m Consultation
	if err := consultationScope(s.db.WithContext(ctx).Model(&Consultation{}), sc).Where("consultations.id = ?", id).Take(&m).Error; err != nil {
		return nil, formatError(err)
	}
	return &m, nil
}

// ConsultationFilter filters ListConsultations; empty means any.
type ConsultationFilter struct {
	Status      []string
	RegionCodes []string
	Page        Page
}

// ListConsultations lists the meetings the scope sees, newest first.
func (s *Store) ListConsultations(ctx context.Context, sc Scope, f ConsultationFilter) ([]Consultation, uint64, error) {
	q := consultationScope(s.db.WithContext(ctx).Model(&Consultation{}), sc)
	if len(f.Status) > 0 {
		q = q.Where("consultations.status IN ?", f.Status)
	}
	if len(f.RegionCodes) > 0 {
		q = q.Where("consultations.region_code IN ?", f.RegionCodes)
	}
	return newestFirst(q, "consultations", f.Page, func(m *Consultation) uint64 { return m.ID })
}

// Invitees returns the enterprises and departments invited to meeting id.
func (s *Store) Invitees(ctx context.Context, id uint64) (enterprises []uint64, departments []string, err error) {
	var rows []ConsultationInvitee
	if err := s.db.WithContext(ctx).Where("consultation_id = ?", id).Order("id").Find(&rows).Error; err != nil {
		return nil, nil, formatError(err)
	}
	enterprises, departments = []uint64{}, []string{}
	for _, r := range rows {
		if r.EnterpriseID != nil {
			enterprises = append(enterprises, *r.EnterpriseID)
		}
		if r.DepartmentCode != nil {
			departments = append(departments, *r.DepartmentCode)
		}
	}
	return enterprises, departments, nil
}

// IsInvited reports whether enterprise ent is invited to meeting id.
func (s *Store) IsInvited(ctx context.Context, id, ent uint64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&ConsultationInvitee{}).Where("consultation_id = ? AND enterprise_id = ?", id, ent).Count(&n).Error
	return n > 0, formatError(err)
}

// TransitionConsultation applies cmd to meeting id for actor, in one
// transaction with its event. regions are the regions of the meeting's
// subtree, where gather_common_issues looks for open requests.
func (s *Store) TransitionConsultation(ctx context.Context, sc Scope, actor Actor, id uint64, cmd workflow.ConsultationCommand,
	expected *int, grant RegionSet, subtree func(region string) []string) (*Consultation, error) {
	var out *Consultation
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var m Consultation
		if err := consultationScope(tx.Model(&Consultation{}), sc).Where("consultations.id = ?", id).Take(&m).Error; err != nil {
			return err
		}
		if !grant.Has(m.RegionCode) {
			return ErrForbidden
		}
		if expected != nil && *expected != m.Version {
			return ErrVersionConflict
		}
		now := s.Now()
		rules := s.ref.Raw.Consultations
		meeting := workflow.Meeting{Status: workflow.Status(m.Status), HeldOn: m.HeldOn,
			HasAgenda: m.Agenda != "" || len(m.Items()) > 0}
		o, err := workflow.ApplyConsultation(meeting, workflow.Actor{ID: actor.AccountID, Role: actor.Role}, cmd, rules, now)
		if err != nil {
			return err
		}
		upd := map[string]any{"status": string(o.To)}
		for k, v := range o.Set {
			upd[k] = v
		}
		if o.Action == workflow.MeetingGather {
			item, err := s.commonIssue(tx, m, cmd, subtree(m.RegionCode))
			if err != nil {
				return err
			}
			b, _ := json.Marshal(append(m.Items(), item))
			upd["agenda_items"] = string(b)
			o.Payload["request_ids"], o.Payload["enterprises"] = item.RequestIDs, item.Enterprises
		}
		ev := &Event{CaseKind: string(workflow.KindConsultation), CaseID: m.ID, Action: string(o.Action), FromStatus: string(o.From),
			ToStatus: string(o.To), ActorID: actor.AccountID, ActorRole: string(actor.Role), At: now,
			Payload: payloadJSON(o.Payload), RegionCode: m.RegionCode}
		if err := s.commitChange(tx, &m, m.ID, m.Version, upd, ev, false); err != nil {
			return err
		}
		out = &m
		return nil
	})
	if err != nil {
		return nil, formatError(err)
	}
	return out, nil
}

// openRequestStatuses are the statuses of a request still being handled.
var openRequestStatuses = []string{string(workflow.Submitted), string(workflow.Assigned), string(workflow.InProgress)}

// commonIssue gathers the open requests of cmd's category in regions into
// an agenda item, or says why they are no 共性问题: too few enterprises, or
// every one of them is on the agenda already.
func (s *Store) commonIssue(tx *gorm.DB, m Consultation, cmd workflow.ConsultationCommand, regions []string) (AgendaItem, error) {
	if _, ok := s.ref.Categories[cmd.Category]; !ok {
		return AgendaItem{}, workflow.Invalid("category", "未知的诉求类别")
	}
	for _, it := range m.Items() {
		if it.Category == cmd.Category {
			return AgendaItem{}, workflow.Invalid("category", "该类别的共性问题已列入议程")
		}
	}
	var rows []struct {
		ID           uint64
		EnterpriseID uint64
	}
	if err := tx.Model(&Request{}).Select("id, enterprise_id").
		Where("region_code IN ? AND category = ? AND status IN ?", nonEmpty(regions), cmd.Category, openRequestStatuses).
		Order("id").Scan(&rows).Error; err != nil {
		return AgendaItem{}, err
	}
	item := AgendaItem{Category: cmd.Category, Title: cmd.Title, RequestIDs: []uint64{}}
	seen := map[uint64]bool{}
	for _, r := range rows {
		item.RequestIDs = append(item.RequestIDs, r.ID)
		if !seen[r.EnterpriseID] {
			seen[r.EnterpriseID] = true
			item.Enterprises++
		}
	}
	if !s.ref.Raw.Consultations.CommonIssue(item.Enterprises) {
		return AgendaItem{}, workflow.Invalid("category", "该类别在办诉求只涉及"+strconv.Itoa(item.Enterprises)+"家企业，不足"+
			strconv.Itoa(s.ref.Raw.Consultations.CommonMinEnterprises)+"家，不构成共性问题")
	}
	if item.Title == "" {
		item.Title = s.ref.Categories[cmd.Category].Name + "（" + strconv.Itoa(item.Enterprises) + "家企业、" + strconv.Itoa(len(item.RequestIDs)) + "件诉求）"
	}
	return item, nil
}

// CategoryCount is how many open requests of a category, from how many
// enterprises, a region subtree has.
type CategoryCount struct {
	Category              string
	Requests, Enterprises int64
}

// OpenByCategory counts the open requests of regions by category, with
// the enterprises they come from, in category order: what 工商联 chooses
// 共性问题 from.
func (s *Store) OpenByCategory(ctx context.Context, regions []string) ([]CategoryCount, error) {
	var out []CategoryCount
	err := s.db.WithContext(ctx).Model(&Request{}).
		Select("category, COUNT(*) AS requests, COUNT(DISTINCT enterprise_id) AS enterprises").
		Where("region_code IN ? AND status IN ?", nonEmpty(regions), openRequestStatuses).
		Group("category").Order("category").Scan(&out).Error
	return out, formatError(err)
}

// MeetingStats are the figures of the issues raised at one meeting.
type MeetingStats struct {
	Issues, Assigned           int64
	Responded, RespondedOnTime int64
	Evaluated, Satisfied       int64
}

// ConsultationStats counts the issues raised at meeting id, what became of
// them, with aggregate queries: 交办 (ever assigned), answers and whether
// they met the deadline, evaluations and the satisfied ones.
func (s *Store) ConsultationStats(ctx context.Context, id uint64) (MeetingStats, error) {
	db := s.db.WithContext(ctx)
	var st MeetingStats
	var reqs struct{ N, Assigned int64 }
	if err := db.Model(&Request{}).Select("COUNT(*) AS n, COALESCE(SUM(CASE WHEN first_assigned_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS assigned").
		Where("consultation_id = ?", id).Scan(&reqs).Error; err != nil {
		return st, formatError(err)
	}
	st.Issues, st.Assigned = reqs.N, reqs.Assigned
	var evs []struct {
		Action, ToStatus string
		N, OnTime        int64
	}
	if err := db.Model(&Event{}).Select("action, to_status, COUNT(*) AS n, COALESCE(SUM(CASE WHEN on_time THEN 1 ELSE 0 END), 0) AS on_time").
		Where("case_kind = ? AND action IN ? AND case_id IN (?)", string(workflow.KindRequest),
			[]string{string(workflow.Respond), string(workflow.Evaluate)},
			db.Model(&Request{}).Select("id").Where("consultation_id = ?", id)).
		Group("action, to_status").Scan(&evs).Error; err != nil {
		return st, formatError(err)
	}
	for _, e := range evs {
		switch workflow.Action(e.Action) {
		case workflow.Respond:
			st.Responded += e.N
			st.RespondedOnTime += e.OnTime
		case workflow.Evaluate:
			st.Evaluated += e.N
			if e.ToStatus == string(workflow.Closed) {
				st.Satisfied += e.N
			}
		}
	}
	return st, nil
}

// meetingStats is the indicator of the meetings (T15): the meetings held
// whose day falls in the period, by the meeting's region. A count.
func (s *Store) meetingStats(ctx context.Context, db *gorm.DB, regions []string, g regionGroup, from, to, asOf time.Time) (func(scope []string) []Rate, error) {
	q := db.Model(&Consultation{}).Select(g.sel("", "COUNT(*) AS n")).
		Where("region_code IN ? AND status = ? AND held_on >= ? AND held_on < ?", regions, string(workflow.MeetingHeld), from, to)
	return countByRegion(q, g, "T15")
}
