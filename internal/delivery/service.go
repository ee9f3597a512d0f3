package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"

	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/events"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Service is the administrators' management of webhooks: create, change,
// delete, list deliveries and dead letters, replay. Every change is audited
// in its transaction; secrets are shown once, when created or rotated.
type Service struct {
	*core.Core
	Guard Guard
}

// New builds the service.
func New(c *core.Core) *Service { return &Service{Core: c} }

// Webhook is a webhook as administrators see it. Secret is set only in the
// answer of a create or a secret rotation.
type Webhook struct {
	ID        int64            `json:"id"`
	Name      string           `json:"name"`
	URL       string           `json:"url"`
	Types     string           `json:"types"`
	Active    bool             `json:"active"`
	Secret    string           `json:"secret,omitempty"`
	Counts    map[string]int64 `json:"counts"`
	CreatedAt string           `json:"created_at"`
}

// WebhookInput creates or changes a webhook. Secret empty on create = a
// random one; RotateSecret on update = a new random one.
type WebhookInput struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Types        string `json:"types"`
	Active       *bool  `json:"active"`
	Secret       string `json:"secret"`
	RotateSecret bool   `json:"rotate_secret"`
}

func newSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

func (s *Service) view(ctx context.Context, sub store.Subscription) (Webhook, error) {
	n, err := s.St.DeliveryCounts(ctx, sub.ID)
	return Webhook{ID: sub.ID, Name: sub.Name, URL: sub.URL, Types: sub.Types, Active: sub.Active, Counts: n,
		CreatedAt: sub.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00")}, err
}

func (s *Service) check(in *WebhookInput) error {
	in.Name, in.URL, in.Types = strings.TrimSpace(in.Name), strings.TrimSpace(in.URL), strings.TrimSpace(in.Types)
	if in.Name == "" {
		return errs.F(errs.FieldRequired, "name")
	}
	if utf8.RuneCountInString(in.Name) > 100 {
		return errs.F(errs.Invalid, "name")
	}
	if in.URL == "" {
		return errs.F(errs.FieldRequired, "url")
	}
	if err := s.Guard.CheckURL(in.URL); err != nil {
		return &errs.Error{Code: errs.Invalid, Field: "url", Detail: err.Error()}
	}
	if len(in.Types) > 500 || !events.ValidFilter(in.Types) {
		return errs.F(errs.Invalid, "types")
	}
	if in.Secret != "" && (len(in.Secret) < 16 || len(in.Secret) > 200) {
		return &errs.Error{Code: errs.Invalid, Field: "secret", Detail: "16 to 200 characters"}
	}
	return nil
}

// Webhooks lists the webhooks (admin).
func (s *Service) Webhooks(ctx context.Context, a org.Actor) ([]Webhook, error) {
	if err := core.RequireAdmin(a); err != nil {
		return nil, err
	}
	subs, err := s.St.Subscriptions(ctx, store.SubWebhook)
	if err != nil {
		return nil, err
	}
	out := make([]Webhook, 0, len(subs))
	for _, sub := range subs {
		v, err := s.view(ctx, sub)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Webhook returns one webhook (admin).
func (s *Service) Webhook(ctx context.Context, a org.Actor, id int64) (Webhook, error) {
	if err := core.RequireAdmin(a); err != nil {
		return Webhook{}, err
	}
	sub, err := s.St.Subscription(ctx, id)
	if err != nil || sub.Kind != store.SubWebhook {
		return Webhook{}, errs.E(errs.NotFound)
	}
	return s.view(ctx, sub)
}

// CreateWebhook adds a webhook; the answer carries its secret, once.
func (s *Service) CreateWebhook(ctx context.Context, a org.Actor, in WebhookInput) (Webhook, error) {
	if err := core.RequireAdmin(a); err != nil {
		return Webhook{}, err
	}
	if err := s.check(&in); err != nil {
		return Webhook{}, err
	}
	if in.Secret == "" {
		in.Secret = newSecret()
	}
	now := s.Now()
	sub := store.Subscription{Kind: store.SubWebhook, Name: in.Name, URL: in.URL, Secret: in.Secret, Types: in.Types,
		Active: in.Active == nil || *in.Active, CreatedBy: a.User.ID, CreatedAt: now, UpdatedAt: now}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSubscription(ctx, &sub); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "webhook_create", "webhook:"+strconv.FormatInt(sub.ID, 10), map[string]any{"name": sub.Name, "url": sub.URL, "types": sub.Types})
	})
	if err != nil {
		return Webhook{}, err
	}
	v, err := s.view(ctx, sub)
	v.Secret = sub.Secret
	return v, err
}

