package seed

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"whistle/internal/auth"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/sealed"
	"whistle/internal/services"
	"whistle/internal/store"
)

// dbFiles remembers the SQLite file behind each test's services.
var dbFiles sync.Map // *services.Services → path

// openSealed opens services over a fresh SQLite file whose personal data
// is sealed, as the application does, and remembers the file.
func openSealed(t *testing.T) *services.Services {
	t.Helper()
	ring, err := sealed.NewRing("k1", []sealed.Key{{ID: "k1", Secret: sealed.NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.db")
	st, err := store.Open(context.Background(), path, store.Options{Keys: ring})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := services.New(context.Background(), st, core.Config{PhoneKey: []byte("k"), ReopenLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	dbFiles.Store(svc, path)
	return svc
}

var (
	// mobile is the grep of the brief: it also matches inside hex digests
	// (phone and audit hashes, tokens) and 12-digit division codes.
	mobile = regexp.MustCompile(`1[3-9]\d{9}`)
	// standalone is a mobile number as a token of its own: not part of a
	// longer run of letters and digits.
	standalone = regexp.MustCompile(`(^|[^0-9A-Za-z])1[3-9]\d{9}($|[^0-9A-Za-z])`)
)

// noPhoneAtRest reads the SQLite database file and its WAL byte by byte:
// none of the citizens' phone numbers (read back through the store) may
// occur anywhere, nor any other mobile number standing alone (one typed
// into a description, say). Runs of the brief's regex that are part of a
// hex digest or of a longer code are counted and logged, not failed.
func noPhoneAtRest(t *testing.T, svc *services.Services) {
	t.Helper()
	v, ok := dbFiles.Load(svc)
	if !ok {
		t.Fatal("services not opened by openSealed")
	}
	path := v.(string)
	cases, err := svc.St.CasesCreated(context.Background(), time.Unix(0, 0), time.Now().AddDate(10, 0, 0), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	phones := map[string]bool{}
	for _, c := range cases {
		if c.Citizen.Phone != "" {
			phones[c.Citizen.Phone] = true
		}
	}
	if len(phones) < len(cases)/2 {
		t.Fatalf("only %d phones among %d cases: the check would prove little", len(phones), len(cases))
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			if f != path && os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		found := 0
		for i := 0; i+11 <= len(b); i++ {
			if b[i] == '1' && phones[string(b[i:i+11])] {
				if found++; found <= 5 {
					j := max(0, i-60)
					t.Errorf("%s holds a citizen's phone in clear at %d: …%q…", filepath.Base(f), i, b[j:min(len(b), i+80)])
				}
			}
		}
		alone := standalone.FindAllIndex(b, -1)
		for k, m := range alone {
			if k < 5 {
				t.Errorf("%s holds a phone number: %q", filepath.Base(f), b[m[0]:m[1]])
			}
		}
		t.Logf("%s: %d bytes; %d of %d citizens' phones, %d standalone mobile numbers; %d runs of 1[3-9]\\d{9} inside digests or codes",
			filepath.Base(f), len(b), found, len(phones), len(alone), len(mobile.FindAllIndex(b, -1)))
	}
}

// TestNoPhoneAtRest: a small demo city (every case with a caller's phone,
// some descriptions with one typed in) leaves no phone number in the
// database file or its WAL. TestDemoShape checks the same on a demo year.
func TestNoPhoneAtRest(t *testing.T) {
	ctx := context.Background()
	svc := openSealed(t)
	end := time.Date(2026, time.March, 20, 10, 0, 0, 0, svc.Location())
	res, err := Demo(ctx, svc, demo.Options{Seed: 3, Requests: 1500, End: end, Activity: true}, auth.FastHasher(), nil)
	if err != nil || res.Cases != 1500 {
		t.Fatalf("demo: %+v %v", res, err)
	}
	noPhoneAtRest(t, svc)
}
