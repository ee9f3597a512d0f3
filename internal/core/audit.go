package core

import (
	"context"
	"encoding/json"

	"whistle/internal/audit"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

// RequireAdmin refuses anyone but an administrator.
func RequireAdmin(a org.Actor) error {
	if !a.User.Has(org.RoleAdmin) {
		return errs.E(errs.Forbidden)
	}
	return nil
}

// Audit writes one entry of the audit log inside the transaction of the
// write it records: the action, its target ("case:12") and a detail that is
// encoded as JSON.
func (s *Core) Audit(ctx context.Context, tx *store.Tx, a org.Actor, action, target string, detail any) error {
	b, _ := json.Marshal(detail)
	return tx.Audit(ctx, audit.Entry{At: s.Now(), UserID: a.User.ID, Action: action, Target: target, Detail: string(b)})
}
