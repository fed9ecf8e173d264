package model

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"qinqing/configs"
)

// Notices outside the app (docs/design.md#notice-channels): an account may
// ask for its notices by SMS, by e-mail or both (NotifySetting). Each
// notice stored for it then also gets one delivery row per channel, in the
// same transaction (NoticeDelivery, the outbox), with a copy of the text;
// a ChannelSender posts the due deliveries, retries a failure with a
// growing wait, and claims rows with a conditional UPDATE so several
// instances never send one twice while a claim holds.

// Channels a notice may be sent by.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// NotifySetting is how an account wants its notices besides the app.
type NotifySetting struct {
	AccountID uint64    `gorm:"primaryKey;autoIncrement:false"`
	Phone     string    `gorm:"size:20;not null"`
	Email     string    `gorm:"size:254;not null"`
	SMS       bool      `gorm:"column:sms;not null"`
	ByEmail   bool      `gorm:"column:by_email;not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// NoticeDelivery is one notice to send by one channel.
type NoticeDelivery struct {
	ID            uint64     `gorm:"primaryKey"`
	AccountID     uint64     `gorm:"not null"`
	Channel       string     `gorm:"size:8;not null"`
	Address       string     `gorm:"size:254;not null"`
	Title         string     `gorm:"size:128;not null"`
	Body          string     `gorm:"type:text;not null"`
	Status        string     `gorm:"size:16;not null;index:idx_notice_deliveries_due,priority:1"`
	NextAttemptAt time.Time  `gorm:"not null;index:idx_notice_deliveries_due,priority:2"`
	Attempts      int        `gorm:"not null"`
	ClaimedBy     *string    `gorm:"size:32"`
	LastError     string     `gorm:"size:500;not null"`
	SentAt        *time.Time ``
	CreatedAt     time.Time  `gorm:"not null"`
}

// NotifySettingsOf returns account's settings (zero when it never set any).
func (s *Store) NotifySettingsOf(ctx context.Context, account uint64) (NotifySetting, error) {
	var n NotifySetting
	err := s.db.WithContext(ctx).Where("account_id = ?", account).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return NotifySetting{AccountID: account}, nil
	}
	return n, formatError(err)
}

// SetNotifySettings stores n as its account's settings.
func (s *Store) SetNotifySettings(ctx context.Context, n NotifySetting) error {
	defer s.clearRecipients()
	n.UpdatedAt = s.Now()
	db := s.db.WithContext(ctx)
	res := db.Model(&NotifySetting{}).Where("account_id = ?", n.AccountID).
		Updates(map[string]any{"phone": n.Phone, "email": n.Email, "sms": n.SMS, "by_email": n.ByEmail, "updated_at": n.UpdatedAt})
	if res.Error != nil {
		return formatError(res.Error)
	}
	if res.RowsAffected == 0 {
		if err := db.Create(&n).Error; err != nil {
			if errors.Is(formatError(err), ErrConflict) { // set at once by another session: last wins
				return s.SetNotifySettings(ctx, n)
			}
			return formatError(err)
		}
	}
	return nil
}

// enqueueChannels adds, in tx, the deliveries of the notices rows (just
// stored) for their accounts that asked for SMS or e-mail. known holds the
// channels of accounts already read with them (nil: none chosen); the
// others' are read here.
func enqueueChannels(tx *gorm.DB, rows []Notice, known map[uint64]*NotifySetting) error {
	if len(rows) == 0 {
		return nil
	}
	seen := map[uint64]bool{}
	var ids []uint64
	var settings []NotifySetting
	for _, n := range rows {
		if seen[n.AccountID] {
			continue
		}
		seen[n.AccountID] = true
		if st, ok := known[n.AccountID]; ok {
			if st != nil {
				settings = append(settings, *st)
			}
			continue
		}
		ids = append(ids, n.AccountID)
	}
	for lo := 0; lo < len(ids); lo += 500 {
		var part []NotifySetting
		if err := tx.Where("account_id IN ? AND (sms = ? OR by_email = ?)", ids[lo:min(lo+500, len(ids))], true, true).
			Find(&part).Error; err != nil {
			return err
		}
		settings = append(settings, part...)
	}
	if len(settings) == 0 {
		return nil
	}
	by := map[uint64]NotifySetting{}
	for _, st := range settings {
		by[st.AccountID] = st
	}
	var out []NoticeDelivery
	for _, n := range rows {
		st, ok := by[n.AccountID]
		if !ok {
			continue
		}
		add := func(channel, address string) {
			out = append(out, NoticeDelivery{AccountID: n.AccountID, Channel: channel, Address: address, Title: n.Title,
				Body: n.Body, Status: deliveryPending, NextAttemptAt: n.CreatedAt, CreatedAt: n.CreatedAt})
		}
		if st.SMS && st.Phone != "" {
			add(ChannelSMS, st.Phone)
		}
		if st.ByEmail && st.Email != "" {
			add(ChannelEmail, st.Email)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return tx.CreateInBatches(out, insertBatch(tx, 13)).Error
}

// ChannelSender sends the due deliveries by SMS and e-mail.
type ChannelSender struct {
	store    *Store
	cfg      configs.Notify
	client   *http.Client
	instance string
	log      *slog.Logger
	// Backoff is the wait before the second attempt; it doubles up to
	// MaxBackoff; MaxAttempts bounds the tries; Lease is how long a claim
	// keeps a delivery from other instances.
	Backoff, MaxBackoff time.Duration
	MaxAttempts         int
	Lease               time.Duration
}

// NewChannelSender returns the sender of the configured channels.
func NewChannelSender(s *Store, cfg configs.Notify, log *slog.Logger) *ChannelSender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ChannelSender{store: s, cfg: cfg, instance: newToken(), log: log,
		client: &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		Backoff: 30 * time.Second, MaxBackoff: 30 * time.Minute, MaxAttempts: 6, Lease: time.Minute}
}

// Run sends the due deliveries every interval until ctx ends.
func (d *ChannelSender) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, _, err := d.SendOnce(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("通知外发出错", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendOnce claims the due deliveries and sends them; it returns how many
// were sent and how many attempts failed.
func (d *ChannelSender) SendOnce(ctx context.Context) (sent, failed int, err error) {
	s := d.store
	now := s.Now()
	db := s.db.WithContext(ctx)
	var ids []uint64
	if err := db.Model(&NoticeDelivery{}).Where("status = ? AND next_attempt_at <= ?", deliveryPending, now).
		Order("id").Limit(50).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
		return 0, 0, formatError(err)
	}
	lease := now.Add(d.Lease)
	res := db.Model(&NoticeDelivery{}).Where("id IN ? AND status = ? AND next_attempt_at <= ?", ids, deliveryPending, now).
		Updates(map[string]any{"claimed_by": d.instance, "next_attempt_at": lease})
	if res.Error != nil || res.RowsAffected == 0 {
		return 0, 0, formatError(res.Error)
	}
	var rows []NoticeDelivery
	if err := db.Where("id IN ? AND claimed_by = ? AND next_attempt_at = ?", ids, d.instance, lease).Order("id").
		Find(&rows).Error; err != nil {
		return 0, 0, formatError(err)
	}
	for _, r := range rows {
		sendErr := d.send(ctx, &r)
		if ctx.Err() != nil {
			return sent, failed, ctx.Err()
		}
		done := s.Now()
		upd := map[string]any{"attempts": r.Attempts + 1, "claimed_by": nil}
		if sendErr == nil {
			upd["status"], upd["sent_at"], upd["last_error"] = deliveryDelivered, done, ""
			sent++
		} else {
			failed++
			msg, next, last := failedAttempt(upd, sendErr, r.Attempts+1, d.MaxAttempts, done, growingWait(d.Backoff, d.MaxBackoff, r.Attempts+1))
			if last {
				d.log.Error("通知外发失败，已达最大尝试次数，不再重试", "delivery_id", r.ID, "channel", r.Channel,
					"attempt", r.Attempts+1, "max_attempts", d.MaxAttempts, "err", msg)
			} else {
				d.log.Warn("通知外发失败，将重试", "delivery_id", r.ID, "channel", r.Channel,
					"attempt", r.Attempts+1, "max_attempts", d.MaxAttempts, "next_attempt_at", next, "err", msg)
			}
		}
		if err := db.Model(&NoticeDelivery{}).Where("id = ? AND claimed_by = ?", r.ID, d.instance).Updates(upd).Error; err != nil {
			return sent, failed, formatError(err)
		}
	}
	return sent, failed, nil
}

// send delivers r by its channel.
func (d *ChannelSender) send(ctx context.Context, r *NoticeDelivery) error {
	switch r.Channel {
	case ChannelSMS:
		if d.cfg.SMSURL == "" {
			return errors.New("未配置短信网关")
		}
		body, err := json.Marshal(map[string]string{"to": r.Address, "text": r.Title + "：" + r.Body,
			"id": strconv.FormatUint(r.ID, 10)})
		if err != nil {
			return err
		}
		ts := strconv.FormatInt(d.store.Now().Unix(), 10)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.cfg.SMSURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Qinqing-Timestamp", ts)
		req.Header.Set("X-Qinqing-Delivery", strconv.FormatUint(r.ID, 10))
		req.Header.Set("X-Qinqing-Signature", Sign(d.cfg.SMSSecret, append([]byte(ts+"."), body...)))
		res, err := d.client.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			return fmt.Errorf("短信网关答 HTTP %d", res.StatusCode)
		}
		return nil
	case ChannelEmail:
		if d.cfg.SMTPAddr == "" {
			return errors.New("未配置邮件服务器")
		}
		var auth smtp.Auth
		if d.cfg.SMTPUsername != "" {
			host, _, _ := strings.Cut(d.cfg.SMTPAddr, ":")
			auth = smtp.PlainAuth("", d.cfg.SMTPUsername, d.cfg.SMTPPassword, host)
		}
		msg := "From: " + d.cfg.SMTPFrom + "\r\nTo: " + r.Address + "\r\nSubject: " + mime.BEncoding.Encode("UTF-8", r.Title) +
			"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n" +
			"Message-ID: <notice-" + strconv.FormatUint(r.ID, 10) + "@qinqing>\r\n\r\n" + r.Body + "\r\n"
		return smtp.SendMail(d.cfg.SMTPAddr, auth, d.cfg.SMTPFrom, []string{r.Address}, []byte(msg))
	}
	return fmt.Errorf("未知的通道 %q", r.Channel)
}
