package delivery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"whistle/internal/events"
	"whistle/internal/store"
)

// StreamName is the JetStream stream Whistle publishes to; it is created
// (subjects whistle.>) when missing, with a two-minute de-duplication
// window.
const StreamName = "WHISTLE"

// NATSSender publishes events to JetStream: subject whistle.<type>
// (whistle.case.dispatch, whistle.whistle.summoned,
// whistle.assessment.published), Nats-Msg-Id = the event id (JetStream drops
// a duplicate within its window), and an event counts as delivered only
// once the server's PubAck is back.
type NATSSender struct {
	Timeout time.Duration // per publish; zero = 10s

	mu    sync.Mutex
	conns map[string]*natsConn // by URL
}

type natsConn struct {
	nc *nats.Conn
	js jetstream.JetStream
}

func (s *NATSSender) conn(ctx context.Context, url string) (*natsConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.conns[url]; ok && c.nc.IsConnected() {
		return c, nil
	} else if ok {
		c.nc.Close()
		delete(s.conns, url)
	}
	nc, err := nats.Connect(url, nats.Name("whistle"), nats.Timeout(5*time.Second), nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if _, err := js.Stream(ctx, StreamName); errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: StreamName, Subjects: []string{"whistle.>"}, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			nc.Close()
			return nil, fmt.Errorf("nats: create stream %s: %w", StreamName, err)
		}
	} else if err != nil {
		nc.Close()
		return nil, err
	}
	if s.conns == nil {
		s.conns = map[string]*natsConn{}
	}
	c := &natsConn{nc: nc, js: js}
	s.conns[url] = c
	return c, nil
}

// Send publishes and waits for the PubAck.
func (s *NATSSender) Send(ctx context.Context, sub store.Subscription, env events.Envelope, body []byte) (int, error) {
	c, err := s.conn(ctx, sub.URL)
	if err != nil {
		return 0, err
	}
	to := s.Timeout
	if to <= 0 {
		to = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	msg := nats.NewMsg(events.Subject(env.Type))
	msg.Data = body
	msg.Header.Set(events.HeaderEventID, env.ID)
	_, err = c.js.PublishMsg(ctx, msg, jetstream.WithMsgID(env.ID))
	return 0, err
}

// Close closes the connections.
func (s *NATSSender) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for u, c := range s.conns {
		c.nc.Close()
		delete(s.conns, u)
	}
}

// EnsureNATS applies the serving node's NATS option to the database: a URL
// makes the NATS subscription of that URL the only active one; "off"
// deactivates it; "" leaves it as it is (a node started without the option
// must not silence the bus for the others, and a subscription is database
// state: every node's worker publishes for it). Events fanned out while it
// is inactive are not published.
func EnsureNATS(ctx context.Context, st *store.Store, url string, now time.Time) error {
	if url == "" {
		return nil
	}
	if url == "off" {
		url = ""
	}
	return st.Write(ctx, func(tx *store.Tx) error {
		subs, err := tx.Subscriptions(ctx, store.SubNATS)
		if err != nil {
			return err
		}
		found := false
		for _, s := range subs {
			want := s.URL == url && url != ""
			found = found || want
			if s.Active != want {
				s.Active, s.UpdatedAt = want, now
				if err := tx.UpdateSubscription(ctx, &s); err != nil {
					return err
				}
			}
		}
		if found || url == "" {
			return nil
		}
		return tx.InsertSubscription(ctx, &store.Subscription{Kind: store.SubNATS, Name: "nats", URL: url, Active: true, CreatedAt: now, UpdatedAt: now})
	})
}
