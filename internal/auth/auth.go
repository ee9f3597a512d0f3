// Package auth hashes passwords with a slow KDF (argon2id), makes and hashes
// session and API tokens, hashes phone numbers for look-ups without storing
// them in clear, and rate-limits login attempts.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Hasher holds argon2id parameters.
type Hasher struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultHasher follows OWASP's argon2id recommendation (19 MiB, t=2, p=1).
func DefaultHasher() Hasher { return Hasher{Time: 2, MemoryKiB: 19 * 1024, Threads: 1} }

// FastHasher is for tests only: same algorithm, small cost.
func FastHasher() Hasher { return Hasher{Time: 1, MemoryKiB: 1024, Threads: 1} }

// ErrWeakPassword is returned for passwords too short or too long.
var ErrWeakPassword = errors.New("password must be 8 to 128 characters")

// Hash returns a PHC-format argon2id string.
func (h Hasher) Hash(password string) (string, error) {
	if err := checkLength(password); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.Time, h.MemoryKiB, h.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.MemoryKiB, h.Time, h.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func checkLength(password string) error {
	if n := utf8.RuneCountInString(password); n < 8 || n > 128 {
		return ErrWeakPassword
	}
	return nil
}

// Verify reports whether password matches the encoded hash, in constant time.
func Verify(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 20 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// NewToken returns a random bearer token and the hash under which it is stored.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token: sessions and API tokens are never kept in clear.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// PhoneHasher makes keyed hashes of normalised phone numbers, so that a
// citizen's requests can be found by phone without reading the phone column
// (which may be encrypted at rest).
type PhoneHasher struct{ key []byte }

// NewPhoneHasher returns a hasher keyed with key.
func NewPhoneHasher(key []byte) PhoneHasher { return PhoneHasher{key: key} }

// Hash returns the text of HMAC-SHA256(key, phone) (EncodePhoneHash), or
// "" for an empty phone.
func (p PhoneHasher) Hash(phone string) string {
	if phone == "" {
		return ""
	}
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(phone))
	return EncodePhoneHash(m.Sum(nil))
}

// phoneHashText is lowercase base32 without padding: letters a–z and the
// digits 2–7, so a stored phone hash holds no '1' and no long run of
// digits, and a search of the database for mobile numbers (1[3-9]\d{9})
// never matches inside one (a hex digest matched in one hash of 50).
var phoneHashText = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// EncodePhoneHash is the stored text of a phone hash's bytes: 52
// characters of lowercase base32 for HMAC-SHA256. Hashes stored before
// were 64 characters of hex (the store re-encodes them at start).
func EncodePhoneHash(sum []byte) string { return phoneHashText.EncodeToString(sum) }

// Limiter counts attempts per key within a sliding window. It needs no
// goroutine: stale entries are pruned on use. Reserve is atomic: the
// attempt is counted in the same step that checks the allowance, so that
// many concurrent tries cannot all pass the check before any is counted.
type Limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

// NewLimiter allows max attempts per key within window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, fails: map[string][]time.Time{}}
}

// Reserve counts one attempt for key and reports whether it is within the
// allowance; a refused attempt is not counted.
func (l *Limiter) Reserve(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.prune(key, now)) >= l.max {
		return false
	}
	l.add(key, now)
	return true
}

// Refund takes back one attempt reserved at now (the newest one if none was
// made at that time), e.g. for a login that succeeded.
func (l *Limiter) Refund(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fs := l.fails[key]
	if len(fs) == 0 {
		return
	}
	i := len(fs) - 1
	for j := len(fs) - 1; j >= 0; j-- {
		if fs[j].Equal(now) {
			i = j
			break
		}
	}
	fs = append(fs[:i:i], fs[i+1:]...)
	if len(fs) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = fs
	}
}

// Allowed reports whether key may try now. Check-then-act: prefer Reserve
// where concurrent attempts must not overshoot the allowance.
func (l *Limiter) Allowed(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.prune(key, now)) < l.max
}

// Fail records an attempt.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(key, now)
	l.add(key, now)
}

// add appends an attempt; l.mu is held.
func (l *Limiter) add(key string, now time.Time) {
	l.fails[key] = append(l.fails[key], now)
	if len(l.fails) > 100000 { // bound memory under a spray attack
		for k := range l.fails {
			if len(l.prune(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
}

// Succeed clears the key's attempts.
func (l *Limiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

func (l *Limiter) prune(key string, now time.Time) []time.Time {
	fs := l.fails[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) > l.window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = fs
	}
	return fs
}
