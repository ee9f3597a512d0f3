package sealed

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File is a key file: the data keys (the primary seals), and the key of the
// phone hashes, which is a secret of the same kind and lives beside them,
// never in the database. It is JSON, readable by its owner only (0600).
type File struct {
	Primary  string    `json:"primary"`
	Keys     []FileKey `json:"keys"`
	PhoneKey string    `json:"phone_key,omitempty"`
}

// FileKey is one data key in a key file.
type FileKey struct {
	ID  string `json:"id"`
	Key string `json:"key"` // base64, 32 bytes
}

// NewFile returns a key file with one fresh key, k1, and phoneKey (a fresh
// one when empty).
func NewFile(phoneKey string) *File {
	if phoneKey == "" {
		phoneKey = hex.EncodeToString(NewSecret())
	}
	return &File{Primary: "k1", Keys: []FileKey{{ID: "k1", Key: base64.StdEncoding.EncodeToString(NewSecret())}}, PhoneKey: phoneKey}
}

// LoadFile reads a key file. It refuses a file others may read.
func LoadFile(path string) (*File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if _, err := f.Ring(); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return &f, nil
}

// Save writes the key file atomically with mode 0600. With exclusive it
// fails when the file already exists (a first start never overwrites keys).
func (f *File) Save(path string, exclusive bool) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if exclusive {
		w, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			w.Close()
			return err
		}
		if err := w.Sync(); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".whistle-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Secrets decodes the file's keys.
func (f *File) Secrets() ([]Key, error) {
	var out []Key
	for _, k := range f.Keys {
		b, err := base64.StdEncoding.DecodeString(k.Key)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.ID, err)
		}
		out = append(out, Key{ID: k.ID, Secret: b})
	}
	return out, nil
}

// Ring returns the file's keys as a ring.
func (f *File) Ring() (*Ring, error) {
	keys, err := f.Secrets()
	if err != nil {
		return nil, err
	}
	return NewRing(f.Primary, keys)
}

// Rotate adds a fresh key and makes it the primary; it returns its id. The
// old keys stay: rows sealed under them are re-sealed in the background.
func (f *File) Rotate() string {
	ids := make([]string, len(f.Keys))
	for i, k := range f.Keys {
		ids[i] = k.ID
	}
	id := NextID(ids)
	f.Keys = append(f.Keys, FileKey{ID: id, Key: base64.StdEncoding.EncodeToString(NewSecret())})
	f.Primary = id
	return id
}

// Drop removes a key that is not the primary.
func (f *File) Drop(id string) error {
	if id == f.Primary {
		return errors.New("the primary key cannot be dropped")
	}
	for i, k := range f.Keys {
		if k.ID == id {
			f.Keys = append(f.Keys[:i], f.Keys[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("no key %s", id)
}

// NextID returns k<n+1> for the highest k<n> among ids.
func NextID(ids []string) string {
	n := 0
	for _, id := range ids {
		if v, err := strconv.Atoi(strings.TrimPrefix(id, "k")); err == nil && strings.HasPrefix(id, "k") && v > n {
			n = v
		}
	}
	return "k" + strconv.Itoa(n+1)
}

// ParseEnv reads WHISTLE_DATA_KEY: comma-separated id=base64 pairs, the
// primary first (e.g. "k2=…,k1=…"). A bare base64 key is k1.
func ParseEnv(v string) (*Ring, []Key, error) {
	var keys []Key
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, enc, ok := strings.Cut(part, "=")
		if !ok || len(id) > 16 { // a bare key (base64 may end in '=')
			id, enc = "k1", part
		}
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return nil, nil, fmt.Errorf("WHISTLE_DATA_KEY: key %s: %w", id, err)
		}
		keys = append(keys, Key{ID: id, Secret: b})
	}
	if len(keys) == 0 {
		return nil, nil, errors.New("WHISTLE_DATA_KEY is empty")
	}
	r, err := NewRing(keys[0].ID, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("WHISTLE_DATA_KEY: %w", err)
	}
	return r, keys, nil
}

// FormatEnv writes keys (the primary first) as WHISTLE_DATA_KEY's value.
func FormatEnv(keys []Key) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.ID + "=" + base64.StdEncoding.EncodeToString(k.Secret)
	}
	return strings.Join(parts, ",")
}
