package api

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"qinqing/model"
	"qinqing/workflow"
)

// Ids are opaque strings to clients (docs/design.md#api-conventions).
func idString(id uint64) string { return strconv.FormatUint(id, 10) }

func optID(id *uint64) *string {
	if id == nil {
		return nil
	}
	s := idString(*id)
	return &s
}

// parseID reads an id from a path, body or cursor; a malformed id, or one
// no row can have (ids are signed 64-bit in the database: SQLite refuses a
// larger one), is simply not found.
func parseID(s string) (uint64, bool) {
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil && id > 0 && id <= math.MaxInt64
}

// Times go out as RFC 3339 in Beijing time.
func (s *Server) ts(t time.Time) string {
	return t.In(s.cal.Location()).Format(time.RFC3339)
}

func (s *Server) optTS(t *time.Time) *string {
	if t == nil {
		return nil
	}
	v := s.ts(*t)
	return &v
}

type listView[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func cursorString(next uint64) *string {
	if next == 0 {
		return nil
	}
	c := base64.RawURLEncoding.EncodeToString([]byte("v1:" + idString(next)))
	return &c
}

func parseCursor(c string) (uint64, bool) {
	if c == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 4 || string(b[:3]) != "v1:" {
		return 0, false
	}
	return parseID(string(b[3:]))
}

func newList[T any](items []T, next uint64) listView[T] {
	if items == nil {
		items = []T{}
	}
	return listView[T]{Items: items, NextCursor: cursorString(next)}
}

type accountView struct {
	ID             string  `json:"id"`
	Username       string  `json:"username"`
	Role           string  `json:"role"`
	RoleLabel      string  `json:"role_label"`
	RegionCode     string  `json:"region_code"`
	DepartmentCode *string `json:"department_code,omitempty"`
	StationID      *string `json:"station_id,omitempty"`
	EnterpriseID   *string `json:"enterprise_id,omitempty"`
	DisplayName    string  `json:"display_name"`
	Disabled       bool    `json:"disabled"`
	// PasswordChangeRequired: the password was generated (the admin's
	// first one); the console asks for a new one before anything else.
	PasswordChangeRequired bool   `json:"password_change_required"`
	CreatedAt              string `json:"created_at"`
}

func (s *Server) accountView(a *model.Account) accountView {
	return accountView{
		ID: idString(a.ID), Username: a.Username, Role: a.Role, RoleLabel: roleLabels[a.Role],
		RegionCode: a.RegionCode, DepartmentCode: a.DepartmentCode, StationID: optID(a.StationID),
		EnterpriseID: optID(a.EnterpriseID), DisplayName: a.DisplayName, Disabled: a.Disabled,
		PasswordChangeRequired: a.PasswordChangeRequired, CreatedAt: s.ts(a.CreatedAt),
	}
}

type enterpriseView struct {
	ID           string `json:"id"`
	USCC         string `json:"uscc"`
	Name         string `json:"name"`
	RegionCode   string `json:"region_code"`
	ContactName  string `json:"contact_name"`
	ContactPhone string `json:"contact_phone"`
	CreatedAt    string `json:"created_at"`
}

func (s *Server) enterpriseView(e *model.Enterprise) enterpriseView {
	return enterpriseView{ID: idString(e.ID), USCC: e.USCC, Name: e.Name, RegionCode: e.RegionCode,
		ContactName: e.ContactName, ContactPhone: e.ContactPhone, CreatedAt: s.ts(e.CreatedAt)}
}

type stationView struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	RegionCode string `json:"region_code"`
	Address    string `json:"address"`
	CreatedAt  string `json:"created_at"`
}

func (s *Server) stationView(st *model.Station) stationView {
	return stationView{ID: idString(st.ID), Name: st.Name, RegionCode: st.RegionCode, Address: st.Address,
		CreatedAt: s.ts(st.CreatedAt)}
}

type evaluationView struct {
	Score      int    `json:"score"`
	ScoreLabel string `json:"score_label"`
	Comment    string `json:"comment"`
	At         string `json:"at"`
}

