package model

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// Notices of case events (docs/design.md#case-notices): who is told what,
// written in the transaction of the change. A notice names the case by its
// reference number and never carries a lead's content (its title and body
// come from codes, numbers and dates only).
//
//	assign               → the assigned unit's accounts; a co-handling unit's
//	due_soon, overdue    → the unit handling the step (工商联 for 受理) and 工商联 of the region
//	supervise            → the assigned unit
//	respond              → the enterprise, with the evaluation's due date
//	request_extension    → 工商联; approve/deny_extension → the unit
//	merge                → the enterprise
//	a lead to rectify    → the rectifying unit (decide, approve_disposal, verify rejected)
//	complete_rectification, a lead's due_soon/overdue, propose_disposal → the region's inspectors
//	                       (not the proposer), and for a rectification step the unit too
//
// The scanner's notices are sent with its batch; each step is marked once,
// so each is sent once.

// Kinds of case notice.
const (
	NoticeRequestAssigned   = "request_assigned"
	NoticeRequestCoHandling = "request_co_handling"
	NoticeRequestDueSoon    = "request_due_soon"
	NoticeRequestOverdue    = "request_overdue"
	NoticeRequestSupervised = "request_supervised"
	NoticeRequestResponded  = "request_responded"
	NoticeExtensionAsked    = "extension_asked"
	NoticeExtensionDecided  = "extension_decided"
	NoticeRequestMerged     = "request_merged"
	NoticeLeadRectify       = "lead_rectify"
	NoticeLeadRectified     = "lead_rectified"
	NoticeLeadDueSoon       = "lead_due_soon"
	NoticeLeadOverdue       = "lead_overdue"
	NoticeLeadProposal      = "lead_proposal"
)

// Objects of case notices.
const (
	ObjectRequest = "request"
	ObjectLead    = "lead"
)

// noticeCache keeps the recipients looked up for one batch, and the
// notices to write at its end (flush: one INSERT for a scanner batch).
type noticeCache struct {
	units   map[[2]string][]uint64
	roles   map[[2]string][]uint64
	ents    map[uint64][]uint64
	pending []Notice
	// channels are the notice channels of the recipients looked up with
	// them (nil: none chosen), so that flush need not read them again.
	channels map[uint64]*NotifySetting
	// recusals, when set, are the recused accounts of the batch's leads.
	recusals map[uint64][]uint64
}

// queue adds n for each account of ids (once each).
func (c *noticeCache) queue(now time.Time, n NewNotice, ids ...uint64) {
	seen := map[uint64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		c.pending = append(c.pending, Notice{AccountID: id, Kind: n.Kind, Title: n.Title, Body: n.Body,
			ObjectKind: n.ObjectKind, ObjectID: n.ObjectID, CreatedAt: now})
	}
}

// flush writes the queued notices in tx.
func (c *noticeCache) flush(tx *gorm.DB) error {
	if len(c.pending) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(c.pending, insertBatch(tx, 9)).Error; err != nil {
		return err
	}
	err := enqueueChannels(tx, c.pending, c.channels)
	c.pending = c.pending[:0]
	return err
}

func newNoticeCache() *noticeCache {
	return &noticeCache{units: map[[2]string][]uint64{}, roles: map[[2]string][]uint64{}, ents: map[uint64][]uint64{},
		channels: map[uint64]*NotifySetting{}}
}

func (c *noticeCache) unit(s *Store, tx *gorm.DB, dept, region string) ([]uint64, error) {
	k := [2]string{dept, region}
	if ids, ok := c.units[k]; ok {
		return ids, nil
	}
	l, err := s.cachedRecipients(recipientKey{"unit", dept, region}, func() ([]uint64, map[uint64]*NotifySetting, error) {
		return s.unitRecipients(tx, dept, region)
	})
	c.units[k] = l.ids
	maps.Copy(c.channels, l.channels)
	return l.ids, err
}

