// Package sealed encrypts personal data at rest: AES-256-GCM under a ring
// of keys. A sealed value is TEXT-safe — "v1:<key id>:" followed by the
// base64 of a random nonce and the ciphertext — so it fits the columns and
// JSON documents that held the clear value. The empty string stays empty.
// The keys never live in the database: they come from a key file or from
// the environment (see KeyFile and ParseEnv).
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Prefix starts every sealed value.
const Prefix = "v1:"

// KeySize is the size of a data key (AES-256).
const KeySize = 32

// ErrUnknownKey: the value was sealed under a key the ring does not hold.
var ErrUnknownKey = errors.New("sealed: value sealed under a key that is not in the key ring")

// Key is one data key with its id.
type Key struct {
	ID     string
	Secret []byte
}

type keySet struct {
	primary string
	aeads   map[string]cipher.AEAD
	ids     []string
}

// Ring holds the data keys: the primary seals, every key opens. It is safe
// for concurrent use, and its keys can be replaced (Set) while in use, so a
// running server picks up a rotated key file.
type Ring struct {
	mu  sync.RWMutex
	set *keySet
}

// NewRing returns a ring of keys whose primary is primary.
func NewRing(primary string, keys []Key) (*Ring, error) {
	r := &Ring{}
	return r, r.Set(primary, keys)
}

// Set replaces the ring's keys.
func (r *Ring) Set(primary string, keys []Key) error {
	s := &keySet{primary: primary, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if !validID(k.ID) {
			return fmt.Errorf("sealed: bad key id %q (letters and digits)", k.ID)
		}
		if len(k.Secret) != KeySize {
			return fmt.Errorf("sealed: key %s is %d bytes, want %d", k.ID, len(k.Secret), KeySize)
		}
		blk, err := aes.NewCipher(k.Secret)
		if err != nil {
			return err
		}
		g, err := cipher.NewGCM(blk)
		if err != nil {
			return err
		}
		s.aeads[k.ID] = g
		s.ids = append(s.ids, k.ID)
	}
	if _, ok := s.aeads[primary]; !ok {
		return fmt.Errorf("sealed: primary key %q is not in the ring", primary)
	}
	r.mu.Lock()
	r.set = s
	r.mu.Unlock()
	return nil
}

func (r *Ring) keys() *keySet {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.set
}

// Primary returns the id of the key that seals.
func (r *Ring) Primary() string { return r.keys().primary }

// IDs returns the ids of the ring's keys.
func (r *Ring) IDs() []string { return slices.Clone(r.keys().ids) }

func validID(id string) bool {
	if id == "" || len(id) > 16 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Seal encrypts s under the primary key; "" stays "".
func (r *Ring) Seal(s string) string {
	if s == "" {
		return ""
	}
	ks := r.keys()
	g := ks.aeads[ks.primary]
	buf := make([]byte, g.NonceSize(), g.NonceSize()+len(s)+g.Overhead())
	if _, err := rand.Read(buf); err != nil {
		panic("sealed: no randomness: " + err.Error())
	}
	// The key id is authenticated data: a value cannot be passed off as
	// sealed under another key.
	out := g.Seal(buf, buf, []byte(s), []byte(ks.primary))
	return Prefix + ks.primary + ":" + base64.RawStdEncoding.EncodeToString(out)
}

// IsSealed reports whether s looks like a sealed value.
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }

// KeyID returns the id of the key s was sealed under ("" for clear text).
func KeyID(s string) string {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	return id
}

// Open decrypts a sealed value. Clear text (a value written before
// encryption was introduced) is returned as it is, so old rows read until
// they are re-sealed.
func (r *Ring) Open(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return s, nil
	}
	id, body, ok := strings.Cut(rest, ":")
	if !ok {
		return "", errors.New("sealed: malformed value")
	}
	g := r.keys().aeads[id]
	if g == nil {
		return "", fmt.Errorf("%w (%s)", ErrUnknownKey, id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < g.NonceSize()+g.Overhead() {
		return "", errors.New("sealed: malformed value")
	}
	plain, err := g.Open(nil, raw[:g.NonceSize()], raw[g.NonceSize():], []byte(id))
	if err != nil {
		return "", fmt.Errorf("sealed: value does not open under key %s: %w", id, err)
	}
	return string(plain), nil
}

// NewSecret returns a fresh random data key.
func NewSecret() []byte {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		panic("sealed: no randomness: " + err.Error())
	}
	return b
}
