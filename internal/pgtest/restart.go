package pgtest

import (
	"bytes"
	"context"
	"fmt"
)

// Pause stops the server the way an operator would (pg_ctl stop -m fast:
// sessions are ended, the data is kept), for outage tests; Resume starts
// it again on the same port with the same options.
func (c *Cluster) Pause(ctx context.Context) error {
	out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.dataDir, "-m", "fast", "-w", "-t", "60").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", err, bytes.TrimSpace(out))
	}
	return nil
}

// Resume starts a paused server again, on the same port and with the
// options it was started with (pg_ctl restart reads them back from
// postmaster.opts), and waits until it accepts connections.
func (c *Cluster) Resume(ctx context.Context) error {
	out, err := c.command(ctx, "pg_ctl", "restart", "-D", c.dataDir, "-l", c.logFile, "-w", "-t", "60").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl restart: %w\n%s\nserver log:\n%s", err, bytes.TrimSpace(out), c.LogTail(30))
	}
	return nil
}
