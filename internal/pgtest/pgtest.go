// Package pgtest runs throwaway PostgreSQL clusters for tests and benchmarks.
//
// A Cluster is initialised with initdb into a fresh temporary directory and
// started with pg_ctl on 127.0.0.1 (plus a unix socket inside the temporary
// directory). It uses trust authentication for the superuser "whistle", so
// DSNs carry no password. When the process runs as root, the cluster is
// initialised and run as the "postgres" OS user, because PostgreSQL refuses to
// run as root.
//
// Tests normally use NewDatabase together with Main:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.NewDatabase(t) // fresh, empty database
//		...
//	}
//
// Every cluster is accompanied by a tiny watchdog process that shuts the
// server down and removes its directory if the owning process exits without
// calling Stop (panic, test timeout, signal), so no servers are left behind.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// SuperUser is the name of the superuser role created by initdb. It
// authenticates with trust, so DSNs carry no password.
const SuperUser = "whistle"

// Options configure StartCluster. The zero value is ready to use.
type Options struct {
	// Fsync keeps PostgreSQL's durability settings (fsync, synchronous_commit,
	// full_page_writes) at their defaults. When false (the default), they are
	// switched off for speed; benchmarks that want realistic numbers pass true.
	Fsync bool

	// MaxConnections sets max_connections; 0 means 200.
	MaxConnections int

	// Logf, if non-nil, receives progress messages.
	Logf func(format string, args ...any)

	// BinDir is the directory holding initdb, pg_ctl and postgres. Empty means
	// the result of Available.
	BinDir string

	// StartTimeout bounds how long pg_ctl waits for the server to accept
	// connections; 0 means 60 seconds.
	StartTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxConnections <= 0 {
		o.MaxConnections = 200
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 60 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// Cluster is a running throwaway PostgreSQL server in a temp directory.
// Its methods are safe for concurrent use.
type Cluster struct {
	binDir  string
	dir     string // temp dir: socket dir, log file, data dir
	dataDir string
	logFile string
	port    int
	logf    func(format string, args ...any)

	cred *syscall.Credential // non-nil when running as root

	watchdog     *exec.Cmd
	watchdogPipe io.WriteCloser

	dbSeq    atomic.Int64
	stopOnce sync.Once
	stopErr  error
}

// ErrNotAvailable is returned by StartCluster when no PostgreSQL server
// binaries can be found.
var ErrNotAvailable = errors.New("pgtest: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin")

// Available finds a directory holding the PostgreSQL server binaries initdb,
// pg_ctl and postgres. It looks at $WHISTLE_PG_BINDIR (if set), then PATH,
// then /usr/lib/postgresql/*/bin, preferring the highest version there.
func Available() (binDir string, ok bool) {
	if d := os.Getenv("WHISTLE_PG_BINDIR"); d != "" && hasServerBinaries(d) {
		return d, true
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		// A link on PATH (/usr/local/bin/initdb → /usr/lib/postgresql/15/bin)
		// names the directory that holds the other tools too.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if d := filepath.Dir(p); hasServerBinaries(d) {
			return d, true
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(matches, func(i, j int) bool {
		return versionLess(filepath.Base(filepath.Dir(matches[j])), filepath.Base(filepath.Dir(matches[i])))
	})
	for _, d := range matches {
		if hasServerBinaries(d) {
			return d, true
		}
	}
	return "", false
}

// versionLess compares dotted version strings numerically ("9.6" < "15").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		ai, aerr := strconv.Atoi(as[i])
		bi, berr := strconv.Atoi(bs[i])
		if aerr != nil || berr != nil {
			if as[i] != bs[i] {
				return as[i] < bs[i]
			}
			continue
		}
		if ai != bi {
			return ai < bi
		}
	}
	return len(as) < len(bs)
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// StartCluster initialises a new cluster in a fresh temporary directory,
// starts it on 127.0.0.1 and a free TCP port, and waits until it accepts
// connections. ctx bounds the startup only; the server keeps running until
// Stop is called (or the process exits, see the package documentation).
// On error, everything that was created is cleaned up again.
func StartCluster(ctx context.Context, opts Options) (*Cluster, error) {
	binDir := opts.BinDir
	if binDir == "" {
		var ok bool
		if binDir, ok = Available(); !ok {
			return nil, ErrNotAvailable
		}
	}
	opts = opts.withDefaults()
	logf := opts.Logf
	c := &Cluster{binDir: binDir, logf: logf}
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root, but cannot find the postgres OS user to run the server as: %w", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}

	dir, err := makeTempDir(uid)
	if err != nil {
		return nil, err
	}
	c.dir = dir
	c.dataDir = filepath.Join(dir, "data")
	c.logFile = filepath.Join(dir, "postgres.log")

	// From here on, failures must clean up via Stop.
	if err := c.startWatchdog(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := c.start(ctx, opts); err != nil {
		if serr := c.Stop(); serr != nil {
			logf("pgtest: cleanup after failed start: %v", serr)
		}
		return nil, err
	}
	logf("pgtest: PostgreSQL cluster running on 127.0.0.1:%d (dir %s)", c.port, c.dir)
	return c, nil
}

// makeTempDir creates a 0755 temp dir (owned by uid when uid >= 0) whose
// ancestors the server user can traverse.
func makeTempDir(uid int) (string, error) {
	candidates := []string{os.TempDir()}
	if uid >= 0 {
		candidates = append(candidates, "/tmp", "/var/tmp", "/dev/shm")
	}
	var firstErr error
	for _, base := range candidates {
		if uid >= 0 && !traversable(base, uid) {
			if firstErr == nil {
				firstErr = fmt.Errorf("pgtest: %s (or one of its parents) is not traversable by the postgres user", base)
			}
			continue
		}
		dir, err := os.MkdirTemp(base, "pgtest-")
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("pgtest: %w", err)
			}
			continue
		}
		err = os.Chmod(dir, 0o755)
		if err == nil && uid >= 0 {
			err = os.Chown(dir, uid, -1)
		}
		if err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("pgtest: preparing temp dir: %w", err)
		}
		return dir, nil
	}
	return "", firstErr
}

