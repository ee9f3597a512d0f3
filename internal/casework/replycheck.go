package casework

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/replyquality"
	"whistle/internal/store"
)

// Reply quality (答复质量, issue #16): a unit's written reply is scored on
// the rules of internal/replyquality before it submits (CheckReply, as it
// types) and again when it submits (Act, the verdict stored with the reply
// in the same transaction and carried by the reply's event); the centre
// reads the verdicts on its callback queue (CallbackQueue) and the case
// page (CaseView).

const (
	// corpusCases is how many of the latest cases (their requests and
	// replies) the relevance check learns its word weights from;
	// corpusMaxAge is how long one learned set is used.
	corpusCases  = 3000
	corpusMaxAge = 6 * time.Hour
	// The near-copy check compares a reply with the unit's last
	// pastPerUnit replies and at most pastPerBand replies of other units
	// that share a MinHash band with it: bounded, never a scan.
	pastPerUnit = 50
	pastPerBand = 50
)

// replyCorpus is the learned corpus, rebuilt when older than corpusMaxAge.
// A built corpus is never changed, so checks read it concurrently.
type replyCorpus struct {
	mu sync.Mutex
	c  *replyquality.Corpus
	at time.Time
}

func (s *Service) replyCorpus(ctx context.Context) (*replyquality.Corpus, error) {
	s.replies.mu.Lock()
	defer s.replies.mu.Unlock()
	now := s.Now()
	if s.replies.c != nil && now.Sub(s.replies.at) < corpusMaxAge && !now.Before(s.replies.at) {
		return s.replies.c, nil
	}
	texts, err := s.St.ReplyCorpusTexts(ctx, corpusCases)
	if err != nil {
		return nil, err
	}
	s.replies.c, s.replies.at = replyquality.NewCorpus(texts), now
	return s.replies.c, nil
}

// replyMessage is what a reply answers: the request's title and text.
func replyMessage(c *lifecycle.Case) string {
	if c.Title == "" {
		return c.Description
	}
	return c.Title + "。" + c.Description
}

// replyUnit is the unit a reply is counted for: the replying user's unit,
// else the case's lead unit.
func replyUnit(a org.Actor, c *lifecycle.Case) int64 {
	if a.User.UnitID != 0 {
		return a.User.UnitID
	}
	return c.LeadUnitID
}

// scoreReply checks text as the reply of unit to c (reads only).
func (s *Service) scoreReply(ctx context.Context, c *lifecycle.Case, unit int64, text string) (*store.ReplyCheck, error) {
	corpus, err := s.replyCorpus(ctx)
	if err != nil {
		return nil, err
	}
	sig := replyquality.SignatureOf(text)
	past, err := s.St.ReplySignatures(ctx, unit, sig.Bands(), pastPerUnit, pastPerBand)
	if err != nil {
		return nil, err
	}
	ch := corpus.Check(replyMessage(c), text, replyquality.Options{PastSigs: past})
	return &store.ReplyCheck{CaseID: c.ID, UnitID: unit, Check: ch, Signature: sig}, nil
}

// CheckReply scores a draft reply to a case the actor may reply to now,
// for the unit to see before it submits (nothing is stored).
func (s *Service) CheckReply(ctx context.Context, a org.Actor, id int64, text string) (replyquality.Check, error) {
	c, err := s.load(ctx, a, id)
	if err != nil {
		return replyquality.Check{}, err
	}
	if !slices.Contains(lifecycle.Allowed(c, a, s.Env()), lifecycle.ActReply) {
		return replyquality.Check{}, errs.D(errs.InvalidTransition, "the actor may not reply to this case now")
	}
	if strings.TrimSpace(text) == "" {
		return replyquality.Check{}, errs.F(errs.FieldRequired, "note")
	}
	if n := len([]rune(text)); n > s.Cfg.MaxDescription {
		return replyquality.Check{}, errs.F(errs.FieldTooLong, "note")
	}
	rc, err := s.scoreReply(ctx, c, replyUnit(a, c), text)
	if err != nil {
		return replyquality.Check{}, err
	}
	return rc.Check, nil
}

// prepareReplyCheck scores a reply about to be submitted (before the
// write: the reads and the scoring never hold the writer).
func (s *Service) prepareReplyCheck(ctx context.Context, a org.Actor, c *lifecycle.Case, st *step) error {
	if st.cmd.Action != lifecycle.ActReply || strings.TrimSpace(st.cmd.Note) == "" {
		return nil
	}
	rc, err := s.scoreReply(ctx, c, replyUnit(a, c), st.cmd.Note)
	if err != nil {
		return err
	}
	rc.UserID = a.User.ID
	st.reply = rc
	return nil
}

// keepReplyCheck stores the verdict of a reply the rules accepted, in the
// reply's transaction, and puts it on the reply's event (the API returns
// it with the reply).
func keepReplyCheck(ctx context.Context, tx *store.Tx, c *lifecycle.Case, st step, ev *lifecycle.Event) error {
	if st.reply == nil || st.cmd.Action != lifecycle.ActReply {
		return nil
	}
	rc := *st.reply
	rc.CaseID, rc.RepliedAt = c.ID, c.RepliedAt
	if err := tx.InsertReplyCheck(ctx, &rc); err != nil {
		return err
	}
	if ev.Data == nil {
		ev.Data = map[string]any{}
	}
	ev.Data["reply_check"] = rc.Check
	return nil
}

