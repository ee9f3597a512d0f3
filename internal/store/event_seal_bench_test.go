package store

import (
	"testing"
	"time"

	"whistle/internal/lifecycle"
	"whistle/internal/sealed"
)

// BenchmarkEventDoc: what sealing adds to an event's write — the encoding
// outside the writer and the document the writer stores — for a typical
// intake event, in clear (no keys) and sealed.
func BenchmarkEventDoc(b *testing.B) {
	ring, err := sealed.NewRing("k1", []sealed.Key{{ID: "k1", Secret: sealed.NewSecret()}})
	if err != nil {
		b.Fatal(err)
	}
	e := &lifecycle.Event{CaseID: 1, Seq: 1, Action: lifecycle.ActCreate, ActorName: "坐席王芳", ActorRole: "agent",
		At: time.Now(), Note: "已致电市民，说明将派单处理", Data: map[string]any{"channel": "hotline", "unit_id": 12}}
	for _, bc := range []struct {
		name string
		q    Queries
	}{{"clear", Queries{}}, {"sealed", Queries{ring: ring}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ed, err := EncodeEvent(e)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := bc.q.eventDoc(ed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
