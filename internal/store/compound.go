package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"whistle/internal/compound"
	"whistle/internal/errs"
)

// Managed compounds (小区) and residents' ratings of their property
// companies (物业, issue #15).

const compoundSelect = "SELECT id, name, address, aliases, boundary, community_id, property_unit_id, committee_unit_id, active, updated_at FROM compounds"

func scanCompound(sc interface{ Scan(...any) error }) (compound.Compound, error) {
	var c compound.Compound
	var aliases string
	var active int
	var at int64
	if err := sc.Scan(&c.ID, &c.Name, &c.Address, &aliases, &c.Boundary, &c.CommunityID, &c.PropertyUnitID, &c.CommitteeUnitID, &active, &at); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(aliases), &c.Aliases); err != nil {
		return c, fmt.Errorf("store: compound %d aliases: %w", c.ID, err)
	}
	if len(c.Aliases) == 0 {
		c.Aliases = nil
	}
	c.Active, c.UpdatedAt = active == 1, fromMS(at)
	return c, nil
}

func aliasesJSON(a []string) (string, error) {
	if a == nil {
		a = []string{}
	}
	b, err := json.Marshal(a)
	return string(b), err
}

// InsertCompound stores a new compound and sets its id.
func (q Queries) InsertCompound(ctx context.Context, c *compound.Compound) error {
	al, err := aliasesJSON(c.Aliases)
	if err != nil {
		return err
	}
	return q.row(ctx, "INSERT INTO compounds(name, address, aliases, boundary, community_id, property_unit_id, committee_unit_id, active, updated_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
		c.Name, c.Address, al, c.Boundary, c.CommunityID, c.PropertyUnitID, c.CommitteeUnitID, b2i(c.Active), ms(c.UpdatedAt)).Scan(&c.ID)
}

// UpdateCompound replaces a compound's fields (errs.NotFound when it does not exist).
func (q Queries) UpdateCompound(ctx context.Context, c compound.Compound) error {
	al, err := aliasesJSON(c.Aliases)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, "UPDATE compounds SET name = ?, address = ?, aliases = ?, boundary = ?, community_id = ?, property_unit_id = ?, committee_unit_id = ?, active = ?, updated_at = ? WHERE id = ?",
		c.Name, c.Address, al, c.Boundary, c.CommunityID, c.PropertyUnitID, c.CommitteeUnitID, b2i(c.Active), ms(c.UpdatedAt), c.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.NotFound)
	}
	return nil
}

// Compound returns one compound.
func (q Queries) Compound(ctx context.Context, id int64) (compound.Compound, error) {
	c, err := scanCompound(q.row(ctx, compoundSelect+" WHERE id = ?", id))
	return c, notFound(err)
}

// Compounds lists every compound (active or not) by id.
func (q Queries) Compounds(ctx context.Context) ([]compound.Compound, error) {
	rows, err := q.query(ctx, compoundSelect+" ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []compound.Compound
	for rows.Next() {
		c, err := scanCompound(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// InsertPropertyRating stores a resident's rating and sets its id; a second
// rating of the compound by the same phone in the same quarter is
// errs.Exists.
func (q Queries) InsertPropertyRating(ctx context.Context, r *compound.Rating) error {
	err := q.row(ctx, "INSERT INTO property_ratings(compound_id, unit_id, community_id, score, comment, phone_hash, quarter, created_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
		r.CompoundID, r.UnitID, r.CommunityID, r.Score, r.Comment, r.PhoneHash, r.Quarter, ms(r.CreatedAt)).Scan(&r.ID)
	if isUnique(err) {
		return errs.D(errs.Exists, "this phone has rated the compound's property company this quarter")
	}
	return err
}

// PropertyRated reports whether a phone (hash) rated a compound in a quarter.
func (q Queries) PropertyRated(ctx context.Context, compoundID int64, phoneHash, quarter string) (bool, error) {
	var n int
	err := q.row(ctx, "SELECT COUNT(*) FROM property_ratings WHERE compound_id = ? AND phone_hash = ? AND quarter = ?", compoundID, phoneHash, quarter).Scan(&n)
	return n > 0, err
}

// PropertyRatingSummaries counts the ratings given in [from, to) per rated
// property company.
func (q Queries) PropertyRatingSummaries(ctx context.Context, from, to time.Time) (map[int64]*compound.RatingSummary, error) {
	rows, err := q.query(ctx, "SELECT unit_id, score, COUNT(*) FROM property_ratings WHERE created_at >= ? AND created_at < ? GROUP BY unit_id, score", ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]*compound.RatingSummary{}
	for rows.Next() {
		var unit, score, n int64
		if err := rows.Scan(&unit, &score, &n); err != nil {
			return nil, err
		}
		s := out[unit]
		if s == nil {
			s = &compound.RatingSummary{UnitID: unit}
			out[unit] = s
		}
		s.Count += n
		s.Sum += score * n
		if score >= 1 && score <= 5 {
			s.ByStar[score-1] += n
		}
	}
	for _, s := range out {
		s.Summarize()
	}
	return out, rows.Err()
}

// PropertyRatings lists a property company's latest ratings (newest first;
// phone hashes are not read).
func (q Queries) PropertyRatings(ctx context.Context, unitID int64, limit int) ([]compound.Rating, error) {
	rows, err := q.query(ctx, "SELECT id, compound_id, unit_id, community_id, score, comment, quarter, created_at FROM property_ratings WHERE unit_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", unitID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []compound.Rating
	for rows.Next() {
		var r compound.Rating
		var at int64
		if err := rows.Scan(&r.ID, &r.CompoundID, &r.UnitID, &r.CommunityID, &r.Score, &r.Comment, &r.Quarter, &at); err != nil {
			return nil, err
		}
		r.CreatedAt = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
