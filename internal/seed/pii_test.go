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
	"whistle/internal/casework"
	"whistle/internal/core"
	"whistle/internal/demo"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
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

// mobile is the grep of issue #11, literally: nothing in the database
// file or its WAL may match it — no phone number, and no run of digits
// that looks like one (division codes and phone hashes are written so that
// they cannot).
var mobile = regexp.MustCompile(`1[3-9]\d{9}`)

// noPhoneAtRest reads the SQLite database file and its WAL byte by byte:
// none of the citizens' phone numbers (read back through the store) nor
// the extra numbers given may occur anywhere, and the literal regex
// 1[3-9]\d{9} matches nothing at all.
func noPhoneAtRest(t *testing.T, svc *services.Services, extra ...string) {
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
	for _, p := range extra {
		phones[p] = true
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
					t.Errorf("%s holds a phone in clear at %d: …%q…", filepath.Base(f), i, b[j:min(len(b), i+80)])
				}
			}
		}
		// A match inside a run of 64 or more lowercase hex digits is part
		// of a hash (the audit chain's hex SHA-256s, which can hold such a
		// run by chance), not a number written down; every real phone is
		// checked exactly above.
		var runs [][]int
		for _, m := range mobile.FindAllIndex(b, -1) {
			lo, hi := m[0], m[1]
			for lo > 0 && isHex(b[lo-1]) {
				lo--
			}
			for hi < len(b) && isHex(b[hi]) {
				hi++
			}
			if hi-lo >= 64 {
				continue
			}
			runs = append(runs, m)
		}
		for k, m := range runs {
			if k < 5 {
				j := max(0, m[0]-40)
				t.Errorf("%s matches 1[3-9]\\d{9} at %d: …%q…", filepath.Base(f), m[0], b[j:min(len(b), m[1]+20)])
			}
		}
		t.Logf("%s: %d bytes; %d of %d phones, %d runs of 1[3-9]\\d{9}", filepath.Base(f), len(b), found, len(phones), len(runs))
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
	// A member of staff writes the caller's number into a note on the case.
	yes := true
	open, err := svc.St.Cases(ctx, org.Scope{All: true}, lifecycle.CaseFilter{Open: &yes, Limit: 1})
	if err != nil || len(open.Cases) == 0 {
		t.Fatalf("no open case: %v", err)
	}
	const typed = "13912345678"
	if _, _, err := svc.Cases.Act(ctx, org.System(), open.Cases[0].ID, casework.ActInput{Action: lifecycle.ActNote, Note: "已致电" + typed + "，无人接听"}); err != nil {
		t.Fatalf("note: %v", err)
	}
	evs, err := svc.St.Events(ctx, open.Cases[0].ID)
	if err != nil || evs[len(evs)-1].Note != "已致电"+typed+"，无人接听" {
		t.Fatalf("the note does not read back: %v", err)
	}
	noPhoneAtRest(t, svc, typed)
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
