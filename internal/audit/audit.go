// Package audit is the accountability record: who did what to which
// record, and which personal data they looked at. Entries are written in
// the transaction of the action they record and never changed.
package audit

import "time"

// Entry is one line of the audit log.
type Entry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	UserID int64     `json:"user_id"`
	// UserName is the user's display name, filled in when the log is read.
	UserName string `json:"user_name,omitempty"`
	Action   string `json:"action"`
	Target   string `json:"target"`
	Detail   string `json:"detail,omitempty"`
	// PrevHash and Hash chain the entries (see Hash); the store sets them.
	PrevHash string `json:"prev_hash,omitempty"`
	Hash     string `json:"hash,omitempty"`
}