// UpdateWebhook changes a webhook; with RotateSecret the answer carries the
// new secret, once.
func (s *Service) UpdateWebhook(ctx context.Context, a org.Actor, id int64, in WebhookInput) (Webhook, error) {
	if err := core.RequireAdmin(a); err != nil {
		return Webhook{}, err
	}
	if err := s.check(&in); err != nil {
		return Webhook{}, err
	}
	var sub store.Subscription
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		sub, err = tx.Subscription(ctx, id)
		if err != nil || sub.Kind != store.SubWebhook {
			return errs.E(errs.NotFound)
		}
		sub.Name, sub.URL, sub.Types, sub.UpdatedAt = in.Name, in.URL, in.Types, s.Now()
		if in.Active != nil {
			sub.Active = *in.Active
		}
		rotated := false
		if in.Secret != "" {
			sub.Secret, rotated = in.Secret, true
		} else if in.RotateSecret {
			sub.Secret, rotated = newSecret(), true
		}
		if err := tx.UpdateSubscription(ctx, &sub); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "webhook_update", "webhook:"+strconv.FormatInt(id, 10), map[string]any{"name": sub.Name, "url": sub.URL, "types": sub.Types, "active": sub.Active, "secret_rotated": rotated})
	})
	if err != nil {
		return Webhook{}, err
	}
	v, err := s.view(ctx, sub)
	if in.Secret != "" || in.RotateSecret {
		v.Secret = sub.Secret
	}
	return v, err
}

// DeleteWebhook removes a webhook and its deliveries.
func (s *Service) DeleteWebhook(ctx context.Context, a org.Actor, id int64) error {
	if err := core.RequireAdmin(a); err != nil {
		return err
	}
	return s.St.Write(ctx, func(tx *store.Tx) error {
		sub, err := tx.Subscription(ctx, id)
		if err != nil || sub.Kind != store.SubWebhook {
			return errs.E(errs.NotFound)
		}
		if err := tx.DeleteSubscription(ctx, id); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "webhook_delete", "webhook:"+strconv.FormatInt(id, 10), map[string]any{"name": sub.Name, "url": sub.URL})
	})
}

// DeliveryView is one delivery as administrators see it.
type DeliveryView struct {
	ID         int64  `json:"id"`
	EventID    string `json:"event_id"`
	Type       string `json:"type"`
	CaseNumber string `json:"case_number,omitempty"`
	State      string `json:"state"`
	Attempts   int    `json:"attempts"`
	LastStatus int    `json:"last_status,omitempty"`
	LastError  string `json:"last_error,omitempty"`
	NextAt     string `json:"next_at,omitempty"`
	At         string `json:"at"`
}

// Deliveries lists a webhook's latest deliveries in a state (pending, done,
// dead; "" = all).
func (s *Service) Deliveries(ctx context.Context, a org.Actor, id int64, state string, limit int) ([]DeliveryView, error) {
	if _, err := s.Webhook(ctx, a, id); err != nil {
		return nil, err
	}
	switch state {
	case "", store.DeliveryPending, store.DeliveryDone, store.DeliveryDead:
	default:
		return nil, errs.F(errs.Invalid, "state")
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	ds, err := s.St.Deliveries(ctx, id, state, limit)
	if err != nil {
		return nil, err
	}
	out := make([]DeliveryView, 0, len(ds))
	for _, d := range ds {
		v := DeliveryView{ID: d.ID, EventID: d.Event.EventID, Type: d.Event.Type, CaseNumber: d.CaseNumber, State: d.State, Attempts: d.Attempts,
			LastStatus: d.LastStatus, LastError: d.LastError, At: d.Event.At.In(s.Cfg.Loc).Format("2006-01-02 15:04:05")}
		if d.State == store.DeliveryPending && !d.NextAt.IsZero() {
			v.NextAt = d.NextAt.In(s.Cfg.Loc).Format("2006-01-02 15:04:05")
		}
		out = append(out, v)
	}
	return out, nil
}

// Replay puts a webhook's dead letters back in its queue: one
// (deliveryID) or all (deliveryID 0). It returns how many.
func (s *Service) Replay(ctx context.Context, a org.Actor, id, deliveryID int64) (int64, error) {
	if _, err := s.Webhook(ctx, a, id); err != nil {
		return 0, err
	}
	var n int64
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.ReplayDead(ctx, id, deliveryID, s.Now())
		if err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, "webhook_replay", "webhook:"+strconv.FormatInt(id, 10), map[string]any{"delivery": deliveryID, "replayed": n})
	})
	return n, err
}