// role is the accounts of role at region, or at the nearest region above
// it that has some (a town's 工商联 is its district's).
func (c *noticeCache) role(s *Store, tx *gorm.DB, role, region string) ([]uint64, error) {
	k := [2]string{role, region}
	if ids, ok := c.roles[k]; ok {
		return ids, nil
	}
	l, err := s.cachedRecipients(recipientKey{"role", role, region}, func() ([]uint64, map[uint64]*NotifySetting, error) {
		for code, i := region, 0; code != "" && i < 8; code, i = s.ref.Parents[code], i+1 {
			ids, set, err := roleRecipients(tx, role, code)
			if err != nil || len(ids) > 0 {
				return ids, set, err
			}
		}
		return nil, nil, nil
	})
	if err != nil {
		return nil, err
	}
	c.roles[k] = l.ids
	maps.Copy(c.channels, l.channels)
	return l.ids, nil
}

// recipientKey names a list of notice recipients: a unit (kind "unit",
// department, region) or a role at a region ("role", role, region).
type recipientKey struct{ kind, a, b string }

// recipientList is the accounts a notice to a unit or a role goes to, with
// their channels (read-only once cached).
type recipientList struct {
	ids      []uint64
	channels map[uint64]*NotifySetting
}

// cachedRecipients is the recipients of k, from the store's recent reads
// (for credential_cache, 1 s by default) or read now.
//
// Why: a transition that tells a unit read the unit's accounts each time;
// on MariaDB, where the database's CPU per statement bounds a transition on
// two cores, that was one statement of seven. The accounts of a unit change
// rarely; the store forgets the lists when it creates, disables or enables
// an account or changes notice channels (clearRecipients), so on one
// instance a change is seen at once and on the others within the cache's
// time — the same rule as for the credentials behind a token.
func (s *Store) cachedRecipients(k recipientKey, read func() ([]uint64, map[uint64]*NotifySetting, error)) (recipientList, error) {
	now := s.Now()
	if l, ok := s.recipients.get(k, now); ok {
		return l, nil
	}
	gen := s.recipients.generation()
	ids, set, err := read()
	if err != nil {
		return recipientList{}, err
	}
	l := recipientList{ids: ids, channels: set}
	s.recipients.put(k, l, now, gen)
	return l, nil
}

// clearRecipients forgets the cached recipient lists after a change to
// accounts or their notice channels.
func (s *Store) clearRecipients() { s.recipients.clear() }

func (c *noticeCache) enterprise(tx *gorm.DB, id uint64) ([]uint64, error) {
	if ids, ok := c.ents[id]; ok {
		return ids, nil
	}
	var ids []uint64
	err := tx.Model(&Account{}).Where("enterprise_id = ? AND disabled = ?", id, false).Order("id").Pluck("id", &ids).Error
	c.ents[id] = ids
	return ids, err
}

