package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// StartReplica starts a hot standby of c: a cluster of its own (own
// directory, port and watchdog) made by pg_basebackup from c and kept up to
// date by streaming replication. It accepts read-only queries; stop it
// with Stop, before or after c. opts is as for StartCluster.
func (c *Cluster) StartReplica(ctx context.Context, opts Options) (*Cluster, error) {
	opts = opts.withDefaults()
	logf := opts.Logf
	r := &Cluster{binDir: c.binDir, logf: logf, cred: c.cred}
	uid := -1
	if c.cred != nil {
		uid = int(c.cred.Uid)
	}
	dir, err := makeTempDir(uid)
	if err != nil {
		return nil, err
	}
	r.dir, r.dataDir, r.logFile = dir, filepath.Join(dir, "data"), filepath.Join(dir, "postgres.log")
	if err := r.startWatchdog(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	// -R writes standby.signal and the primary's connection; -X stream
	// copies the WAL written meanwhile; -c fast checkpoints at once (the
	// default spreads the checkpoint over minutes).
	out, err := r.command(ctx, "pg_basebackup", "-D", r.dataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync",
		"-h", c.dir, "-p", strconv.Itoa(c.port), "-U", SuperUser).CombinedOutput()
	if err != nil {
		r.Stop()
		return nil, fmt.Errorf("pgtest: pg_basebackup: %w\n%s", err, tail(out, 30))
	}
	if err := r.serve(ctx, opts); err != nil {
		r.Stop()
		return nil, err
	}
	logf("pgtest: replica of 127.0.0.1:%d running on 127.0.0.1:%d", c.port, r.port)
	return r, nil
}