type requestView struct {
	ID                   string          `json:"id"`
	RefNo                string          `json:"ref_no"`
	Title                string          `json:"title"`
	Content              string          `json:"content"`
	Category             string          `json:"category"`
	EnterpriseID         string          `json:"enterprise_id"`
	RegionCode           string          `json:"region_code"`
	StationID            *string         `json:"station_id"`
	Status               string          `json:"status"`
	StatusLabel          string          `json:"status_label"`
	DepartmentCode       *string         `json:"department_code"`
	UnitRegionCode       *string         `json:"unit_region_code"`
	Step                 *string         `json:"step"`
	DueAt                *string         `json:"due_at"`
	Overdue              bool            `json:"overdue"`
	Remaining            *string         `json:"remaining"`
	RemainingSeconds     *int64          `json:"remaining_seconds"`
	Supervised           bool            `json:"supervised"`
	ReopenCount          int             `json:"reopen_count"`
	ReturnCount          int             `json:"return_count"`
	PendingExtensionDays int             `json:"pending_extension_days"`
	Response             *string         `json:"response"`
	Evaluation           *evaluationView `json:"evaluation"`
	Version              int             `json:"version"`
	CreatedAt            string          `json:"created_at"`
	UpdatedAt            string          `json:"updated_at"`
	ClosedAt             *string         `json:"closed_at"`
	// MergedInto is the request this one was merged into (status merged).
	MergedInto *string `json:"merged_into"`
	// CoUnits are the units co-handling it (协办); [] when none.
	CoUnits        []workflow.Unit `json:"co_units"`
	Channel        string          `json:"channel"`
	ConsultationID *string         `json:"consultation_id"`
}

func (s *Server) requestView(r *model.Request) requestView {
	now := s.now()
	st, _ := workflow.Request.State(workflow.Status(r.Status))
	v := requestView{
		ID: idString(r.ID), RefNo: model.RefNo("QH", r.ID, r.CreatedAt, s.cal.Location()),
		Title: r.Title, Content: r.Content, Category: r.Category, EnterpriseID: idString(r.EnterpriseID),
		RegionCode: r.RegionCode, StationID: optID(r.StationID), Status: r.Status, StatusLabel: st.Label,
		DepartmentCode: r.DepartmentCode, UnitRegionCode: r.UnitRegionCode, Overdue: r.IsOverdue(now),
		Supervised: r.Supervised, ReopenCount: r.ReopenCount, ReturnCount: r.ReturnCount,
		PendingExtensionDays: r.PendingExtensionDays, Version: r.Version,
		CreatedAt: s.ts(r.CreatedAt), UpdatedAt: s.ts(r.UpdatedAt), ClosedAt: s.optTS(r.ClosedAt),
		MergedInto: optID(r.MergedInto), CoUnits: workflow.DecodeUnits(r.CoUnits),
		Channel: r.Channel, ConsultationID: optID(r.ConsultationID),
	}
	if v.CoUnits == nil {
		v.CoUnits = []workflow.Unit{}
	}
	if v.Channel == "" {
		v.Channel = model.ChannelDirect
	}
	if st.Open && r.DueAt != nil {
		v.Step = &st.Step
		v.DueAt = s.optTS(r.DueAt)
		rem := s.cal.Remaining(now, *r.DueAt, r.DueWorking)
		secs := int64(rem / time.Second)
		text := remainingWords(rem, dayBasis(r.DueWorking))
		v.RemainingSeconds, v.Remaining = &secs, &text
	}
	if r.Response != "" {
		v.Response = &r.Response
	}
	if r.EvaluationScore != nil && r.EvaluatedAt != nil {
		v.Evaluation = &evaluationView{Score: *r.EvaluationScore, ScoreLabel: scoreLabels[*r.EvaluationScore],
			Comment: r.EvaluationComment, At: s.ts(*r.EvaluatedAt)}
	}
	return v
}

type eventView struct {
	ID          string          `json:"id"`
	Action      string          `json:"action"`
	ActionLabel string          `json:"action_label"`
	FromStatus  string          `json:"from_status"`
	ToStatus    string          `json:"to_status"`
	ActorID     string          `json:"actor_id"`
	ActorRole   string          `json:"actor_role"`
	At          string          `json:"at"`
	Payload     json.RawMessage `json:"payload"`
}

func (s *Server) eventView(e *model.Event) eventView {
	p := json.RawMessage(e.Payload)
	if !json.Valid(p) {
		p = json.RawMessage("{}")
	}
	return eventView{ID: model.OpaqueEventID(s.secret, e.ID), Action: e.Action, ActionLabel: workflow.ActionLabel(workflow.Action(e.Action)),
		FromStatus: e.FromStatus, ToStatus: e.ToStatus, ActorID: idString(e.ActorID), ActorRole: e.ActorRole,
		At: s.ts(e.At), Payload: p}
}
