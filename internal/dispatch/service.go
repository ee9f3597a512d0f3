// Package dispatch is smart dispatch as the centre runs it: who handles a
// request (the duty list in force, its drafts, dry runs and publishing),
// what it is about (the text classifier, its training and the automatic
// dispatch settings), whether it was seen before (likely duplicates, repeat
// callers and places) and what the knowledge base already answers. The pure
// rules live in routing, classify, dedup and knowledge; this package loads
// their state from the store, scopes it to actors and audits the changes.
package dispatch

import (
	"context"

	"whistle/internal/core"
)

// Service is smart dispatch over the shared core.
type Service struct {
	*core.Core
	rt  routingState    // duty list in force, unit directory, knowledge index
	clf classifierState // the text classifier in use (classifier.go)
}

// New builds the dispatch service and loads the duty list in force and the
// knowledge index; both are reloaded with the catalogue from then on.
func New(ctx context.Context, c *core.Core) (*Service, error) {
	s := &Service{Core: c}
	if err := s.reloadDuty(ctx); err != nil {
		return nil, err
	}
	if err := s.reloadKnowledge(ctx); err != nil {
		return nil, err
	}
	if err := s.reloadCompounds(ctx); err != nil {
		return nil, err
	}
	c.OnReload(s.reloadDuty)
	c.OnReload(s.reloadKnowledge)
	c.OnReload(s.reloadCompounds)
	return s, nil
}
