package seed

import (
	"context"
	"time"

	"whistle/internal/org"
	"whistle/internal/services"
)

// maxDemoReplyChecks bounds the demo's scored replies (a load stays quick).
const maxDemoReplyChecks = 20000

// replyChecks scores the demo's replies of the month before end's and of
// end's month (答复质量, issue #16) as if each had been checked when the
// unit submitted it, so that the callback queue shows the verdicts and the
// ranking page's month the figures by unit.
func replyChecks(ctx context.Context, svc *services.Services, end time.Time) (int, error) {
	end = end.In(svc.Location())
	from := time.Date(end.Year(), end.Month()-1, 1, 0, 0, 0, 0, end.Location())
	return svc.Cases.BackfillReplyChecks(ctx, org.System(), from, maxDemoReplyChecks)
}
