package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"whistle/internal/sealed"
)

// DefaultKeyFile is the key file's name in the data directory when no
// other is given: beside the SQLite file, never inside the database.
const DefaultKeyFile = "whistle.key"

// Keys are the secrets that protect personal data at rest: the data keys
// that seal it and the key of the phone hashes. They come from a key file
// (KeyFile, WHISTLE_KEY_FILE; default whistle.key in the data directory)
// or from the environment (WHISTLE_DATA_KEY, WHISTLE_PHONE_KEY) — never
// from the database.
type Keys struct {
	Ring     *sealed.Ring
	PhoneKey string       // "" until settled (see app)
	Path     string       // the key file; "" when the keys came from the environment
	File     *sealed.File // the key file's contents; nil with WHISTLE_DATA_KEY
	Created  bool         // the key file was made by this start
}

// KeyFilePath is the key file in use when WHISTLE_DATA_KEY is not set.
func (c Config) KeyFilePath() string {
	if c.KeyFile != "" {
		return c.KeyFile
	}
	return filepath.Join(c.Data, DefaultKeyFile)
}

// LoadKeys reads the keys. With create, a missing default key file (a
// first start of the embedded setup) is made with a fresh key, mode 0600;
// a key file named explicitly must exist.
func (c Config) LoadKeys(create bool) (*Keys, error) {
	if c.DataKey != "" {
		ring, _, err := sealed.ParseEnv(c.DataKey)
		if err != nil {
			return nil, err
		}
		return &Keys{Ring: ring, PhoneKey: c.PhoneKey}, nil
	}
	path := c.KeyFilePath()
	f, err := sealed.LoadFile(path)
	created := false
	if errors.Is(err, fs.ErrNotExist) {
		if !create || c.KeyFile != "" {
			return nil, fmt.Errorf("no key file at %s: give WHISTLE_KEY_FILE (--key-file) or WHISTLE_DATA_KEY", path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, err
		}
		f = sealed.NewFile("x")
		f.PhoneKey = "" // settled by the application: kept from an older database, or new
		if err := f.Save(path, true); err != nil {
			return nil, fmt.Errorf("key file: %w", err)
		}
		created, err = true, nil
	}
	if err != nil {
		return nil, err
	}
	ring, err := f.Ring()
	if err != nil {
		return nil, err
	}
	pk := f.PhoneKey
	if c.PhoneKey != "" {
		pk = c.PhoneKey
	}
	return &Keys{Ring: ring, PhoneKey: pk, Path: path, File: f, Created: created}, nil
}

// Reload re-reads the key file into the ring (a rotation done by `whistle
// keys rotate` while the server runs). Keys from the environment stay.
func (k *Keys) Reload() error {
	if k.Path == "" {
		return nil
	}
	f, err := sealed.LoadFile(k.Path)
	if err != nil {
		return err
	}
	keys, err := f.Secrets()
	if err != nil {
		return err
	}
	k.File = f
	return k.Ring.Set(f.Primary, keys)
}
