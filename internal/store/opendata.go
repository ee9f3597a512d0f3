package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// OpenDataRow is what the open-data export may know of one case: no
// citizen column is read and of the document only these fields are kept,
// so that names, phones, addresses and free text never leave the store on
// this path.
type OpenDataRow struct {
	ID           int64
	Number       string
	Channel      string
	Type         string
	Category     string
	State        string
	DistrictID   int64
	StreetID     int64
	CommunityID  int64
	GridID       int64
	Lat, Lon     *float64
	Confidential bool
	CreatedAt    time.Time
	ClosedAt     time.Time
	ReplyBy      time.Time
	RepliedAt    time.Time
	Satisfaction string
}

// OpenDataCases lists cases created in [from, to) with id > afterID, by id,
// at most limit of them.
func (q Queries) OpenDataCases(ctx context.Context, from, to time.Time, afterID int64, limit int) ([]OpenDataRow, error) {
	rows, err := q.query(ctx, "SELECT id, number, channel, type, category, state, district_id, street_id, community_id, grid_id, created_at, closed_at, doc FROM cases WHERE created_at >= ? AND created_at < ? AND id > ? ORDER BY id LIMIT ?",
		ms(from), ms(to), afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OpenDataRow
	for rows.Next() {
		var r OpenDataRow
		var created, closed int64
		var doc string
		if err := rows.Scan(&r.ID, &r.Number, &r.Channel, &r.Type, &r.Category, &r.State, &r.DistrictID, &r.StreetID, &r.CommunityID, &r.GridID, &created, &closed, &doc); err != nil {
			return nil, err
		}
		var d struct {
			Location struct {
				Lat *float64 `json:"lat"`
				Lon *float64 `json:"lon"`
			} `json:"location"`
			Citizen struct {
				Confidential bool `json:"confidential"`
			} `json:"citizen"`
			ReplyBy      time.Time `json:"reply_by"`
			RepliedAt    time.Time `json:"replied_at"`
			Satisfaction string    `json:"satisfaction"`
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return nil, fmt.Errorf("store: case %d: %w", r.ID, err)
		}
		r.CreatedAt, r.ClosedAt = fromMS(created), fromMS(closed)
		r.Lat, r.Lon, r.Confidential = d.Location.Lat, d.Location.Lon, d.Citizen.Confidential
		r.ReplyBy, r.RepliedAt, r.Satisfaction = d.ReplyBy, d.RepliedAt, d.Satisfaction
		out = append(out, r)
	}
	return out, rows.Err()
}
