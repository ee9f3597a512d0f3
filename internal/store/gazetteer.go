package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"whistle/internal/errs"
	"whistle/internal/gazetteer"
	"whistle/internal/org"
)

// ---- boundary import ----

// PlaceImport is one place of a boundary import, its parent named by code.
type PlaceImport struct {
	Code, Name, Level, ParentCode string
	Boundary                      string // GeoJSON geometry
	Aliases                       []string
}

// ImportCounts says what an import wrote.
type ImportCounts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// ImportPlaces creates or updates places by code, in the given order
// (parents before children), and replaces their imported aliases. Run it
// inside Write: any failure (an unknown parent, a level clash) fails the
// whole transaction, so nothing is half-imported.
func (q Queries) ImportPlaces(ctx context.Context, ps []PlaceImport, now time.Time) (ImportCounts, error) {
	var n ImportCounts
	for i, p := range ps {
		var parent any
		if p.ParentCode != "" {
			var pid int64
			err := q.row(ctx, "SELECT id FROM places WHERE code = ?", p.ParentCode).Scan(&pid)
			if errors.Is(err, sql.ErrNoRows) {
				return n, &errs.Error{Code: errs.UnknownPlace, Field: "parent", Detail: fmt.Sprintf("feature %d (%s): parent %s does not exist", i+1, p.Code, p.ParentCode)}
			}
			if err != nil {
				return n, err
			}
			parent = pid
		}
		var id int64
		var level string
		err := q.row(ctx, "SELECT id, level FROM places WHERE code = ?", p.Code).Scan(&id, &level)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			pl := org.Place{Level: p.Level, Code: p.Code, Name: p.Name, Boundary: p.Boundary}
			if parent != nil {
				pl.ParentID = parent.(int64)
			}
			if err := q.InsertPlace(ctx, &pl); err != nil {
				return n, err
			}
			id = pl.ID
			n.Created++
		case err != nil:
			return n, err
		case level != p.Level:
			return n, &errs.Error{Code: errs.Invalid, Field: "level", Detail: fmt.Sprintf("feature %d: place %s is a %s, not a %s", i+1, p.Code, level, p.Level)}
		default:
			if _, err := q.exec(ctx, "UPDATE places SET name = ?, parent_id = ?, boundary = ? WHERE id = ?", p.Name, parent, p.Boundary, id); err != nil {
				return n, err
			}
			n.Updated++
		}
		if _, err := q.exec(ctx, "DELETE FROM gazetteer WHERE place_id = ? AND source = 'import'", id); err != nil {
			return n, err
		}
		for _, a := range p.Aliases {
			e := gazetteer.Entry{Kind: gazetteer.KindAlias, Name: a, PlaceID: id, Source: "import"}
			if err := q.InsertGazetteerEntry(ctx, &e, 0, now); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// ---- gazetteer ----

// InsertGazetteerEntry stores an entry (e.ID is set).
func (q Queries) InsertGazetteerEntry(ctx context.Context, e *gazetteer.Entry, by int64, now time.Time) error {
	return q.row(ctx, `INSERT INTO gazetteer(kind, name, aliases, place_id, lat, lon, num_from, num_to, source, created_by, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		e.Kind, e.Name, strings.Join(e.Aliases, "|"), e.PlaceID, nullFloat(e.Lat), nullFloat(e.Lon), e.NumFrom, e.NumTo, e.Source, by, ms(now)).Scan(&e.ID)
}

// DeleteGazetteerEntry removes a stored entry.
func (q Queries) DeleteGazetteerEntry(ctx context.Context, id int64) error {
	return affected1(q.exec(ctx, "DELETE FROM gazetteer WHERE id = ?", id))
}

// GazetteerEntries lists every stored entry.
func (q Queries) GazetteerEntries(ctx context.Context) ([]gazetteer.Entry, error) {
	rows, err := q.query(ctx, "SELECT id, kind, name, aliases, place_id, lat, lon, num_from, num_to, source FROM gazetteer ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []gazetteer.Entry
	for rows.Next() {
		var e gazetteer.Entry
		var aliases string
		var lat, lon sql.NullFloat64
		if err := rows.Scan(&e.ID, &e.Kind, &e.Name, &aliases, &e.PlaceID, &lat, &lon, &e.NumFrom, &e.NumTo, &e.Source); err != nil {
			return nil, err
		}
		if aliases != "" {
			e.Aliases = strings.Split(aliases, "|")
		}
		e.Lat, e.Lon = floatPtr(lat), floatPtr(lon)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ResolvedAddresses returns the address, coordinates and places of the
// most recently closed cases that have an address (at most limit), for
// learning the gazetteer.
func (q Queries) ResolvedAddresses(ctx context.Context, limit int) ([]gazetteer.Observation, error) {
	addr, lat, lon := "json_extract(doc, '$.location.address')", "json_extract(doc, '$.location.lat')", "json_extract(doc, '$.location.lon')"
	if q.dialect == Postgres {
		addr, lat, lon = "(doc::jsonb)->'location'->>'address'", "((doc::jsonb)->'location'->>'lat')::float8", "((doc::jsonb)->'location'->>'lon')::float8"
	}
	rows, err := q.query(ctx, "SELECT "+addr+", "+lat+", "+lon+", district_id, street_id, community_id, grid_id FROM cases"+
		" WHERE closed_at > 0 AND district_id <> 0 ORDER BY closed_at DESC, id DESC LIMIT ?", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []gazetteer.Observation
	for rows.Next() {
		var o gazetteer.Observation
		var a sql.NullString
		var la, lo sql.NullFloat64
		if err := rows.Scan(&a, &la, &lo, &o.DistrictID, &o.StreetID, &o.CommunityID, &o.GridID); err != nil {
			return nil, err
		}
		if !a.Valid || a.String == "" {
			continue
		}
		if o.Address, err = q.open(a.String); err != nil {
			return nil, err
		}
		if la.Valid && lo.Valid {
			o.Lat, o.Lon = floatPtr(la), floatPtr(lo)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// HasPlacedClosedCases reports whether any case with a place has been
// closed: what ResolvedAddresses returns, and the gazetteer learns from.
// It searches the placed cases (the district index), not the closed ones:
// a store of imported history outside the city's places (Boston's) has
// hundreds of thousands of closed cases and none placed, and a search
// from the closed side would read every one of them (0.9 s at 440,000;
// the "+" keeps SQLite's planner off the closed_at index).
func (q Queries) HasPlacedClosedCases(ctx context.Context) (bool, error) {
	var n int
	err := q.row(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE district_id > 0 AND +closed_at > 0 LIMIT 1) t").Scan(&n)
	return n > 0, err
}

func nullFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func floatPtr(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	v := f.Float64
	return &v
}
