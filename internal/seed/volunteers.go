package seed

import (
	"context"
	"fmt"
	"time"

	"whistle/internal/demo"
	"whistle/internal/org"
	"whistle/internal/services"
	"whistle/internal/store"
	"whistle/internal/volunteering"
)

// Fictional people of the communities' registries and care lists.
var (
	careNames = []string{"郝秀梅", "季长庚", "邱玉兰", "童小满", "蒋德顺", "聂桂芝", "贺天佑", "尹淑珍"}
	pending   = []string{"苗晓光", "柏思源", "钟映雪", "卜一帆"}
	taskPlans = []struct{ kind, title, place string }{
		{volunteering.TaskPatrol, "楼门院治理巡逻", "小区东门"},
		{volunteering.TaskCareVisit, "独居老人上门探访", "3号楼"},
		{volunteering.TaskEvent, "垃圾分类宣传", "社区广场"},
		{volunteering.TaskPatrol, "夜间平安巡逻", "背街小巷"},
		{volunteering.TaskEmergency, "雨后积水排查", "地下车库入口"},
		{volunteering.TaskEvent, "便民理发服务", "社区服务站"},
	}
)

// volunteers seeds issue #15's records into the demo city's communities:
// each community's volunteers (the demo's volunteer accounts, linked and
// active; one a 小巷管家), pending registrations, tasks over the last
// weeks with hours confirmed and points credited, upcoming tasks, and a
// care list with consent and visits (some overdue). Written directly, like
// the rest of the history before the demo's end.
func volunteers(ctx context.Context, svc *services.Services, ds *demo.Dataset, end time.Time) error {
	ex := volunteering.DefaultExchange
	return svc.St.Write(ctx, func(tx *store.Tx) error {
		ci := 0
		for _, u := range ds.Units {
			if u.Kind != org.KindCommunity {
				continue
			}
			var staff int64
			var vols []volunteering.Volunteer
			for _, du := range ds.Users {
				switch {
				case du.UnitID != u.ID:
				case du.Has(org.RoleHandler) && staff == 0:
					staff = du.ID
				case du.Has(org.RoleVolunteer):
					v := volunteering.Volunteer{UnitID: u.ID, Name: du.DisplayName, Phone: fmt.Sprintf("1390000%02d%02d", ci, len(vols)),
						Skills: []string{"patrol", "care"}, Duty: volunteering.DutyVolunteer, State: volunteering.Active, UserID: du.ID,
						CreatedAt: end.AddDate(0, -3, 0), ApprovedAt: end.AddDate(0, -3, 1)}
					if len(vols) == 0 {
						v.Duty = volunteering.DutyLaneSteward
					}
					vols = append(vols, v)
				}
			}
			for i := range vols {
				vols[i].ApprovedBy = staff
				if err := tx.InsertVolunteer(ctx, &vols[i]); err != nil {
					return err
				}
			}
			p := volunteering.Volunteer{UnitID: u.ID, Name: pending[ci%len(pending)], Phone: fmt.Sprintf("1391111%04d", ci), Skills: []string{"teaching"},
				Duty: volunteering.DutyVolunteer, State: volunteering.Pending, CreatedAt: end.Add(-time.Duration(ci+2) * time.Hour)}
			if err := tx.InsertVolunteer(ctx, &p); err != nil {
				return err
			}
			// Past tasks: one every eight days, each worked by one or two
			// volunteers and confirmed the next day.
			for k := range 8 {
				plan := taskPlans[(k+ci)%len(taskPlans)]
				start := time.Date(end.Year(), end.Month(), end.Day(), 9+k%3*5, 0, 0, 0, end.Location()).AddDate(0, 0, -8*(k+1))
				t := volunteering.Task{UnitID: u.ID, Kind: plan.kind, Title: plan.title, Place: plan.place, StartsAt: start, EndsAt: start.Add(3 * time.Hour),
					Slots: 3, CreatedBy: staff, CreatedAt: start.AddDate(0, 0, -3)}
				if err := tx.InsertVolunteerTask(ctx, &t); err != nil {
					return err
				}
				for j := range 1 + (k+ci)%2 {
					v := vols[(k+j)%len(vols)]
					su := volunteering.Signup{TaskID: t.ID, VolunteerID: v.ID, SignedAt: start.AddDate(0, 0, -2)}
					su.CheckIn = start.Add(time.Duration(j*7) * time.Minute)
					if err := volunteering.CheckOut(&su, start.Add(time.Duration(100+20*((k+j)%4))*time.Minute)); err != nil {
						return err
					}
					if err := volunteering.Confirm(&su, su.Minutes, staff, start.AddDate(0, 0, 1), ex); err != nil {
						return err
					}
					if err := tx.InsertSignup(ctx, su); err != nil {
						return err
					}
				}
			}
			// Upcoming tasks, open for sign-up.
			for k := range 2 {
				plan := taskPlans[(k+ci+3)%len(taskPlans)]
				start := time.Date(end.Year(), end.Month(), end.Day(), 14, 0, 0, 0, end.Location()).AddDate(0, 0, k+1)
				t := volunteering.Task{UnitID: u.ID, Kind: plan.kind, Title: plan.title, Place: plan.place, StartsAt: start, EndsAt: start.Add(2 * time.Hour),
					Slots: 4, CreatedBy: staff, CreatedAt: end.Add(-24 * time.Hour)}
				if err := tx.InsertVolunteerTask(ctx, &t); err != nil {
					return err
				}
			}
			// The care list: two people per community, visited on plan —
			// and one of them late.
			for k := range 2 {
				name := careNames[(2*ci+k)%len(careNames)]
				created := end.AddDate(0, -4, -k)
				s := volunteering.Subject{UnitID: u.ID, Name: name, Phone: fmt.Sprintf("1392222%02d%02d", ci, k), Address: fmt.Sprintf("%d号楼%d单元", 3+k, 1+ci),
					CareType: volunteering.CareTypes[(ci+k)%len(volunteering.CareTypes)], EveryDays: []int{7, 14}[k], CreatedAt: created,
					Consent: volunteering.Consent{By: []string{volunteering.ConsentSelf, volunteering.ConsentGuardian}[k], Method: volunteering.ConsentWritten,
						At: created.Add(-time.Hour), RecordedBy: staff}}
				if err := tx.InsertCareSubject(ctx, &s); err != nil {
					return err
				}
				last := end
				if (ci+k)%3 == 0 {
					last = end.AddDate(0, 0, -s.EveryDays-4) // overdue by four days
				}
				for at := created.AddDate(0, 0, s.EveryDays); !at.After(last); at = at.AddDate(0, 0, s.EveryDays) {
					v := volunteering.Visit{SubjectID: s.ID, UnitID: u.ID, UserID: staff, At: at.Add(10 * time.Hour), Note: "身体状况良好，生活用品充足。"}
					if at.Day()%2 == 0 {
						v.VolunteerID, v.UserID = vols[k%len(vols)].ID, vols[k%len(vols)].UserID
					}
					if v.At.After(end) {
						break
					}
					if err := tx.InsertCareVisit(ctx, &v); err != nil {
						return err
					}
				}
			}
			ci++
		}
		return nil
	})
}
