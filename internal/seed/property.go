package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"whistle/internal/compound"
	"whistle/internal/demo"
	"whistle/internal/services"
	"whistle/internal/store"
)

// property stores the demo's managed compounds (物业, issue #15) and a
// year of residents' ratings of their property companies (1–5, one per
// phone per compound per quarter, the phones only as keyed hashes), then
// reloads the catalogue so that routing knows the compounds. Like the
// cases, they are written directly: they happened before the demo's end.
func property(ctx context.Context, svc *services.Services, ds *demo.Dataset, end time.Time) error {
	loc := svc.Location()
	rng := rand.New(rand.NewPCG(uint64(len(ds.Requests)), 0x3c6ef372fe94f82b))
	err := svc.St.Write(ctx, func(tx *store.Tx) error {
		for _, c := range ds.Compounds {
			c.UpdatedAt = end
			if err := tx.InsertCompound(ctx, &c); err != nil {
				return fmt.Errorf("compound %s: %w", c.Name, err)
			}
			// each company has a level of its own: a mean score between 2.8 and 4.6
			level := 2.8 + 1.8*rng.Float64()
			for q := range 4 {
				qEnd := end.AddDate(0, -3*q, 0)
				for i := range 6 + rng.IntN(10) {
					at := qEnd.Add(-time.Duration(rng.IntN(85*24)) * time.Hour).Add(-time.Duration(rng.IntN(600)) * time.Minute)
					score := int(level + rng.NormFloat64()*0.9 + 0.5)
					score = min(max(score, 1), 5)
					phone := fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1e9))
					r := compound.Rating{CompoundID: c.ID, UnitID: c.PropertyUnitID, CommunityID: c.CommunityID, Score: score,
						PhoneHash: svc.PhoneHash(phone), Quarter: compound.Quarter(at, loc), CreatedAt: at}
					if rng.IntN(3) == 0 {
						r.Comment = ratingComments[(score-1)*2+i%2]
					}
					if err := tx.InsertPropertyRating(ctx, &r); err != nil {
						return fmt.Errorf("rating of compound %s: %w", c.Name, err)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return svc.Reload(ctx)
}

// ratingComments are residents' comments, two per score.
var ratingComments = []string{
	"报修多次无人处理，物业费收了不办事。", "垃圾清运不及时，楼道卫生很差。",
	"保安经常不在岗，外来车辆随意进出。", "电梯故障修了好几次还是坏。",
	"服务一般，有问题能处理但比较慢。", "绿化维护还可以，停车管理有待加强。",
	"物业响应比较及时，维修师傅态度好。", "小区环境干净，管家有事必回。",
	"物业服务非常好，报修当天就解决了。", "管家主动上门了解需求，点赞！",
}