// traversable reports whether every directory from dir up to / can be
// searched by uid (by its owner or by others' execute permission).
func traversable(dir string, uid int) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() {
			return false
		}
		ok := fi.Mode().Perm()&0o001 != 0
		if st, isSys := fi.Sys().(*syscall.Stat_t); isSys && int(st.Uid) == uid && fi.Mode().Perm()&0o100 != 0 {
			ok = true
		}
		if !ok {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// watchdogScript waits for a line on stdin. "done" means Stop already
// cleaned up; anything else (in particular EOF because the owning process
// died) makes it shut the server down immediately and remove the directory.
const watchdogScript = `
IFS= read -r line || true
[ "$line" = done ] && exit 0
pidfile="$1/postmaster.pid"
if [ -f "$pidfile" ]; then
	pid=$(head -n 1 "$pidfile")
	if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
		i=0
		while [ -f "$pidfile" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done
		[ -f "$pidfile" ] && kill -KILL "$pid" 2>/dev/null
	fi
fi
rm -rf "$2"
`

func (c *Cluster) startWatchdog() error {
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "pgtest-watchdog", c.dataDir, c.dir)
	// Own process group: a Ctrl-C on the terminal must not kill the watchdog
	// before it has done its job. No stdout/stderr: it must not keep the test
	// binary's output pipes open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	w, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("pgtest: watchdog: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: starting watchdog: %w", err)
	}
	c.watchdog, c.watchdogPipe = cmd, w
	return nil
}

// command builds a command that runs as the server user.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (c *Cluster) start(ctx context.Context, opts Options) error {
	c.logf("pgtest: initdb in %s", c.dataDir)
	initdb := c.command(ctx, "initdb",
		"-D", c.dataDir,
		"-A", "trust",
		"-U", SuperUser,
		"--encoding=UTF8",
		"--locale=C",
		"--no-sync",
	)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb failed: %w\n%s", err, tail(out, 30))
	}
	return c.serve(ctx, opts)
}

