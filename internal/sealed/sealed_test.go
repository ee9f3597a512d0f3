package sealed

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ring(t *testing.T, primary string, keys ...Key) *Ring {
	t.Helper()
	r, err := NewRing(primary, keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealOpen(t *testing.T) {
	k1, k2 := Key{"k1", NewSecret()}, Key{"k2", NewSecret()}
	r := ring(t, "k1", k1)
	for _, s := range []string{"", "13812345678", "王小明", "幸福路 8 号\n3 单元", strings.Repeat("x", 5000)} {
		v := r.Seal(s)
		if s == "" && v != "" {
			t.Errorf("empty sealed to %q", v)
		}
		if s != "" && (!strings.HasPrefix(v, "v1:k1:") || strings.Contains(v, s)) {
			t.Errorf("Seal(%q) = %q", s, v)
		}
		if s != "" && v == r.Seal(s) {
			t.Errorf("Seal(%q) twice gave the same value: the nonce is not random", s)
		}
		if got, err := r.Open(v); err != nil || got != s {
			t.Errorf("Open(Seal(%q)) = %q, %v", s, got, err)
		}
		if KeyID(v) != map[bool]string{true: "", false: "k1"}[s == ""] {
			t.Errorf("KeyID(%q) = %q", v, KeyID(v))
		}
	}
	old := r.Seal("13812345678")
	r2 := ring(t, "k2", k2)
	if _, err := r2.Open(old); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("another ring opened a value: %v", err)
	}
	if err := r2.Set("k2", []Key{k1, k2}); err != nil {
		t.Fatal(err)
	}
	if got, err := r2.Open(old); err != nil || got != "13812345678" || KeyID(r2.Seal("x")) != "k2" {
		t.Errorf("after Set: %q %v", got, err)
	}
	for _, bad := range []string{"v1:k1:", "v1:k1:!!!", "v1:k1", "v1:k1:" + old[6:len(old)-2] + "AA"} {
		if _, err := r.Open(bad); err == nil {
			t.Errorf("Open(%q) did not fail", bad)
		}
	}
	if got, _ := r.Open("clear 13812345678"); got != "clear 13812345678" {
		t.Errorf("clear text read as %q", got)
	}
	// The key id is authenticated: relabelling a value fails.
	k1b := Key{"k3", k1.Secret}
	r3 := ring(t, "k3", k1, k1b)
	if _, err := r3.Open("v1:k3:" + strings.TrimPrefix(old, "v1:k1:")); err == nil {
		t.Error("a value relabelled with another key id opened")
	}
}

func TestRingErrors(t *testing.T) {
	for _, c := range []struct {
		primary string
		keys    []Key
	}{
		{"k1", nil},
		{"k1", []Key{{"k1", []byte("short")}}},
		{"k:1", []Key{{"k:1", NewSecret()}}},
		{"k2", []Key{{"k1", NewSecret()}}},
	} {
		if _, err := NewRing(c.primary, c.keys); err == nil {
			t.Errorf("NewRing(%q, %d keys) accepted", c.primary, len(c.keys))
		}
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "whistle.key")
	f := NewFile("")
	if err := f.Save(path, true); err != nil {
		t.Fatal(err)
	}
	if err := NewFile("").Save(path, true); err == nil {
		t.Error("an exclusive save overwrote a key file")
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	r1, _ := f.Ring()
	v := r1.Seal("13812345678")
	if id := f.Rotate(); id != "k2" || f.Primary != "k2" || len(f.Keys) != 2 {
		t.Fatalf("rotate: %s %+v", id, f)
	}
	if err := f.Save(path, false); err != nil {
		t.Fatal(err)
	}
	g, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := g.Ring()
	if got, err := r2.Open(v); err != nil || got != "13812345678" || r2.Primary() != "k2" || g.PhoneKey != f.PhoneKey {
		t.Errorf("reloaded: %q %v %s", got, err, r2.Primary())
	}
	if err := g.Drop("k2"); err == nil {
		t.Error("dropped the primary")
	}
	os.Chmod(path, 0o644)
	if _, err := LoadFile(path); err == nil {
		t.Error("loaded a key file others can read")
	}
	if NextID([]string{"k1", "k9", "x"}) != "k10" {
		t.Error("NextID")
	}
}

func TestParseEnv(t *testing.T) {
	k1, k2 := Key{"k1", NewSecret()}, Key{"k2", NewSecret()}
	r, keys, err := ParseEnv(FormatEnv([]Key{k2, k1}))
	if err != nil || r.Primary() != "k2" || len(keys) != 2 {
		t.Fatalf("%v %v", keys, err)
	}
	bare := strings.TrimPrefix(FormatEnv([]Key{k1}), "k1=")
	if r, _, err := ParseEnv(bare); err != nil || r.Primary() != "k1" {
		t.Errorf("bare key: %v", err)
	}
	for _, bad := range []string{"", "k1=notbase64!", "k1=" + strings.TrimPrefix(FormatEnv([]Key{{"k1", []byte("short")}}), "k1=")} {
		if _, _, err := ParseEnv(bad); err == nil {
			t.Errorf("ParseEnv(%q) accepted", bad)
		}
	}
}
