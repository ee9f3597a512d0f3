package seed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"whistle/internal/audit"
	"whistle/internal/auth"
	"whistle/internal/demo"
	"whistle/internal/org"
	"whistle/internal/services"
	"whistle/internal/store"
)

// Bootstrap prepares an empty store for real use: the city, its 12345
// centre, an administrator and a starting category taxonomy. It does
// nothing on a store that already has places. The administrator's password
// is the one given, or a random one; it is returned so it can be shown once.
func Bootstrap(ctx context.Context, svc *services.Services, h auth.Hasher, cityName, adminPassword string) (created bool, password string, err error) {
	st := svc.St
	existing, err := st.Places(ctx, false)
	if err != nil || len(existing) > 0 {
		return false, "", err
	}
	password = adminPassword
	if password == "" {
		b := make([]byte, 12)
		rand.Read(b)
		password = base64.RawURLEncoding.EncodeToString(b)
	}
	hash, err := h.Hash(password)
	if err != nil {
		return false, "", fmt.Errorf("admin password: %w", err)
	}
	if cityName == "" {
		cityName = "本市"
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		city := org.Place{Level: org.LevelCity, Code: "city", Name: cityName}
		if err := tx.InsertPlace(ctx, &city); err != nil {
			return err
		}
		centre := org.Unit{Code: "centre", Name: cityName + "12345市民服务热线中心", Kind: org.KindCityCentre, PlaceID: city.ID}
		if err := tx.InsertUnit(ctx, &centre); err != nil {
			return err
		}
		admin := org.User{Username: "admin", DisplayName: "系统管理员", UnitID: centre.ID, Roles: []string{org.RoleAdmin}}
		if err := tx.InsertUser(ctx, &admin, hash, svc.Now()); err != nil {
			return err
		}
		for _, c := range demo.Taxonomy() {
			if err := tx.UpsertCategory(ctx, c); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, audit.Entry{At: svc.Now(), UserID: admin.ID, Action: "bootstrap", Target: "city", Detail: cityName})
	})
	if err != nil {
		return false, "", err
	}
	return true, password, svc.Reload(ctx)
}