// notifyRequest sends the notices of action a just taken on r (r as
// written), inside tx.
func (s *Store) notifyRequest(tx *gorm.DB, c *noticeCache, now time.Time, actor Actor, r *Request, a workflow.Action) error {
	ref := RefNo("QH", r.ID, r.CreatedAt, s.cal.Location())
	n := NewNotice{ObjectKind: ObjectRequest, ObjectID: strconv.FormatUint(r.ID, 10)}
	var to []uint64
	add := func(ids []uint64, err error) error {
		to = append(to, ids...)
		return err
	}
	unit := func() error {
		if r.DepartmentCode == nil || r.UnitRegionCode == nil {
			return nil
		}
		return add(c.unit(s, tx, *r.DepartmentCode, *r.UnitRegionCode))
	}
	due := ""
	if r.DueAt != nil {
		due = r.DueAt.In(s.cal.Location()).Format("2006-01-02 15:04")
	}
	st, _ := workflow.Request.State(workflow.Status(r.Status))
	step := workflow.StepLabel(st.Step)
	switch a {
	case workflow.Assign:
		n.Kind, n.Title = NoticeRequestAssigned, "新交办诉求 "+ref
		n.Body = "诉求“" + r.Title + "”已交办贵单位，请于 " + due + " 前签收。"
		if err := unit(); err != nil {
			return err
		}
		for _, u := range workflow.DecodeUnits(r.CoUnits) {
			ids, err := c.unit(s, tx, u.DepartmentCode, u.RegionCode)
			if err != nil {
				return err
			}
			co := NewNotice{Kind: NoticeRequestCoHandling, Title: "协办诉求 " + ref, ObjectKind: n.ObjectKind, ObjectID: n.ObjectID,
				Body: "诉求“" + r.Title + "”请贵单位协办，可在诉求页提出协办意见；答复由主办单位作出。"}
			c.queue(now, co, withoutActor(ids, actor)...)
		}
	case workflow.EventDueSoon, workflow.EventOverdue:
		n.Kind, n.Title = NoticeRequestDueSoon, "诉求 "+ref+" 即将到期"
		n.Body = "诉求“" + r.Title + "”" + step + "环节将于 " + due + " 到期。"
		if a == workflow.EventOverdue {
			n.Kind, n.Title = NoticeRequestOverdue, "诉求 "+ref+" 已超期"
			n.Body = "诉求“" + r.Title + "”" + step + "环节已超过办理期限 " + due + "。"
		}
		if r.Status == string(workflow.Assigned) || r.Status == string(workflow.InProgress) {
			if err := unit(); err != nil {
				return err
			}
		}
		if err := add(c.role(s, tx, string(workflow.RoleACFIC), r.RegionCode)); err != nil {
			return err
		}
	case workflow.Supervise:
		n.Kind, n.Title = NoticeRequestSupervised, "诉求 "+ref+" 被督办"
		n.Body = "诉求“" + r.Title + "”已被督办，请加快办理。"
		if err := unit(); err != nil {
			return err
		}
	case workflow.Respond:
		n.Kind, n.Title = NoticeRequestResponded, "您的诉求 "+ref+" 已答复"
		n.Body = "诉求“" + r.Title + "”已答复，请查看答复并于 " + due + " 前评价。"
		if err := add(c.enterprise(tx, r.EnterpriseID)); err != nil {
			return err
		}
	case workflow.RequestExtension:
		n.Kind, n.Title = NoticeExtensionAsked, "诉求 "+ref+" 申请延期"
		n.Body = "承办单位申请将诉求“" + r.Title + "”延期 " + strconv.Itoa(r.PendingExtensionDays) + " 个工作日，请审批。"
		if err := add(c.role(s, tx, string(workflow.RoleACFIC), r.RegionCode)); err != nil {
			return err
		}
	case workflow.ApproveExtension, workflow.DenyExtension:
		n.Kind, n.Title = NoticeExtensionDecided, "诉求 "+ref+" 延期申请已批准"
		n.Body = "诉求“" + r.Title + "”的延期申请已批准，新的办理期限为 " + due + "。"
		if a == workflow.DenyExtension {
			n.Title, n.Body = "诉求 "+ref+" 延期申请未获批准", "诉求“"+r.Title+"”的延期申请未获批准，请在原期限 "+due+" 前答复。"
		}
		if err := unit(); err != nil {
			return err
		}
	case workflow.Merge:
		n.Kind, n.Title = NoticeRequestMerged, "您的诉求 "+ref+" 已合并"
		n.Body = "诉求“" + r.Title + "”与您先前提交的诉求重复，已合并办理，答复见合并后的诉求。"
		if err := add(c.enterprise(tx, r.EnterpriseID)); err != nil {
			return err
		}
	default:
		return nil
	}
	c.queue(now, n, withoutActor(to, actor)...)
	return nil
}

