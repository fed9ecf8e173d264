package api

import (
	"context"
	"time"

	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

// A lead is shown in field groups. Each group is a nil pointer, and so absent
// from the JSON, unless the caller may read the policy object that guards it
// (policy.csv, lead.*) in the lead's region:
//
//	always                 id, ref_no, status, status_label, version, created_at, updated_at, closed_at
//	reporter or inspector  anonymous
//	lead.rectification     step, due_at, overdue, remaining, remaining_seconds (the officials handling it)
//	lead.content           region_code; in the detail also content, evidence, occurred_at, enterprise_id,
//	                       subject_department_code, subject_name, subject_username, subject_account_id, rule_code,
//	                       evidence_files (the files attached to the report)
//	lead.investigation     disposal, disposal_label; in the detail also assessment, investigation_notes,
//	                       transfer_to, grounds, proposal (the disposal waiting for approval),
//	                       inquiry (the written inquiry: letter, reply, conclusion)
//	reporter or inspector  outcome (the feedback recorded, once there is one)
//	lead.reporter          in the detail: reporter (null when anonymous), feedback_due_at, feedback
//	lead.rectification     in the detail: rectification (the task, with the files of its reports; null
//	                       until a unit is charged)
//
// A station or an enterprise therefore sees the status of what it reported
// and nothing else; a department sees its rectification task and never the
// reporter, the content or the investigation.

// leadLevel is how much an endpoint shows at most; the policy then decides
// what of it the caller sees.
type leadLevel int

const (
	// leadHeader: the status only (the answer to filing, the receipt lookup).
	leadHeader leadLevel = iota
	// leadSummary: list items, with no confidential text.
	leadSummary
	// leadFull: the detail, whose every showing is recorded.
	leadFull
)

type leadView struct {
	ID          string  `json:"id"`
	RefNo       string  `json:"ref_no"`
	Status      string  `json:"status"`
	StatusLabel string  `json:"status_label"`
	Version     int     `json:"version"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
	ClosedAt    *string `json:"closed_at"`
	Anonymous   *bool   `json:"anonymous,omitempty"`
	// Outcome is the feedback recorded for the reporter, shown to the
	// reporter (an anonymous one through its receipt) and inspectors.
	Outcome    *string `json:"outcome,omitempty"`
	RegionCode *string `json:"region_code,omitempty"`
	*leadDeadlineView
	*leadDisposalView
	*leadContentView
	*leadReporterGroup
	*leadInvestigationView
	*leadRectificationGroup
}

type leadDeadlineView struct {
	Step             *string `json:"step"`
	DueAt            *string `json:"due_at"`
	Overdue          bool    `json:"overdue"`
	Remaining        *string `json:"remaining"`
	RemainingSeconds *int64  `json:"remaining_seconds"`
}

type leadDisposalView struct {
	Disposal      *string `json:"disposal"`
	DisposalLabel *string `json:"disposal_label"`
}

type leadContentView struct {
	Content               string  `json:"content"`
	Evidence              string  `json:"evidence"`
	OccurredAt            *string `json:"occurred_at"`
	EnterpriseID          *string `json:"enterprise_id"`
	SubjectDepartmentCode *string `json:"subject_department_code"`
	SubjectName           string  `json:"subject_name"`
	SubjectUsername       string  `json:"subject_username"`
	SubjectAccountID      *string `json:"subject_account_id"`
	RuleCode              *string `json:"rule_code"`
	// EvidenceFiles are the files attached to the report (detail only).
	EvidenceFiles []fileRefView `json:"evidence_files"`
}

type leadReporterGroup struct {
	Reporter      *leadReporterView `json:"reporter"`
	FeedbackDueAt *string           `json:"feedback_due_at"`
	Feedback      *leadFeedbackView `json:"feedback"`
}

// leadFeedbackView is the feedback recorded for the reporter: how, when and
// what for a named one; the outcome text for an anonymous one.
type leadFeedbackView struct {
	Method      *string `json:"method"`
	MethodLabel *string `json:"method_label"`
	At          *string `json:"at"`
	Content     string  `json:"content"`
	RecordedAt  string  `json:"recorded_at"`
}

type leadReporterView struct {
	AccountID   string  `json:"account_id"`
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	Role        string  `json:"role"`
	StationID   *string `json:"station_id"`
}

type leadInvestigationView struct {
	Assessment         *string           `json:"assessment"`
	InvestigationNotes []leadNoteView    `json:"investigation_notes"`
	TransferTo         *string           `json:"transfer_to"`
	Grounds            *string           `json:"grounds"`
	Proposal           *leadProposalView `json:"proposal"`
	Inquiry            *leadInquiryView  `json:"inquiry"`
}

// leadInquiryView is the written inquiry (函询) a decision sent: the unit,
// the letter, its reply and the conclusion. Inspectors only: the unit the
// letter went to never sees it here.
type leadInquiryView struct {
	DepartmentCode  string  `json:"department_code"`
	UnitRegionCode  string  `json:"unit_region_code"`
	Letter          string  `json:"letter"`
	SentAt          *string `json:"sent_at"`
	DueAt           *string `json:"due_at"`
	Reply           *string `json:"reply"`
	RepliedAt       *string `json:"replied_at"`
	Conclusion      *string `json:"conclusion"`
	ConclusionLabel *string `json:"conclusion_label"`
	Result          *string `json:"result"`
	ConcludedAt     *string `json:"concluded_at"`
}

// leadProposalView is the disposal waiting for approval (报批): the
// decision as proposed, who proposed it and when. Inspectors only.
type leadProposalView struct {
	Disposal       string  `json:"disposal"`
	DisposalLabel  string  `json:"disposal_label"`
	Assessment     string  `json:"assessment"`
	DepartmentCode *string `json:"department_code"`
	UnitRegionCode *string `json:"unit_region_code"`
	Days           *int    `json:"days"`
	TransferTo     *string `json:"transfer_to"`
	Grounds        *string `json:"grounds"`
	Letter         *string `json:"letter"`
	ProposedBy     *string `json:"proposed_by"`
	ProposedAt     string  `json:"proposed_at"`
}

type leadNoteView struct {
	At      string `json:"at"`
	ActorID string `json:"actor_id"`
	Notes   string `json:"notes"`
}

type leadRectificationGroup struct {
	Rectification *leadRectificationView `json:"rectification"`
}

// leadRectificationView is the task of the unit charged with rectification:
// which unit, how long, the interaction-list item concerned (a public list,
// so that the unit knows what kind of conduct to correct), its own report and
// the inspector's verdict on it.
type leadRectificationView struct {
	DepartmentCode string                `json:"department_code"`
	UnitRegionCode string                `json:"unit_region_code"`
	Days           int                   `json:"days"`
	DueAt          *string               `json:"due_at"`
	RuleCode       *string               `json:"rule_code"`
	RuleTitle      *string               `json:"rule_title"`
	Report         *string               `json:"report"`
	ReportedAt     *string               `json:"reported_at"`
	Verification   *leadVerificationView `json:"verification"`
	// Files are the files of the unit's rectification reports, oldest first.
	Files []fileRefView `json:"files"`
}

type leadVerificationView struct {
	Accepted bool   `json:"accepted"`
	Result   string `json:"result"`
	At       string `json:"at"`
}

// leadCreatedView answers a filing: the status view, and for an anonymous
// lead the receipt (查询码), shown this once.
type leadCreatedView struct {
	leadView
	Receipt *string `json:"receipt,omitempty"`
}

func optText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// leadView builds l as the caller may see it, up to level. The detail's
// investigation notes and account names need the database: see leadDetail.
func (s *Server) leadView(p *principal, l *model.Lead, level leadLevel) leadView {
	may := func(kind string) bool {
		return s.authz.Allowed(p.subject(), "read", policy.Resource{Kind: kind, Region: l.RegionCode})
	}
	now := s.now()
	loc := s.cal.Location()
	st, _ := workflow.Lead.State(workflow.Status(l.Status))
	v := leadView{ID: idString(l.ID), RefNo: model.RefNo("XS", l.ID, l.CreatedAt, loc), Status: l.Status, StatusLabel: st.Label,
		Version: l.Version, CreatedAt: s.ts(l.CreatedAt), UpdatedAt: s.ts(l.UpdatedAt), ClosedAt: s.optTS(l.ClosedAt)}
	reporterRole := s.authz.Can(p.account.Role, "lead", "create")
	if reporterRole || may("lead.reporter") {
		anon := l.Anonymous
		v.Anonymous = &anon
		v.Outcome = l.FeedbackContent
	}
	if level == leadHeader {
		return v
	}
	if may("lead.rectification") {
		d := &leadDeadlineView{Overdue: l.IsOverdue(now)}
		if st.Open && l.DueAt != nil {
			step := st.Step
			d.Step, d.DueAt = &step, s.optTS(l.DueAt)
			rem := s.cal.Remaining(now, *l.DueAt, l.DueWorking)
			secs, text := int64(rem/time.Second), remainingWords(rem, dayBasis(l.DueWorking))
			d.RemainingSeconds, d.Remaining = &secs, &text
		}
		v.leadDeadlineView = d
	}
	content, investigation := may("lead.content"), may("lead.investigation")
	if content {
		region := l.RegionCode
		v.RegionCode = &region
	}
	if investigation {
		d := &leadDisposalView{Disposal: l.Disposal}
		if l.Disposal != nil {
			if dp, ok := workflow.DisposalByCode(*l.Disposal); ok {
				d.DisposalLabel = &dp.Label
			}
		}
		v.leadDisposalView = d
	}
	if level == leadSummary {
		return v
	}
	if content {
		v.leadContentView = &leadContentView{Content: l.Content, Evidence: l.Evidence, OccurredAt: s.optTS(l.OccurredAt),
			EnterpriseID: optID(l.EnterpriseID), SubjectDepartmentCode: l.SubjectDepartmentCode, SubjectName: l.SubjectName,
			SubjectUsername: l.SubjectUsername, SubjectAccountID: optID(l.SubjectAccountID), RuleCode: l.RuleCode}
	}
	if may("lead.reporter") {
		g := &leadReporterGroup{FeedbackDueAt: s.optTS(s.store.FeedbackDue(l))}
		if l.FeedbackRecordedAt != nil && l.FeedbackContent != nil {
			f := &leadFeedbackView{Method: l.FeedbackMethod, At: s.optTS(l.FeedbackAt), Content: *l.FeedbackContent,
				RecordedAt: s.ts(*l.FeedbackRecordedAt)}
			if l.FeedbackMethod != nil {
				label := workflow.FeedbackMethodLabel(*l.FeedbackMethod)
				f.MethodLabel = &label
			}
			g.Feedback = f
		}
		if !l.Anonymous && l.ReporterAccountID != nil {
			g.Reporter = &leadReporterView{AccountID: idString(*l.ReporterAccountID), Role: l.ReporterRole, StationID: optID(l.StationID)}
		}
		v.leadReporterGroup = g
	}
	if investigation {
		v.leadInvestigationView = &leadInvestigationView{Assessment: optText(l.Assessment), InvestigationNotes: []leadNoteView{},
			TransferTo: optText(l.TransferTo), Grounds: optText(l.Grounds), Proposal: s.proposalView(l), Inquiry: s.inquiryView(l)}
	}
	if may("lead.rectification") {
		g := &leadRectificationGroup{}
		if l.RectifyDepartmentCode != nil && l.RectifyRegionCode != nil {
			r := &leadRectificationView{DepartmentCode: *l.RectifyDepartmentCode, UnitRegionCode: *l.RectifyRegionCode,
				Days: l.RectifyDays, DueAt: s.optTS(l.RectifyDueAt), RuleCode: l.RuleCode,
				Report: optText(l.RectifyReport), ReportedAt: s.optTS(l.RectifiedAt)}
			if l.RuleCode != nil {
				for _, rule := range s.ref.Raw.InteractionRules {
					if rule.Code == *l.RuleCode {
						title := rule.Title
						r.RuleTitle = &title
					}
				}
			}
			if l.VerifyAccepted != nil && l.VerifiedAt != nil {
				r.Verification = &leadVerificationView{Accepted: *l.VerifyAccepted, Result: l.VerifyResult, At: s.ts(*l.VerifiedAt)}
			}
			g.Rectification = r
		}
		v.leadRectificationGroup = g
	}
	return v
}

// inquiryView is the written inquiry of l, nil when it has none.
func (s *Server) inquiryView(l *model.Lead) *leadInquiryView {
	if l.InquiryDepartmentCode == nil || l.InquiryRegionCode == nil {
		return nil
	}
	v := &leadInquiryView{DepartmentCode: *l.InquiryDepartmentCode, UnitRegionCode: *l.InquiryRegionCode,
		Letter: deref(l.InquiryLetter), SentAt: s.optTS(l.InquirySentAt), DueAt: s.optTS(l.InquiryDueAt),
		Reply: l.InquiryReply, RepliedAt: s.optTS(l.InquiryRepliedAt), Conclusion: l.InquiryConclusion,
		Result: l.InquiryResult, ConcludedAt: s.optTS(l.InquiryConcludedAt)}
	if l.InquiryConclusion != nil {
		label := workflow.InquiryConclusionLabel(*l.InquiryConclusion)
		v.ConclusionLabel = &label
	}
	return v
}

// proposalView is the disposal l holds for approval, nil when none waits.
func (s *Server) proposalView(l *model.Lead) *leadProposalView {
	if l.Proposal == nil {
		return nil
	}
	p, err := workflow.ParseProposal(*l.Proposal)
	if err != nil {
		return nil
	}
	v := &leadProposalView{Disposal: p.Disposal, Assessment: p.Assessment, DepartmentCode: optText(p.DepartmentCode),
		UnitRegionCode: optText(p.UnitRegionCode), TransferTo: optText(p.TransferTo), Grounds: optText(p.Grounds), Letter: optText(p.Letter),
		ProposedBy: optID(l.ProposedBy), ProposedAt: s.ts(p.ProposedAt)}
	if d, ok := workflow.DisposalByCode(p.Disposal); ok {
		v.DisposalLabel = d.Label
	}
	if p.Days > 0 {
		days := p.Days
		v.Days = &days
	}
	return v
}

// leadDetail is leadView at leadFull with what needs the database: the
// investigation notes and the reporter's account name.
func (s *Server) leadDetail(ctx context.Context, p *principal, l *model.Lead) (leadView, error) {
	v := s.leadView(p, l, leadFull)
	if v.leadInvestigationView != nil {
		notes, err := s.store.LeadNotes(ctx, l.ID)
		if err != nil {
			return v, err
		}
		for _, n := range notes {
			v.InvestigationNotes = append(v.InvestigationNotes, leadNoteView{At: s.ts(n.At), ActorID: idString(n.ActorID), Notes: n.Notes})
		}
	}
	if v.leadContentView != nil || (v.leadRectificationGroup != nil && v.Rectification != nil) {
		// The files of each group go with the group (docs/design.md#attachments).
		files, err := s.store.CaseFiles(ctx, workflow.KindLead, l.ID)
		if err != nil {
			return v, err
		}
		if v.leadContentView != nil {
			v.EvidenceFiles = fileRefs(files, leadFileActions("lead.content"))
		}
		if v.leadRectificationGroup != nil && v.Rectification != nil {
			v.Rectification.Files = fileRefs(files, leadFileActions("lead.rectification"))
		}
	}
	if v.leadReporterGroup != nil && v.Reporter != nil {
		names, err := s.store.AccountNames(ctx, *l.ReporterAccountID)
		if err != nil {
			return v, err
		}
		a := names[*l.ReporterAccountID]
		v.Reporter.Username, v.Reporter.DisplayName = a.Username, a.DisplayName
	}
	return v, nil
}
