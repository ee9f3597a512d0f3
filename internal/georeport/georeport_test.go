package georeport_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/georeport"
	"whistle/internal/open311"
	"whistle/internal/org"
	"whistle/internal/seed"
)

func newService(t *testing.T) (*georeport.Service, context.Context) {
	t.Helper()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.FastHash = true
	cfg.SQLiteSync = "normal"
	a, err := app.Open(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := seed.Demo(t.Context(), a.Svc, demo.Options{Seed: 3, Requests: 10}, auth.FastHasher(), nil); err != nil {
		t.Fatal(err)
	}
	return a.Svc.Open311, t.Context()
}

func o311Code(err error) int {
	var oe *open311.Error
	if errors.As(err, &oe) {
		return oe.Code
	}
	return 0
}

// TestServicesAndMapping: every active leaf category is a service with its
// own code until a mapping row names it; an inactive row withdraws it;
// definitions of unknown or inactive services are 404; the mapping's
// checks; only administrators edit it.
func TestServicesAndMapping(t *testing.T) {
	s, ctx := newService(t)
	admin := org.Actor{User: org.User{Roles: []string{org.RoleAdmin}}}
	agent := org.Actor{User: org.User{Roles: []string{org.RoleAgent}}}
	list, err := s.Services(ctx, "zh")
	if err != nil || len(list) == 0 {
		t.Fatalf("services %v %v", list, err)
	}
	var cat string
	for code, c := range s.CategoryMap() {
		if c.Active && c.Leaf {
			found := false
			for _, sv := range list {
				found = found || sv.Code == code
			}
			if !found {
				t.Fatalf("active leaf category %s is not a service", code)
			}
			cat = code
		}
	}
	if err := s.PutMapping(ctx, agent, georeport.MappingInput{Code: "x", Category: cat, Name: "x"}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("agent edits the mapping: %v", err)
	}
	for name, in := range map[string]georeport.MappingInput{
		"code":     {Code: "a b", Category: cat, Name: "x"},
		"category": {Code: "x", Category: "nosuch", Name: "x"},
		"name":     {Code: "x", Category: cat},
		"attrs":    {Code: "x", Category: cat, Name: "x", Attributes: []open311.Attribute{{Code: "a", Datatype: "bool"}}},
	} {
		if err := s.PutMapping(ctx, admin, in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := s.PutMapping(ctx, admin, georeport.MappingInput{Code: "mine", Category: cat, Name: "Mine", Active: true}); err != nil {
		t.Fatal(err)
	}
	list, _ = s.Services(ctx, "zh")
	codes := map[string]bool{}
	for _, sv := range list {
		codes[sv.Code] = true
	}
	if !codes["mine"] || codes[cat] {
		t.Fatalf("after mapping %s: services %v", cat, codes)
	}
	if err := s.PutMapping(ctx, admin, georeport.MappingInput{Code: "mine", Category: cat, Name: "Mine", Active: false}); err != nil {
		t.Fatal(err)
	}
	list, _ = s.Services(ctx, "zh")
	for _, sv := range list {
		if sv.Code == "mine" || sv.Code == cat {
			t.Fatalf("an inactive mapping still offers %s", sv.Code)
		}
	}
	if _, err := s.Definition(ctx, "mine"); o311Code(err) != 404 {
		t.Fatalf("inactive definition: %v", err)
	}
	if err := s.DeleteMapping(ctx, admin, "mine"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Definition(ctx, cat); err != nil {
		t.Fatalf("the default is back: %v", err)
	}
}

// TestJurisdictionAndKeys: one city, named by its code; an unknown
// jurisdiction is 404. Keys: admin only, 403 when unknown or revoked.
func TestJurisdictionAndKeys(t *testing.T) {
	s, ctx := newService(t)
	js := s.Jurisdictions()
	if len(js) != 1 {
		t.Fatalf("jurisdictions %v", js)
	}
	if d, err := s.Jurisdiction(""); err != nil || d != nil {
		t.Fatalf("none: %v %v", d, err)
	}
	if _, err := s.Jurisdiction(js[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Jurisdiction("atlantis"); o311Code(err) != 404 {
		t.Fatalf("unknown: %v", err)
	}
	admin := org.Actor{User: org.User{Roles: []string{org.RoleAdmin}}}
	if _, _, err := s.CreateKey(ctx, org.Actor{User: org.User{Roles: []string{org.RoleDispatcher}}}, "x"); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("dispatcher creates a key: %v", err)
	}
	key, k, err := s.CreateKey(ctx, admin, "client")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Key(ctx, key); err != nil || got.ID != k.ID {
		t.Fatalf("key: %v %v", got, err)
	}
	for _, bad := range []string{"", "w311_x", key + "x"} {
		if _, err := s.Key(ctx, bad); o311Code(err) != 403 {
			t.Fatalf("key %q: %v", bad, err)
		}
	}
	if err := s.RevokeKey(ctx, admin, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(ctx, key); o311Code(err) != 403 {
		t.Fatalf("revoked key: %v", err)
	}
}
