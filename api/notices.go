package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// Notices (站内通知): the caller's own messages, newest first, and marking
// them read (docs/design.md#notices). Every account has its own; nobody
// reads another's.

var noticeKindLabels = map[string]string{
	model.NoticeSubmissionDueSoon: "指标报送即将截止",
	model.NoticeSubmissionOverdue: "指标报送已逾期",
	model.NoticeRectifyAssigned:   "新的整改事项",
	model.NoticeRectifyDueSoon:    "整改事项即将到期",
	model.NoticeRectifyOverdue:    "整改事项已逾期",
	model.NoticeRectifyReported:   "整改进展已报送",
	model.NoticeRectifyClosed:     "整改事项已销号",
	model.NoticeRequestAssigned:   "新交办诉求",
	model.NoticeRequestCoHandling: "协办诉求",
	model.NoticeRequestDueSoon:    "诉求即将到期",
	model.NoticeRequestOverdue:    "诉求已超期",
	model.NoticeRequestSupervised: "诉求被督办",
	model.NoticeRequestResponded:  "诉求已答复",
	model.NoticeExtensionAsked:    "延期申请待审批",
	model.NoticeExtensionDecided:  "延期申请已审批",
	model.NoticeRequestMerged:     "诉求已合并",
	model.NoticeLeadRectify:       "整改任务",
	model.NoticeLeadRectified:     "线索整改完成",
	model.NoticeLeadDueSoon:       "线索即将到期",
	model.NoticeLeadOverdue:       "线索已超期",
	model.NoticeLeadProposal:      "处置意见待审批",
}

type noticeView struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	KindLabel  string  `json:"kind_label"`
	Title      string  `json:"title"`
	Body       string  `json:"body"`
	ObjectKind string  `json:"object_kind"`
	ObjectID   string  `json:"object_id"`
	Link       *string `json:"link"`
	Read       bool    `json:"read"`
	ReadAt     *string `json:"read_at"`
	CreatedAt  string  `json:"created_at"`
}

// noticeLink is the API path of what a notice is about (nil when it has
// none).
func noticeLink(kind, id string) *string {
	var p string
	switch kind {
	case model.ObjectIndexPeriod:
		p = "/api/v1/index/periods/" + id + "/submissions"
	case model.ObjectRectificationList:
		p = "/api/v1/rectification-items?period=" + id
	case model.ObjectRectificationItem:
		p = "/api/v1/rectification-items/" + id
	case "request":
		p = "/api/v1/requests/" + id
	case "lead":
		p = "/api/v1/leads/" + id
	default:
		return nil
	}
	return &p
}

func (s *Server) noticeView(n *model.Notice) noticeView {
	return noticeView{ID: idString(n.ID), Kind: n.Kind, KindLabel: noticeKindLabels[n.Kind], Title: n.Title, Body: n.Body,
		ObjectKind: n.ObjectKind, ObjectID: n.ObjectID, Link: noticeLink(n.ObjectKind, n.ObjectID), Read: n.ReadAt != nil,
		ReadAt: s.optTS(n.ReadAt), CreatedAt: s.ts(n.CreatedAt)}
}

type noticeListView struct {
	Items       []noticeView `json:"items"`
	NextCursor  *string      `json:"next_cursor"`
	UnreadCount int64        `json:"unread_count"`
}

// listNotices answers the caller's notices, newest first, with its
// unread count; unread=true lists only the unread ones.
func (s *Server) listNotices(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "notice", "read"); err != nil {
		return err
	}
	q := s.query(c, "unread")
	unread := q.boolean("unread")
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	items, next, count, err := s.store.ListNotices(c.Request.Context(), p.account.ID, unread != nil && *unread, page)
	if err != nil {
		return err
	}
	out := noticeListView{Items: make([]noticeView, len(items)), NextCursor: cursorString(next), UnreadCount: count}
	for i := range items {
		out.Items[i] = s.noticeView(&items[i])
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// readNotice marks one of the caller's notices read; another account's
// notice is not found.
func (s *Server) readNotice(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "notice", "mark_read"); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	n, err := s.store.MarkNoticeRead(c.Request.Context(), p.account.ID, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.noticeView(n))
	return nil
}

// readAllNotices marks every unread notice of the caller read.
func (s *Server) readAllNotices(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "notice", "mark_read"); err != nil {
		return err
	}
	n, err := s.store.MarkAllNoticesRead(c.Request.Context(), p.account.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"marked": n, "unread_count": 0})
	return nil
}

// Notices by SMS and e-mail (docs/design.md#notice-channels): each account
// chooses for itself, GET and PUT /api/v1/me/notify-settings.

type notifySettingsBody struct {
	Phone        string `json:"phone" validate:"max=20"`
	Email        string `json:"email" validate:"omitempty,email,max=254"`
	SMS          bool   `json:"sms"`
	EmailEnabled bool   `json:"email_enabled"`
}

type notifySettingsView struct {
	notifySettingsBody
	// Available says which channels the service has configured.
	Available map[string]bool `json:"available"`
}

func (s *Server) notifySettingsView(n model.NotifySetting) notifySettingsView {
	return notifySettingsView{notifySettingsBody: notifySettingsBody{Phone: n.Phone, Email: n.Email, SMS: n.SMS, EmailEnabled: n.ByEmail},
		Available: map[string]bool{model.ChannelSMS: s.cfg.Notify.SMSURL != "", model.ChannelEmail: s.cfg.Notify.SMTPAddr != ""}}
}

func (s *Server) getNotifySettings(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "notice", "settings"); err != nil {
		return err
	}
	n, err := s.store.NotifySettingsOf(c.Request.Context(), p.account.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.notifySettingsView(n))
	return nil
}

func (s *Server) putNotifySettings(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "notice", "settings"); err != nil {
		return err
	}
	var b notifySettingsBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	var v workflow.ValidationError
	if b.Phone != "" && !mobilePhone(b.Phone) {
		v.Add("phone", "须为 11 位手机号码")
	}
	switch {
	case b.SMS && b.Phone == "":
		v.Add("phone", "开启短信通知须填写手机号码")
	case b.SMS && s.cfg.Notify.SMSURL == "":
		v.Add("sms", "本服务未配置短信通道")
	}
	switch {
	case b.EmailEnabled && b.Email == "":
		v.Add("email", "开启邮件通知须填写电子邮箱")
	case b.EmailEnabled && s.cfg.Notify.SMTPAddr == "":
		v.Add("email_enabled", "本服务未配置邮件通道")
	}
	if err := v.Err(); err != nil {
		return err
	}
	n := model.NotifySetting{AccountID: p.account.ID, Phone: b.Phone, Email: b.Email, SMS: b.SMS, ByEmail: b.EmailEnabled}
	if err := s.store.SetNotifySettings(c.Request.Context(), n); err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.notifySettingsView(n))
	return nil
}

// mobilePhone reports whether s is a mainland mobile number (11 digits, 1[3-9]…).
func mobilePhone(s string) bool {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