// serve starts the server on the initialised data directory, on a free
// port.
func (c *Cluster) serve(ctx context.Context, opts Options) error {
	const attempts = 5
	var lastErr error
	for attempt := 1; attempt <= attempts; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		var logOffset int64
		if fi, err := os.Stat(c.logFile); err == nil {
			logOffset = fi.Size()
		}
		serverOpts := []string{
			"-c", "listen_addresses=127.0.0.1",
			"-p", strconv.Itoa(port),
			"-k", shellQuote(c.dir),
			"-c", "max_connections=" + strconv.Itoa(opts.MaxConnections),
		}
		if !opts.Fsync {
			serverOpts = append(serverOpts,
				"-c", "fsync=off",
				"-c", "synchronous_commit=off",
				"-c", "full_page_writes=off",
			)
		}
		pgctl := c.command(ctx, "pg_ctl", "start",
			"-w",
			"-t", strconv.Itoa(int(opts.StartTimeout.Seconds()+0.5)),
			"-D", c.dataDir,
			"-l", c.logFile,
			"-o", strings.Join(serverOpts, " "),
		)
		out, err := pgctl.CombinedOutput()
		if err == nil {
			c.port = port
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("pgtest: starting server: %w", ctxErr)
		}
		newLog := c.logSince(logOffset)
		lastErr = fmt.Errorf("pgtest: pg_ctl start failed: %w\n%s\nserver log:\n%s", err, bytes.TrimSpace(out), tail(newLog, 30))
		if !bytes.Contains(newLog, []byte("Address already in use")) && !bytes.Contains(newLog, []byte("could not bind")) {
			return lastErr
		}
		c.logf("pgtest: port %d taken, retrying (%d/%d)", port, attempt, attempts)
	}
	return lastErr
}

func (c *Cluster) logSince(offset int64) []byte {
	f, err := os.Open(c.logFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	b, _ := io.ReadAll(f)
	return b
}

// LogTail returns up to the last n lines of the server log.
func (c *Cluster) LogTail(n int) string {
	return string(tail(c.logSince(0), n))
}

func tail(b []byte, n int) []byte {
	b = bytes.TrimRight(b, "\n")
	idx := len(b)
	for i := 0; i < n; i++ {
		j := bytes.LastIndexByte(b[:idx], '\n')
		if j < 0 {
			return b
		}
		idx = j
	}
	return b[idx+1:]
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port, nil
}

// Port returns the TCP port the server listens on (on 127.0.0.1).
func (c *Cluster) Port() int { return c.port }

// SocketDir returns the directory holding the server's unix socket.
func (c *Cluster) SocketDir() string { return c.dir }

// Dir returns the cluster's temporary directory (removed by Stop).
func (c *Cluster) Dir() string { return c.dir }

// DSN returns a URL connection string for database dbname, connecting as the
// superuser over TCP to 127.0.0.1 without TLS.
func (c *Cluster) DSN(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(SuperUser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// CreateDatabase creates a fresh, uniquely named, empty database and returns
// its DSN.
func (c *Cluster) CreateDatabase(ctx context.Context) (dsn string, err error) {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("test_%d_%s", c.dbSeq.Add(1), hex.EncodeToString(rnd[:]))

	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: connecting to create database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: creating database %s: %w", name, err)
	}
	return c.DSN(name), nil
}

// Stop shuts the server down (pg_ctl stop -m immediate) and removes its
// temporary directory. It is safe to call more than once and concurrently;
// later calls return the result of the first.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	var errs []error
	pidFile := filepath.Join(c.dataDir, "postmaster.pid")
	if _, err := os.Stat(pidFile); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.dataDir, "-m", "immediate", "-w", "-t", "30").CombinedOutput()
		cancel()
		if err != nil {
			// Fall back to signalling the postmaster directly.
			if kerr := killPostmaster(pidFile); kerr != nil {
				errs = append(errs, fmt.Errorf("pgtest: pg_ctl stop failed: %w\n%s", err, bytes.TrimSpace(out)), kerr)
			}
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgtest: removing %s: %w", c.dir, err))
	}
	if c.watchdog != nil {
		_, _ = io.WriteString(c.watchdogPipe, "done\n")
		_ = c.watchdogPipe.Close()
		_ = c.watchdog.Wait()
	}
	return errors.Join(errs...)
}

// killPostmaster sends SIGQUIT (immediate shutdown), then SIGKILL, to the
// postmaster named in pidFile and waits for the pid file to disappear.
func killPostmaster(pidFile string) error {
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return fmt.Errorf("pgtest: bad postmaster.pid %q", line)
	}
	for _, sig := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGKILL} {
		if err := syscall.Kill(pid, sig); err != nil {
			return nil // already gone
		}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(pidFile); errors.Is(err, os.ErrNotExist) {
				return nil
			}
			if syscall.Kill(pid, 0) != nil {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return fmt.Errorf("pgtest: postmaster %d did not exit", pid)
}