// CallbackPage is the agents' callback queue: replied cases waiting for the
// citizen's verdict, each with the verdict on its reply (where one was
// checked), so the agent knows what to ask.
type CallbackPage struct {
	Cases  []*lifecycle.Case            `json:"cases"`
	Next   string                       `json:"next,omitempty"`
	Checks map[int64]replyquality.Check `json:"checks"` // by case id
}

// CallbackQueue lists the replied cases in the actor's scope, oldest reply
// deadline first (30 a page), or the one replied case of a number.
func (s *Service) CallbackQueue(ctx context.Context, a org.Actor, number, cursor string) (CallbackPage, error) {
	var out CallbackPage
	if !a.IsSystem() && !a.User.Has(org.RoleAgent, org.RoleDispatcher) {
		return out, errs.E(errs.Forbidden)
	}
	if number = strings.TrimSpace(number); number != "" {
		if c, err := s.GetByNumber(ctx, a, number); err == nil && c.State == lifecycle.Replied {
			out.Cases = append(out.Cases, c)
		} else if err != nil && errs.CodeOf(err) != errs.NotFound {
			return out, err
		}
	} else {
		pg, err := s.List(ctx, a, lifecycle.CaseFilter{States: []lifecycle.State{lifecycle.Replied}, Sort: "due", Limit: 30, Cursor: cursor})
		if err != nil {
			return out, err
		}
		out.Cases, out.Next = pg.Cases, pg.Next
	}
	ids := make([]int64, len(out.Cases))
	for i, c := range out.Cases {
		ids[i] = c.ID
	}
	checks, err := s.St.ReplyChecksOf(ctx, ids)
	if err != nil {
		return out, err
	}
	out.Checks = make(map[int64]replyquality.Check, len(checks))
	for id, rc := range checks {
		out.Checks[id] = rc.Check
	}
	return out, nil
}

// ReplyCheckOf returns the stored verdict on a visible case's latest
// reply (not found: the case is out of scope, or no reply was checked).
func (s *Service) ReplyCheckOf(ctx context.Context, a org.Actor, id int64) (store.ReplyCheck, error) {
	if _, err := s.load(ctx, a, id); err != nil {
		return store.ReplyCheck{}, err
	}
	rc, found, err := s.St.ReplyCheckOf(ctx, id)
	if err == nil && !found {
		err = errs.E(errs.NotFound)
	}
	rc.RepliedAt = rc.RepliedAt.In(s.Cfg.Loc)
	return rc, err
}

// BackfillReplyChecks scores the replies submitted since from that have no
// verdict (replies from before the check existed, or a loaded history), in
// the order they were submitted, and stores the verdicts: at most limit
// replies, in transactions of 500. The near-copy check compares each with
// the unit's previous pastPerUnit replies and, by band keys, with the
// earlier replies of this run. The system only; returns how many it stored.
func (s *Service) BackfillReplyChecks(ctx context.Context, a org.Actor, from time.Time, limit int) (int, error) {
	if !a.IsSystem() {
		return 0, errs.E(errs.Forbidden)
	}
	replies, err := s.St.UncheckedReplies(ctx, from, limit)
	if err != nil || len(replies) == 0 {
		return 0, err
	}
	corpus, err := s.replyCorpus(ctx)
	if err != nil {
		return 0, err
	}
	byUnit := map[int64][]replyquality.Signature{}
	byBand := map[int64][]replyquality.Signature{}
	checks := make([]store.ReplyCheck, 0, len(replies))
	for _, r := range replies {
		sig := replyquality.SignatureOf(r.Reply)
		past := slices.Clone(byUnit[r.UnitID])
		seen := 0
		for _, b := range sig.Bands() {
			for _, p := range byBand[b] {
				if seen == pastPerBand {
					break
				}
				past, seen = append(past, p), seen+1
			}
		}
		ch := corpus.Check(r.Message, r.Reply, replyquality.Options{PastSigs: past})
		checks = append(checks, store.ReplyCheck{CaseID: r.CaseID, UnitID: r.UnitID, UserID: r.UserID, RepliedAt: r.RepliedAt, Check: ch, Signature: sig})
		if sig == nil {
			continue
		}
		if u := append(byUnit[r.UnitID], sig); len(u) > pastPerUnit {
			byUnit[r.UnitID] = u[1:]
		} else {
			byUnit[r.UnitID] = u
		}
		for _, b := range sig.Bands() {
			if len(byBand[b]) < pastPerBand {
				byBand[b] = append(byBand[b], sig)
			}
		}
	}
	for lo := 0; lo < len(checks); lo += 500 {
		hi := min(lo+500, len(checks))
		err := s.St.Write(ctx, func(tx *store.Tx) error {
			for i := lo; i < hi; i++ {
				if err := tx.InsertReplyCheck(ctx, &checks[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return lo, err
		}
	}
	return len(checks), nil
}
