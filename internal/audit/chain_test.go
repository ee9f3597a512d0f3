package audit

import (
	"testing"
	"time"
)

func chain(n int) []Entry {
	var out []Entry
	prev := ""
	for i := 1; i <= n; i++ {
		e := Entry{ID: int64(i), At: time.UnixMilli(int64(i) * 1000), UserID: 7, Action: "login", Target: "user:7"}
		e.PrevHash, e.Hash = prev, Hash(e, prev)
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func TestHashEncoding(t *testing.T) {
	e := Entry{ID: 1, At: time.UnixMilli(1000), UserID: 2, Action: "ab", Target: "c"}
	h := Hash(e, "")
	if len(h) != 64 {
		t.Fatalf("hash %q", h)
	}
	// Moving a byte from one field to the next changes the hash: fields
	// are length-prefixed.
	moved := e
	moved.Action, moved.Target = "a", "bc"
	if Hash(moved, "") == h {
		t.Fatal("field boundaries not encoded")
	}
	// Below a millisecond does not count (stored in milliseconds).
	ns := e
	ns.At = ns.At.Add(999 * time.Microsecond)
	if Hash(ns, "") != h {
		t.Fatal("sub-millisecond time changed the hash")
	}
	// The encoding, pinned (computed outside Go): a version tag and the
	// fields, each as "len:value\n". It must never change silently:
	//   printf '16:whistle-audit-v1\n1:1\n4:1000\n1:2\n2:ab\n1:c\n0:\n0:\n' | sha256sum
	if want := "5db89c4939006fc919b7576eb4bb31e078028ed1ba7f5a0ae827498f157a3781"; h != want {
		t.Fatalf("Hash = %s, want %s", h, want)
	}
}

func TestChecker(t *testing.T) {
	for _, tc := range []struct {
		name      string
		denseFrom int64
		mutate    func([]Entry) []Entry
		headID    int64
		kind      string
		at        int64
	}{
		{"intact", 0, func(es []Entry) []Entry { return es }, 5, "", 0},
		{"edited detail", 0, func(es []Entry) []Entry { es[2].Detail = "x"; return es }, 5, BreakHash, 3},
		{"edited and rehashed", 0, func(es []Entry) []Entry {
			es[2].Detail = "x"
			es[2].Hash = Hash(es[2], es[2].PrevHash)
			return es
		}, 5, BreakLink, 4},
		{"deleted middle", 0, func(es []Entry) []Entry { return append(es[:1], es[2:]...) }, 5, BreakGap, 3},
		{"deleted first", 0, func(es []Entry) []Entry { return es[1:] }, 5, BreakGap, 2},
		{"deleted last", 0, func(es []Entry) []Entry { return es[:4] }, 5, BreakHead, 4},
		{"swapped", 0, func(es []Entry) []Entry {
			es[1], es[2] = es[2], es[1]
			es[1].ID, es[2].ID = 2, 3
			return es
		}, 5, BreakLink, 2},
		{"hash changed", 0, func(es []Entry) []Entry { es[4].Hash = "00"; return es }, 5, BreakHash, 5},
		{"legacy gaps allowed", 3, func(es []Entry) []Entry {
			// ids 1, 3 before the chain began (a sequence left a gap), then dense.
			out := []Entry{}
			prev := ""
			for i, id := range []int64{1, 3, 4, 5} {
				e := es[i]
				e.ID, e.PrevHash = id, prev
				e.Hash = Hash(e, prev)
				prev = e.Hash
				out = append(out, e)
			}
			return out
		}, 5, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := tc.mutate(chain(5))
			c := Checker{DenseFrom: tc.denseFrom}
			var b *Break
			for _, e := range es {
				if b = c.Add(e); b != nil {
					break
				}
			}
			if b == nil {
				b = c.Finish(tc.headID, es[len(es)-1].Hash)
				if tc.name == "deleted last" {
					b = c.Finish(tc.headID, chain(5)[4].Hash)
				}
			}
			if tc.kind == "" {
				if b != nil {
					t.Fatalf("break %v", b)
				}
				return
			}
			if b == nil || b.Kind != tc.kind || b.ID != tc.at {
				t.Fatalf("break = %+v, want %s at %d", b, tc.kind, tc.at)
			}
			if b.Error() == "" {
				t.Fatal("no message")
			}
		})
	}
}
