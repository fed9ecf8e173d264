package model

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Delivery states.
const (
	deliveryPending   = "pending"
	deliveryDelivered = "delivered"
	deliveryFailed    = "failed"
)

// Dispatcher posts the outbox to the webhook subscribers: signed, retried
// with exponential backoff, bounded in attempts. Deliveries are claimed with
// a conditional UPDATE, so several instances share the work without sending
// one twice while a claim holds.
type Dispatcher struct {
	store    *Store
	client   *http.Client
	secrets  map[string]string
	instance string
	log      *slog.Logger
	// Backoff is the wait before the second attempt; it doubles each time,
	// up to MaxBackoff. MaxAttempts bounds the tries.
	Backoff     time.Duration
	MaxBackoff  time.Duration
	MaxAttempts int
	// Lease is how long a claimed delivery is kept from other instances.
	Lease time.Duration
}

// NewDispatcher returns a dispatcher for the store's configured webhooks.
func NewDispatcher(s *Store, log *slog.Logger) *Dispatcher {
	secrets := map[string]string{}
	for _, w := range s.opt.Webhooks {
		secrets[w.URL] = w.Secret
	}
	return &Dispatcher{
		store: s, secrets: secrets, instance: newToken(), log: log,
		client: &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		Backoff: time.Second, MaxBackoff: 5 * time.Minute, MaxAttempts: 8, Lease: time.Minute,
	}
}

// Sign returns the signature header value of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// DeliverOnce claims the deliveries that are due and posts them. It returns
// how many were delivered and how many attempts failed.
func (d *Dispatcher) DeliverOnce(ctx context.Context) (delivered, failed int, err error) {
	s := d.store
	now := s.Now()
	var ids []uint64
	err = s.db.WithContext(ctx).Model(&WebhookDelivery{}).Where("status = ? AND next_attempt_at <= ?", deliveryPending, now).
		Order("id").Limit(50).Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return 0, 0, formatError(err)
	}
	lease := now.Add(d.Lease)
	res := s.db.WithContext(ctx).Model(&WebhookDelivery{}).
		Where("id IN ? AND status = ? AND next_attempt_at <= ?", ids, deliveryPending, now).
		Updates(map[string]any{"claimed_by": d.instance, "lease_until": lease, "next_attempt_at": lease})
	if res.Error != nil || res.RowsAffected == 0 {
		return 0, 0, formatError(res.Error)
	}
	var rows []WebhookDelivery
	if err := s.db.WithContext(ctx).Where("id IN ? AND claimed_by = ? AND next_attempt_at = ?", ids, d.instance, lease).
		Order("id").Find(&rows).Error; err != nil {
		return 0, 0, formatError(err)
	}
	for _, w := range rows {
		sendErr := d.post(ctx, &w)
		if ctx.Err() != nil {
			return delivered, failed, ctx.Err() // the lease expires and another pass retries
		}
		done := s.Now()
		upd := map[string]any{"attempts": w.Attempts + 1, "claimed_by": nil, "lease_until": nil}
		if sendErr == nil {
			upd["status"], upd["delivered_at"], upd["last_error"] = deliveryDelivered, done, ""
			delivered++
		} else {
			failed++
			msg, next, last := failedAttempt(upd, sendErr, w.Attempts+1, d.MaxAttempts, done, d.backoff(w.Attempts+1))
			if last {
				d.log.Error("Webhook 投递失败，已达最大尝试次数，不再重试", "delivery_id", w.DeliveryID, "url", w.URL,
					"attempt", w.Attempts+1, "max_attempts", d.MaxAttempts, "err", msg)
			} else {
				d.log.Warn("Webhook 投递失败，将重试", "delivery_id", w.DeliveryID, "url", w.URL,
					"attempt", w.Attempts+1, "max_attempts", d.MaxAttempts, "next_attempt_at", next, "err", msg)
			}
		}
		if err := s.db.WithContext(ctx).Model(&WebhookDelivery{}).Where("id = ? AND claimed_by = ?", w.ID, d.instance).
			Updates(upd).Error; err != nil {
			return delivered, failed, formatError(err)
		}
	}
	return delivered, failed, nil
}

// backoff is the wait after the n-th failed attempt.
func (d *Dispatcher) backoff(n int) time.Duration { return growingWait(d.Backoff, d.MaxBackoff, n) }

// failedAttempt records in upd that attempt (1-based) of a delivery failed
// with err: its message (at most 500 bytes) and either the final failure,
// once maxAttempts were made, or the next attempt after wait. Both outboxes
// (webhooks, SMS and e-mail) keep their attempts so.
func failedAttempt(upd map[string]any, err error, attempt, maxAttempts int, now time.Time, wait time.Duration) (msg string, next time.Time, last bool) {
	msg = err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	upd["last_error"] = msg
	if attempt >= maxAttempts {
		upd["status"] = deliveryFailed
		return msg, time.Time{}, true
	}
	next = now.Add(wait)
	upd["next_attempt_at"] = next
	return msg, next, false
}

// growingWait is the wait of an outbox after its n-th failed attempt:
// base·2^(n−1), at most max (the webhooks' and the notice channels').
func growingWait(base, max time.Duration, n int) time.Duration {
	b := base
	for i := 1; i < n && b < max; i++ {
		b *= 2
	}
	return min(b, max)
}

func (d *Dispatcher) post(ctx context.Context, w *WebhookDelivery) error {
	body := []byte(w.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "qinqing-webhook/1")
	req.Header.Set("X-Qinqing-Delivery", w.DeliveryID)
	req.Header.Set("X-Qinqing-Event", w.EventType)
	req.Header.Set("X-Qinqing-Signature", Sign(d.secrets[w.URL], body))
	res, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("receiver answered %d", res.StatusCode)
	}
	return nil
}

// Run delivers every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, f, err := d.DeliverOnce(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				d.log.Error("Webhook 分发出错，下一轮重试", "err", err)
			}
			if err != nil || n+f == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
