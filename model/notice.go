package model

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Notices (站内通知): short messages to an account, read in the app. A
// notice names what it is about (ObjectKind, ObjectID) so that a client
// can link to it, and never carries the content of a lead or anything the
// recipient may not read: its title and body are written by the code that
// sends it, from codes, names and dates only.

// Notice is one message to one account.
type Notice struct {
	ID        uint64 `gorm:"primaryKey;index:idx_notices_account,priority:2"`
	AccountID uint64 `gorm:"not null;index:idx_notices_account,priority:1;uniqueIndex:idx_notices_dedup,priority:1"`
	// Kind is the notice's code (NoticeSubmissionDueSoon …).
	Kind  string `gorm:"size:32;not null"`
	Title string `gorm:"size:128;not null"`
	Body  string `gorm:"type:text;not null"`
	// ObjectKind and ObjectID name the object the notice is about
	// (index_period and a period name, rectification_item and an id …).
	ObjectKind string `gorm:"size:32;not null"`
	ObjectID   string `gorm:"size:64;not null"`
	// DedupKey, when set, makes the notice once per account: a second
	// notice with the same key to the same account is not stored. NULL
	// keys never collide.
	DedupKey  *string    `gorm:"size:128;uniqueIndex:idx_notices_dedup,priority:2"`
	CreatedAt time.Time  `gorm:"not null"`
	ReadAt    *time.Time ``
}

// Kinds of notice.
const (
	NoticeSubmissionDueSoon = "submission_due_soon" // a department's values for a period are due soon
	NoticeSubmissionOverdue = "submission_overdue"  // … and the deadline has passed
	NoticeRectifyAssigned   = "rectify_assigned"    // a published index gave a unit rectification items
	NoticeRectifyDueSoon    = "rectify_due_soon"    // a rectification item is due soon
	NoticeRectifyOverdue    = "rectify_overdue"     // a rectification item is overdue
	NoticeRectifyReported   = "rectify_reported"    // the owner unit reported progress (to 工商联)
	NoticeRectifyClosed     = "rectify_closed"      // 工商联 closed (销号) an item
)

// Kinds of object a notice may be about (besides request and lead).
const (
	ObjectIndexPeriod       = "index_period"       // ObjectID: the period's name
	ObjectRectificationItem = "rectification_item" // ObjectID: the item's id
	ObjectRectificationList = "rectification_list" // ObjectID: the period of the items
)

// NewNotice is what a caller sends: the same to every recipient.
type NewNotice struct {
	Kind, Title, Body    string
	ObjectKind, ObjectID string
	// DedupKey, when not empty, sends the notice at most once per account.
	DedupKey string
}

// Notify stores n for each account of ids, inside the caller's
// transaction tx so that the notice exists exactly when what it reports
// does. An account that already has a notice with n's DedupKey gets no
// second one. It returns how many notices were stored.
func Notify(tx *gorm.DB, now time.Time, n NewNotice, ids ...uint64) (int, error) {
	return notify(tx, now, n, nil, ids...)
}

// notify is Notify with the notice channels of accounts already read with
// them (enqueueChannels reads the others').
func notify(tx *gorm.DB, now time.Time, n NewNotice, known map[uint64]*NotifySetting, ids ...uint64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var key *string
	if n.DedupKey != "" {
		key = &n.DedupKey
	}
	rows := make([]Notice, 0, len(ids))
	seen := map[uint64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		rows = append(rows, Notice{AccountID: id, Kind: n.Kind, Title: n.Title, Body: n.Body, ObjectKind: n.ObjectKind,
			ObjectID: n.ObjectID, DedupKey: key, CreatedAt: now})
	}
	if key != nil {
		// The accounts that have it already get neither the notice nor
		// its SMS or e-mail again.
		var have []uint64
		if err := tx.Model(&Notice{}).Where("dedup_key = ? AND account_id IN ?", *key, ids).Pluck("account_id", &have).Error; err != nil {
			return 0, err
		}
		rows = slices.DeleteFunc(rows, func(r Notice) bool { return slices.Contains(have, r.AccountID) })
		if len(rows) == 0 {
			return 0, nil
		}
	}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows)
	if res.Error != nil {
		return 0, res.Error
	}
	return int(res.RowsAffected), enqueueChannels(tx, rows, known)
}

