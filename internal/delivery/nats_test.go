package delivery_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"whistle/internal/delivery"
	"whistle/internal/events"
	"whistle/internal/store"
)

// natsServer is a real nats-server with JetStream on a free loopback port
// and a store directory of the test's.
type natsServer struct {
	t    *testing.T
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
}

func startNATS(t *testing.T) *natsServer {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		msg := "nats-server not found on PATH (Debian package nats-server)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; required because CI is set")
		}
		t.Skip(msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &natsServer{t: t, bin: bin, port: port, dir: t.TempDir()}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *natsServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// start runs the server and waits until it says it is ready.
func (s *natsServer) start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(s.port), "-sd", s.dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		ok := false
		for sc.Scan() {
			if !ok && strings.Contains(sc.Text(), "Server is ready") {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			s.t.Fatal("nats-server exited before it was ready")
		}
	case <-time.After(30 * time.Second):
		s.t.Fatal("nats-server did not get ready in 30s")
	}
}

func (s *natsServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// TestNATSJetStreamPublishing: events committed while the NATS server is
// down are published once it is back (the node restarted in between), on
// whistle.<type> subjects, in order per case, with Nats-Msg-Id = event id
// so a repeated publish is dropped by JetStream.
func TestNATSJetStreamPublishing(t *testing.T) {
	ns := startNATS(t)
	eachStore(t, func(t *testing.T, dsn string) {
		w := openWorld(t, dsn)
		sender := &delivery.NATSSender{Timeout: 5 * time.Second}
		defer sender.Close()
		w.worker.Senders[store.SubNATS] = sender
		if err := delivery.EnsureNATS(w.ctx, w.st, ns.url(), w.clk.Now()); err != nil {
			t.Fatal(err)
		}
		start := lastOutboxID(t, w.st)
		// Purge what an earlier subtest published.
		nc, err := nats.Connect(ns.url())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := js.Stream(w.ctx, delivery.StreamName); err == nil {
			st.Purge(w.ctx)
		}

		a := w.create()
		w.step() // delivered while the server is up
		ns.stop()
		w.dispatch(a.ID)
		b := w.create()
		w.step() // fails: server down
		w.clk.Advance(2 * time.Hour)
		w.restart()
		sender2 := &delivery.NATSSender{Timeout: 5 * time.Second}
		defer sender2.Close()
		w.worker.Senders[store.SubNATS] = sender2
		ns.start()
		w.dispatch(b.ID)
		for i := 0; ; i++ {
			if i > 50 {
				t.Fatal("deliveries did not drain")
			}
			if w.step() == 0 {
				pending, err := w.st.Deliveries(w.ctx, natsSubID(t, w), store.DeliveryPending, 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(pending) == 0 {
					break
				}
				w.clk.Advance(2 * time.Hour)
			}
		}
		want := w.committed(start)
		// Publish the first event again: JetStream drops it (same Nats-Msg-Id).
		d, err := w.st.Deliveries(w.ctx, natsSubID(t, w), store.DeliveryDone, 1000)
		if err != nil || len(d) == 0 {
			t.Fatalf("done deliveries %v %v", d, err)
		}
		env, body, err := delivery.Envelope(d[len(d)-1])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sender2.Send(w.ctx, store.Subscription{Kind: store.SubNATS, URL: ns.url()}, env, body); err != nil {
			t.Fatal(err)
		}

		nc2, err := nats.Connect(ns.url())
		if err != nil {
			t.Fatal(err)
		}
		defer nc2.Close()
		js2, _ := jetstream.New(nc2)
		stream, err := js2.Stream(w.ctx, delivery.StreamName)
		if err != nil {
			t.Fatal(err)
		}
		cons, err := stream.OrderedConsumer(w.ctx, jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		info, err := stream.Info(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(info.State.Msgs) != len(want) {
			t.Fatalf("stream holds %d messages, %d events committed", info.State.Msgs, len(want))
		}
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		defer cancel()
		seen := map[string]bool{}
		lastSeq := map[int64]int64{}
		for range len(want) {
			m, err := cons.Next(jetstream.FetchContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			var e events.Envelope
			if err := jsonUnmarshal(m.Data(), &e); err != nil {
				t.Fatal(err)
			}
			if m.Subject() != events.Subject(e.Type) || m.Headers().Get("Nats-Msg-Id") != e.ID {
				t.Errorf("message %s on %s, Nats-Msg-Id %q", e.ID, m.Subject(), m.Headers().Get("Nats-Msg-Id"))
			}
			if seen[e.ID] {
				t.Errorf("duplicate %s in the stream", e.ID)
			}
			seen[e.ID] = true
			if e.CaseID != 0 {
				if e.Seq <= lastSeq[e.CaseID] {
					t.Errorf("case %d: seq %d after %d", e.CaseID, e.Seq, lastSeq[e.CaseID])
				}
				lastSeq[e.CaseID] = e.Seq
			}
		}
		for _, r := range want {
			if !seen[r.EventID] {
				t.Errorf("committed event %s (%s) not in the stream", r.EventID, r.Type)
			}
		}
	})
}

func natsSubID(t *testing.T, w *world) int64 {
	subs, err := w.st.Subscriptions(w.ctx, store.SubNATS)
	if err != nil || len(subs) != 1 {
		t.Fatalf("nats subscriptions %+v %v", subs, err)
	}
	return subs[0].ID
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// TestEnsureNATS: a URL makes its subscription the one active; a node
// started without the option leaves it; "off" stops it; the URL again
// brings the same subscription back.
func TestEnsureNATS(t *testing.T) {
	st, err := store.Open(t.Context(), t.TempDir()+"/w.db", store.Options{SQLiteSync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	state := func() string {
		subs, err := st.Subscriptions(t.Context(), store.SubNATS)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range subs {
			out = append(out, s.URL+"="+strconv.FormatBool(s.Active))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct{ url, want string }{
		{"", ""},
		{"nats://a:4222", "nats://a:4222=true"},
		{"", "nats://a:4222=true"},
		{"nats://b:4222", "nats://a:4222=false nats://b:4222=true"},
		{"off", "nats://a:4222=false nats://b:4222=false"},
		{"nats://a:4222", "nats://a:4222=true nats://b:4222=false"},
	} {
		if err := delivery.EnsureNATS(t.Context(), st, c.url, now); err != nil {
			t.Fatal(err)
		}
		if got := state(); got != c.want {
			t.Fatalf("after %q: %s, want %s", c.url, got, c.want)
		}
	}
}
