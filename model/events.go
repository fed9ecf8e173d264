package model

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"

	"qinqing/configs"
	"qinqing/workflow"
)

// commitChange writes one transition of case row (read in tx): the
// conditional update on the version the change was computed from (another
// writer in between gives ErrVersionConflict) and the event. gorm also sets
// the updated columns on row, so it need not be read again. A row that
// keeps its chain head gets the event's hash for the next transition.
func (s *Store) commitChange(tx *gorm.DB, row any, id uint64, version int, upd map[string]any, ev *Event, keepsHead bool) error {
	if ev.chain == chainLookUp {
		ev.chain = chainExisting // a transition: the case has its first event
	}
	dropUnchanged(tx, row, upd)
	upd["version"] = version + 1
	upd["updated_at"] = ev.At
	if keepsHead && ev.chain == chainKnown {
		ev.Hash = eventHash(ev, ev.PrevHash)
		head := ev.Hash
		upd["chain_head"] = &head
	}
	res := tx.Model(row).Where("id = ? AND version = ?", id, version).Updates(upd)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrVersionConflict
	}
	return s.insertEvents(tx, ev)
}

// insertEvents writes events and, in the same transaction, one outbox row
// per webhook subscription that wants each event, so a notification can
// neither be lost nor sent for a change that rolled back. Every event is
// chained to the one before it in its case (audit.go): the caller must
// already hold the rows of the cases (conditional UPDATE) in tx.
func (s *Store) insertEvents(tx *gorm.DB, evs ...*Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := chainEvents(tx, evs); err != nil {
		return err
	}
	if err := tx.CreateInBatches(evs, insertBatch(tx, 17)).Error; err != nil {
		return err
	}
	if len(s.opt.Webhooks) == 0 {
		return nil
	}
	var out []*WebhookDelivery
	for _, ev := range evs {
		if ev.ActorRole == AnonymousRole {
			continue // its place in the delivery order would date the report
		}
		typ := ev.CaseKind + "." + ev.Action
		for _, w := range s.opt.Webhooks {
			if !wants(w, ev) {
				continue
			}
			id := newDeliveryID()
			body, err := json.Marshal(webhookBody{DeliveryID: id, Type: typ, Event: webhookEvent{
				ID: OpaqueEventID([]byte(w.Secret+"\x00"+w.URL), ev.ID), Kind: ev.CaseKind, CaseID: strconv.FormatUint(ev.CaseID, 10),
				Action: ev.Action, ActionLabel: workflow.ActionLabel(workflow.Action(ev.Action)),
				FromStatus: ev.FromStatus, ToStatus: ev.ToStatus, ActorRole: ev.ActorRole,
				At: ev.At.In(s.cal.Location()).Format(time.RFC3339), RegionCode: ev.RegionCode, Step: ev.Step,
			}})
			if err != nil {
				return err
			}
			out = append(out, &WebhookDelivery{DeliveryID: id, URL: w.URL, EventID: ev.ID, EventType: typ,
				Body: string(body), Status: deliveryPending, NextAttemptAt: ev.At, CreatedAt: ev.At})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return tx.CreateInBatches(out, insertBatch(tx, 14)).Error
}

// wants reports whether subscription w asks for ev: an empty list means every
// event; an entry is an action ("overdue") or kind.action ("request.overdue").
func wants(w configs.Webhook, ev *Event) bool {
	return len(w.Events) == 0 || slices.Contains(w.Events, ev.Action) || slices.Contains(w.Events, ev.CaseKind+"."+ev.Action)
}

// webhookBody is what a subscriber receives. It carries no event payload:
// payloads of leads are confidential, and a subscriber reads details through
// the API with its own credentials.
type webhookBody struct {
	DeliveryID string       `json:"delivery_id"`
	Type       string       `json:"type"`
	Event      webhookEvent `json:"event"`
}

type webhookEvent struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	CaseID      string `json:"case_id"`
	Action      string `json:"action"`
	ActionLabel string `json:"action_label"`
	FromStatus  string `json:"from_status"`
	ToStatus    string `json:"to_status"`
	ActorRole   string `json:"actor_role"`
	At          string `json:"at"`
	RegionCode  string `json:"region_code"`
	Step        string `json:"step,omitempty"`
}

// OpaqueEventID is the id an event is shown under: a keyed hash of its
// row id, stable for one key, with no order and no gaps, so the events of
// different cases cannot be placed relative to each other by their ids
// (the row ids are one sequence over every case).
func OpaqueEventID(key []byte, id uint64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("event:" + strconv.FormatUint(id, 10)))
	return hex.EncodeToString(m.Sum(nil)[:10])
}

func newDeliveryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