// unitRecipients returns the enabled department accounts of unit (dept,
// region). A unit without accounts of its own is served by the accounts of
// the same department at the nearest region above it that has some (a
// town's 市场监管 by the district's), so a notice to a unit always reaches
// someone who can act for it while any such account exists.
// Each comes with its notice channels (a nil setting: it chose none), read
// in the same statement.
func (s *Store) unitRecipients(tx *gorm.DB, dept, region string) ([]uint64, map[uint64]*NotifySetting, error) {
	for code := region; code != ""; code = s.ref.Regions[code].ParentCode {
		ids, set, err := recipients(tx, "accounts.role = ? AND accounts.region_code = ? AND accounts.department_code = ? AND accounts.disabled = ?",
			"department", code, dept, false)
		if err != nil || len(ids) > 0 {
			return ids, set, err
		}
		if _, known := s.ref.Regions[code]; !known {
			break
		}
	}
	return nil, nil, nil
}

// recipients are the accounts cond selects, in id order, with their notice
// channels (LEFT JOIN: one statement instead of a second look-up when the
// notices are queued for SMS and e-mail).
func recipients(tx *gorm.DB, cond string, args ...any) ([]uint64, map[uint64]*NotifySetting, error) {
	var rows []struct {
		ID      uint64
		Phone   *string
		Email   *string
		SMS     *bool `gorm:"column:sms"`
		ByEmail *bool
	}
	err := tx.Table("accounts").Select("accounts.id, notify_settings.phone, notify_settings.email, notify_settings.sms, notify_settings.by_email").
		Joins("LEFT JOIN notify_settings ON notify_settings.account_id = accounts.id").
		Where(cond, args...).Order("accounts.id").Scan(&rows).Error
	if err != nil {
		return nil, nil, err
	}
	ids := make([]uint64, len(rows))
	set := make(map[uint64]*NotifySetting, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		set[r.ID] = nil
		if r.SMS != nil && r.ByEmail != nil && (*r.SMS || *r.ByEmail) {
			set[r.ID] = &NotifySetting{AccountID: r.ID, Phone: deref0(r.Phone), Email: deref0(r.Email), SMS: *r.SMS, ByEmail: *r.ByEmail}
		}
	}
	return ids, set, nil
}

func deref0(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// roleRecipients returns the enabled accounts of role at region exactly,
// with their notice channels.
func roleRecipients(tx *gorm.DB, role, region string) ([]uint64, map[uint64]*NotifySetting, error) {
	return recipients(tx, "accounts.role = ? AND accounts.region_code = ? AND accounts.disabled = ?", role, region, false)
}

// NotifyUnit stores n for the accounts of unit (dept, region)
// (unitRecipients), inside tx.
func (s *Store) NotifyUnit(tx *gorm.DB, now time.Time, dept, region string, n NewNotice) (int, error) {
	ids, channels, err := s.unitRecipients(tx, dept, region)
	if err != nil {
		return 0, err
	}
	return notify(tx, now, n, channels, ids...)
}

// ListNotices lists account's notices newest first, with how many are
// unread in all.
func (s *Store) ListNotices(ctx context.Context, account uint64, unreadOnly bool, p Page) ([]Notice, uint64, int64, error) {
	db := s.db.WithContext(ctx)
	var unread int64
	if err := db.Model(&Notice{}).Where("account_id = ? AND read_at IS NULL", account).Count(&unread).Error; err != nil {
		return nil, 0, 0, formatError(err)
	}
	q := db.Model(&Notice{}).Where("account_id = ?", account)
	if unreadOnly {
		q = q.Where("read_at IS NULL")
	}
	var out []Notice
	next, err := pageQuery(q, p, &out, func(i int) uint64 { return out[i].ID })
	return out, next, unread, err
}

// MarkNoticeRead marks account's notice id read (once: a notice read
// before keeps its first read_at). ErrNotFound when account has no such
// notice.
func (s *Store) MarkNoticeRead(ctx context.Context, account, id uint64) (*Notice, error) {
	var out Notice
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&Notice{}).Where("id = ? AND account_id = ? AND read_at IS NULL", id, account).
			Update("read_at", s.Now()).Error; err != nil {
			return err
		}
		return tx.Where("id = ? AND account_id = ?", id, account).Take(&out).Error
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// MarkAllNoticesRead marks every unread notice of account read and
// returns how many it marked.
func (s *Store) MarkAllNoticesRead(ctx context.Context, account uint64) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Notice{}).Where("account_id = ? AND read_at IS NULL", account).Update("read_at", s.Now())
		n = res.RowsAffected
		return res.Error
	})
	return n, formatError(err)
}

// SendNotice stores n for the accounts ids in a transaction of its own,
// for callers that have none open (Notify inside one).
func (s *Store) SendNotice(ctx context.Context, n NewNotice, ids ...uint64) (int, error) {
	var sent int
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var err error
		sent, err = Notify(tx, s.Now(), n, ids...)
		return err
	})
	return sent, err
}
