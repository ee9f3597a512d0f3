package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// The chain. Every entry carries the hash of the entry before it
// (PrevHash, "" for the first) and its own Hash: the hex SHA-256 of a
// canonical encoding of (id, at, user_id, action, target, detail,
// prev_hash). Editing any field of an entry changes its hash; recomputing
// that hash breaks the next entry's link; deleting an entry leaves a gap in
// the ids (they are dense: the chain assigns them) and a broken link;
// deleting the newest entries disagrees with the stored chain head.

// hashVersion names the encoding; a new encoding gets a new name.
const hashVersion = "whistle-audit-v1"

// Hash returns the hex SHA-256 of e's canonical encoding with prev as the
// previous entry's hash. At counts in whole Unix milliseconds, as stored.
// Each field is length-prefixed, so no choice of field contents can make
// two different entries encode alike.
func Hash(e Entry, prev string) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
		h.Write([]byte{'\n'})
	}
	field(hashVersion)
	field(strconv.FormatInt(e.ID, 10))
	field(strconv.FormatInt(e.At.UnixMilli(), 10))
	field(strconv.FormatInt(e.UserID, 10))
	field(e.Action)
	field(e.Target)
	field(e.Detail)
	field(prev)
	return hex.EncodeToString(h.Sum(nil))
}

// Break kinds.
const (
	BreakHash = "hash" // the entry's fields do not hash to its stored hash: edited
	BreakLink = "link" // its prev_hash is not the previous entry's hash
	BreakGap  = "gap"  // ids missing before it: deleted
	BreakHead = "head" // the newest entry is not the recorded chain head: newest deleted or head edited
)

// Break locates the first place where the chain does not hold.
type Break struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"` // the entry at which the break is seen
	Want string `json:"want"`
	Got  string `json:"got"`
}

func (b *Break) Error() string {
	switch b.Kind {
	case BreakHash:
		return fmt.Sprintf("entry %d: stored hash %s, its fields hash to %s (entry edited)", b.ID, b.Got, b.Want)
	case BreakLink:
		return fmt.Sprintf("entry %d: prev_hash %s, the entry before it hashes to %s (entry before it edited, removed or reordered)", b.ID, b.Got, b.Want)
	case BreakGap:
		return fmt.Sprintf("entry %d: expected id %s next, found %s (entries deleted)", b.ID, b.Want, b.Got)
	case BreakHead:
		return fmt.Sprintf("chain head: recorded %s, newest entry is %s (newest entries deleted or head edited)", b.Want, b.Got)
	default:
		return fmt.Sprintf("entry %d: want %s, got %s", b.ID, b.Want, b.Got)
	}
}

// Checker walks a chain entry by entry in id order.
type Checker struct {
	// DenseFrom is the id from which ids must be consecutive (the chain
	// assigns them); ids at or below it may have gaps (rows written before
	// the chain existed, whose ids came from a sequence).
	DenseFrom int64
	n         int64
	lastID    int64
	lastHash  string
}

// Add checks the next entry and returns the first break it shows, or nil.
func (c *Checker) Add(e Entry) *Break {
	if e.ID > c.DenseFrom {
		if want := max(c.lastID, c.DenseFrom) + 1; e.ID != want {
			return &Break{Kind: BreakGap, ID: e.ID, Want: strconv.FormatInt(want, 10), Got: strconv.FormatInt(e.ID, 10)}
		}
	}
	if e.PrevHash != c.lastHash {
		return &Break{Kind: BreakLink, ID: e.ID, Want: c.lastHash, Got: e.PrevHash}
	}
	if h := Hash(e, e.PrevHash); h != e.Hash {
		return &Break{Kind: BreakHash, ID: e.ID, Want: h, Got: e.Hash}
	}
	c.n++
	c.lastID, c.lastHash = e.ID, e.Hash
	return nil
}

// Finish checks the end of the chain against its recorded head (the id and
// hash of the newest entry, 0 and "" for an empty chain).
func (c *Checker) Finish(headID int64, headHash string) *Break {
	if c.lastID != headID || c.lastHash != headHash {
		return &Break{Kind: BreakHead, ID: c.lastID,
			Want: fmt.Sprintf("id %d hash %s", headID, headHash),
			Got:  fmt.Sprintf("id %d hash %s", c.lastID, c.lastHash)}
	}
	return nil
}

// N is the number of entries checked so far.
func (c *Checker) N() int64 { return c.n }