// notifyLead sends the notices of action a just taken on l (as written).
// They name the lead by its reference number only.
func (s *Store) notifyLead(tx *gorm.DB, c *noticeCache, now time.Time, actor Actor, l *Lead, a workflow.Action) error {
	ref := RefNo("XS", l.ID, l.CreatedAt, s.cal.Location())
	n := NewNotice{ObjectKind: ObjectLead, ObjectID: strconv.FormatUint(l.ID, 10)}
	var to []uint64
	add := func(ids []uint64, err error) error {
		to = append(to, ids...)
		return err
	}
	rectifyingUnit := func() error {
		if l.Status != string(workflow.LeadRectifying) || l.RectifyDepartmentCode == nil || l.RectifyRegionCode == nil {
			return nil
		}
		return add(c.unit(s, tx, *l.RectifyDepartmentCode, *l.RectifyRegionCode))
	}
	inspectors := func() error { return add(c.role(s, tx, string(workflow.RoleInspector), l.RegionCode)) }
	due := ""
	if l.DueAt != nil {
		due = l.DueAt.In(s.cal.Location()).Format("2006-01-02 15:04")
	}
	st, _ := workflow.Lead.State(workflow.Status(l.Status))
	step := workflow.StepLabel(st.Step)
	switch a {
	case workflow.LeadDecide, workflow.LeadApproveDisposal, workflow.LeadVerify:
		if l.Status != string(workflow.LeadRectifying) {
			return nil
		}
		n.Kind, n.Title = NoticeLeadRectify, "整改任务 "+ref
		n.Body = "问题线索 " + ref + " 交由贵单位整改，请于 " + due + " 前完成并报告整改情况。"
		if a == workflow.LeadVerify {
			n.Body = "问题线索 " + ref + " 回访未通过，请继续整改，于 " + due + " 前报告。"
		}
		if err := rectifyingUnit(); err != nil {
			return err
		}
	case workflow.CompleteRectification:
		n.Kind, n.Title = NoticeLeadRectified, "问题线索 "+ref+" 整改完成"
		n.Body = "问题线索 " + ref + " 的整改单位已报告整改完成，请于 " + due + " 前监督回访。"
		if err := inspectors(); err != nil {
			return err
		}
	case workflow.LeadProposeDisposal:
		n.Kind, n.Title = NoticeLeadProposal, "问题线索 "+ref+" 待审批"
		n.Body = "问题线索 " + ref + " 有处置意见报批，请另一名纪检监察人员审批。"
		if err := inspectors(); err != nil {
			return err
		}
	case workflow.EventDueSoon, workflow.EventOverdue:
		n.Kind, n.Title = NoticeLeadDueSoon, "问题线索 "+ref+" 即将到期"
		n.Body = "问题线索 " + ref + " 的" + step + "环节将于 " + due + " 到期。"
		if a == workflow.EventOverdue {
			n.Kind, n.Title = NoticeLeadOverdue, "问题线索 "+ref+" 已超期"
			n.Body = "问题线索 " + ref + " 的" + step + "环节已超过期限 " + due + "。"
		}
		if err := inspectors(); err != nil {
			return err
		}
		if err := rectifyingUnit(); err != nil {
			return err
		}
	default:
		return nil
	}
	// A lead's subject and recused inspectors are told nothing of it.
	recused := slices.Clone(c.recusals[l.ID])
	if c.recusals == nil {
		if err := tx.Model(&LeadRecusal{}).Where("lead_id = ?", l.ID).Pluck("account_id", &recused).Error; err != nil {
			return err
		}
	}
	if l.SubjectAccountID != nil {
		recused = append(recused, *l.SubjectAccountID)
	}
	keep := to[:0]
	for _, id := range to {
		if !slices.Contains(recused, id) {
			keep = append(keep, id)
		}
	}
	c.queue(now, n, withoutActor(keep, actor)...)
	return nil
}

// withoutActor is ids without the account that took the action: no one
// is told of what they did themselves.
func withoutActor(ids []uint64, a Actor) []uint64 {
	if a.AccountID == 0 {
		return ids
	}
	out := ids[:0:0]
	for _, id := range ids {
		if id != a.AccountID {
			out = append(out, id)
		}
	}
	return out
}

// notifyRequestRows sends the scanner's notices of event a for a batch.
func (s *Store) notifyRequestRows(tx *gorm.DB, now time.Time, rows []Request, a workflow.Action) error {
	c := newNoticeCache()
	for i := range rows {
		if err := s.notifyRequest(tx, c, now, systemActor(), &rows[i], a); err != nil {
			return err
		}
	}
	return c.flush(tx)
}

// notifyLeadRows is notifyRequestRows for leads.
func (s *Store) notifyLeadRows(tx *gorm.DB, now time.Time, rows []Lead, a workflow.Action) error {
	c := newNoticeCache()
	c.recusals = map[uint64][]uint64{}
	ids := make([]uint64, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	for lo := 0; lo < len(ids); lo += 500 {
		var rs []LeadRecusal
		if err := tx.Where("lead_id IN ?", ids[lo:min(lo+500, len(ids))]).Find(&rs).Error; err != nil {
			return err
		}
		for _, r := range rs {
			c.recusals[r.LeadID] = append(c.recusals[r.LeadID], r.AccountID)
		}
	}
	for i := range rows {
		if err := s.notifyLead(tx, c, now, systemActor(), &rows[i], a); err != nil {
			return err
		}
	}
	return c.flush(tx)
}
