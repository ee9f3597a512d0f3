package insighttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"whistle/internal/insight"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/services"
	"whistle/internal/store"
)

// Planted is what Plant put into the store.
type Planted struct {
	From, To         insight.Day // the period to analyse
	Category         string      // the category that rose
	District, Street int64       // where it rose
	Grid             int64
	Numbers          []string // the planted requests' numbers
}

// PlantedTitle is the text of the planted requests.
const PlantedTitle = "共享单车乱停放堵塞人行道"

// Plant writes a quiet background of requests in four categories over the
// 112 days up to to (about twelve a day, spread over the grids), and a
// planted rise in one grid of one street in the last 28 days: three
// requests a day of the first category about shared bikes, at the same
// address, mostly from the same caller. Then it fills the rollups.
func Plant(ctx context.Context, svc *services.Services, st *store.Store, dsn string, to insight.Day) (Planted, error) {
	var grids []org.Place
	for _, p := range svc.PlaceMap() {
		if p.Level == org.LevelGrid {
			grids = append(grids, p)
		}
	}
	sort.Slice(grids, func(i, j int) bool { return grids[i].ID < grids[j].ID })
	var cats []string
	for _, c := range svc.Categories() {
		if c.Leaf && c.Active {
			cats = append(cats, c.Code)
		}
	}
	sort.Strings(cats)
	if len(grids) < 4 || len(cats) < 4 {
		return Planted{}, fmt.Errorf("insighttest: a city of %d grids and %d categories is too small", len(grids), len(cats))
	}
	cats = cats[:4]
	g := grids[len(grids)/2]
	ch, _ := svc.Chain(g.ID)
	p := Planted{From: to - 27, To: to, Category: cats[0], District: ch[0], Street: ch[1], Grid: g.ID}
	rng := rand.New(rand.NewPCG(12, 34))
	var unit int64
	for _, u := range svc.UnitsList() {
		if u.Kind == org.KindStreet {
			unit = u.ID
			break
		}
	}
	n := 0
	mk := func(day insight.Day, cat string, grid org.Place, title, addr, phone string) *lifecycle.Case {
		n++
		gch, _ := svc.Chain(grid.ID)
		at := day.Time().Add(time.Duration(8*3600+rng.IntN(10*3600)) * time.Second)
		sat := ""
		if rng.IntN(3) == 0 {
			sat = lifecycle.Satisfied
		}
		return &lifecycle.Case{Number: fmt.Sprintf("T%s%05d", day.Time().Format("20060102"), n), Channel: "phone", Type: "complaint",
			Category: cat, Urgency: "general", Title: title, Description: title + "，请尽快处理。",
			Location: lifecycle.Location{Address: addr, DistrictID: gch[0], StreetID: gch[1], CommunityID: gch[2], GridID: gch[3]},
			Citizen:  lifecycle.Citizen{PhoneHash: svc.PhoneHash(phone)},
			State:    lifecycle.Closed, LeadUnitID: unit, Satisfaction: sat,
			CreatedAt: at, UpdatedAt: at, ClosedAt: at.Add(48 * time.Hour), Version: 1}
	}
	words := []string{"路灯不亮", "噪音扰民", "垃圾清运不及时", "道路破损", "绿化缺乏养护", "占道经营"}
	var batch []*lifecycle.Case
	for d := to - 111; d <= to; d++ {
		for ci, cat := range cats {
			for k := 0; k < 3; k++ {
				gr := grids[rng.IntN(len(grids))]
				batch = append(batch, mk(d, cat, gr, words[(ci+k+rng.IntN(2))%len(words)], fmt.Sprintf("某路%d号", rng.IntN(5000)), fmt.Sprintf("139%08d", rng.IntN(1e8))))
			}
		}
		if d >= p.From {
			for k := 0; k < 3; k++ {
				phone := "13800000001"
				if k > 0 {
					phone = fmt.Sprintf("137%08d", rng.IntN(1e8))
				}
				c := mk(d, p.Category, g, PlantedTitle, "幸福路88号", phone)
				batch = append(batch, c)
				p.Numbers = append(p.Numbers, c.Number)
			}
		}
	}
	if err := st.Write(ctx, func(tx *store.Tx) error {
		for _, c := range batch {
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return p, err
	}
	return p, nil
}
