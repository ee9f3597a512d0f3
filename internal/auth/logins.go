package auth

import (
	"context"
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"time"
)

// LoginLimiter limits login attempts per user and address, per user, per
// address and per network (/24 for IPv4, /64 for IPv6), so that neither
// one address spraying many users nor many addresses of one network
// guessing one user get far. A try is counted before its password is
// checked and refunded only when the login succeeds.
//
// The counts are kept in this node's memory unless Shared is set: several
// nodes on one database set it to the database, so that they share one
// allowance rather than each granting its own.
type LoginLimiter struct {
	UserAddr *Limiter // one user from one address
	User     *Limiter // one user from anywhere
	Addr     *Limiter // one address, any user
	Net      *Limiter // one network, any user

	// Shared, when set, keeps the counts in place of the limiters above
	// (with the allowances and window NewLoginLimiter was given). When it
	// fails, the try is refused: the limit fails closed.
	Shared LoginCounts

	max    int
	window time.Duration
}

// LimitKey is one count a try is charged to and its allowance per window.
type LimitKey struct {
	Key string
	Max int
}

// LoginCounts keeps login counts outside the node (the database).
// ReserveLimits counts one try at now against every key, all or none, and
// reports whether every key was within its allowance (a refused try counts
// nothing); RefundLimits takes back one try reserved at now.
type LoginCounts interface {
	ReserveLimits(ctx context.Context, keys []LimitKey, window time.Duration, now time.Time) (bool, error)
	RefundLimits(ctx context.Context, keys []string, window time.Duration, now time.Time) error
}

// NewLoginLimiter allows max tries per user and address within window,
// 4×max per user, 10×max per address and 40×max per network.
func NewLoginLimiter(max int, window time.Duration) *LoginLimiter {
	return &LoginLimiter{
		UserAddr: NewLimiter(max, window),
		User:     NewLimiter(4*max, window),
		Addr:     NewLimiter(10*max, window),
		Net:      NewLimiter(40*max, window),
		max:      max,
		window:   window,
	}
}

// Reserve counts one try of username from addr against every limit. When
// any limit is spent it counts nothing and returns ok false; otherwise
// refund takes the try back (call it for a successful login, or when no
// password was checked). With Shared set, an error of the shared counts
// refuses the try; ReserveContext tells the two apart.
func (l *LoginLimiter) Reserve(username, addr string, now time.Time) (refund func(), ok bool) {
	refund, ok, err := l.ReserveContext(context.Background(), username, addr, now)
	if err != nil {
		return func() {}, false
	}
	return refund, ok
}

// ReserveContext is Reserve, reporting an error of the shared counts
// (then ok is false: the try is refused, never let through uncounted).
func (l *LoginLimiter) ReserveContext(ctx context.Context, username, addr string, now time.Time) (refund func(), ok bool, err error) {
	user := strings.ToLower(username)
	if l.Shared != nil {
		return l.reserveShared(ctx, user, addr, now)
	}
	type res struct {
		lim *Limiter
		key string
	}
	all := []res{{l.UserAddr, user + "|" + addr}, {l.User, user}, {l.Addr, addr}, {l.Net, NetKey(addr)}}
	for i, r := range all {
		if !r.lim.Reserve(r.key, now) {
			for _, done := range all[:i] {
				done.lim.Refund(done.key, now)
			}
			return func() {}, false, nil
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			for _, r := range all {
				r.lim.Refund(r.key, now)
			}
		})
	}, true, nil
}

// reserveShared charges the try to the shared counts: the same four keys
// and allowances as in memory, each key tagged with its kind.
func (l *LoginLimiter) reserveShared(ctx context.Context, user, addr string, now time.Time) (func(), bool, error) {
	if l.max <= 0 || l.window <= 0 {
		return func() {}, false, errors.New("auth: shared login limits need NewLoginLimiter")
	}
	keys := []LimitKey{
		{"login:ua:" + user + "|" + addr, l.max},
		{"login:u:" + user, 4 * l.max},
		{"login:a:" + addr, 10 * l.max},
		{"login:n:" + NetKey(addr), 40 * l.max},
	}
	ok, err := l.Shared.ReserveLimits(ctx, keys, l.window, now)
	if err != nil || !ok {
		return func() {}, false, err
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Key
	}
	ctx = context.WithoutCancel(ctx) // the refund comes after the request's work
	var once sync.Once
	return func() {
		once.Do(func() {
			// An error leaves the try counted: the safe side.
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_ = l.Shared.RefundLimits(c, names, l.window, now)
		})
	}, true, nil
}

// NetKey returns the network an address belongs to for rate limits: its
// /24 for IPv4 (and IPv4-mapped IPv6), its /64 for IPv6; anything that is
// no address is its own key.
func NetKey(addr string) string {
	ip, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return "?" + addr
	}
	ip = ip.Unmap().WithZone("")
	bits := 64
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return "?" + addr
	}
	return p.String()
}

// ErrBusy means the password pool is full: answer at once and let the
// client retry, rather than queue without bound.
var ErrBusy = errors.New("auth: too many password checks at once")

// Pool bounds how many password hashes run at once (each argon2id run
// holds Hasher.MemoryKiB of memory) and how many wait for a turn; beyond
// that, Do fails fast with ErrBusy.
type Pool struct {
	admit   chan struct{} // running + waiting
	run     chan struct{} // running
	maxWait time.Duration
}

// NewPool runs at most workers hashes at once, with at most queue more
// waiting (each at most a few seconds).
func NewPool(workers, queue int) *Pool {
	return &Pool{admit: make(chan struct{}, workers+queue), run: make(chan struct{}, workers), maxWait: 5 * time.Second}
}

var passwords = sync.OnceValue(func() *Pool {
	n := runtime.GOMAXPROCS(0)
	return NewPool(n, 2*n)
})

// Passwords is the node's pool for password hashing and checking, shared
// by logins, password changes and user creation: GOMAXPROCS at once, twice
// that waiting.
func Passwords() *Pool { return passwords() }

// Do runs f when a worker is free. It returns ErrBusy at once when the
// pool and its queue are full (or after waiting too long), and ctx's error
// if ctx ends while waiting; f has then not run.
func (p *Pool) Do(ctx context.Context, f func()) error {
	select {
	case p.admit <- struct{}{}:
	default:
		return ErrBusy
	}
	defer func() { <-p.admit }()
	select {
	case p.run <- struct{}{}:
	default:
		t := time.NewTimer(p.maxWait)
		defer t.Stop()
		select {
		case p.run <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return ErrBusy
		}
	}
	defer func() { <-p.run }()
	f()
	return nil
}

// Load reports how many run and how many wait (for tests and metrics).
func (p *Pool) Load() (running, waiting int) {
	r := len(p.run)
	return r, len(p.admit) - r
}

// HashIn hashes password on pool (ErrBusy when it is full).
func (h Hasher) HashIn(ctx context.Context, pool *Pool, password string) (string, error) {
	if err := checkLength(password); err != nil {
		return "", err // refused without spending a turn
	}
	var out string
	var err error
	if perr := pool.Do(ctx, func() { out, err = h.Hash(password) }); perr != nil {
		return "", perr
	}
	return out, err
}

// VerifyIn checks password against encoded on pool (ErrBusy when it is full).
func VerifyIn(ctx context.Context, pool *Pool, encoded, password string) (bool, error) {
	var ok bool
	err := pool.Do(ctx, func() { ok = Verify(encoded, password) })
	return ok, err
}
