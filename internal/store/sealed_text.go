package store

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"whistle/internal/sealed"
)

// Personal data sealed outside cases, case events and TOTP secrets: the
// volunteers' and the care list's names, phones, addresses and visit notes,
// a deliberation's proposer and the residents named at its meetings (inside
// its document), a webhook subscription's signing secret. The Resealer
// moves them to the primary key like the cases, and 'whistle keys drop'
// refuses a key any of them is still sealed under: without this, a key
// rotation followed by a drop left them unreadable.
var sealedText = []struct {
	table  string
	cols   []string
	keyCol string // a column recording the row's key, kept in step ("" for none)
}{
	{"volunteers", []string{"name", "phone"}, ""},
	{"care_subjects", []string{"name", "phone", "address"}, ""},
	{"care_visits", []string{"note"}, ""},
	{"deliberations", []string{"proposer_name", "proposer_phone", "doc"}, "seal_key"},
	{"subscriptions", []string{"secret"}, ""},
}

// sealedToken finds sealed values in a column, whole or inside a JSON
// document (the encoding is unpadded standard base64, which JSON leaves
// as it is).
var sealedToken = regexp.MustCompile(regexp.QuoteMeta(sealed.Prefix) + `[A-Za-z0-9]+:[A-Za-z0-9+/]+`)

// SealedTextCounts counts the values sealed under each key in those
// columns (for 'whistle keys status' and 'keys drop').
func (s *Store) SealedTextCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, t := range sealedText {
		err := s.eachSealedRow(ctx, s.Queries, t.table, t.cols, 0, 0, func(_ int64, vals []string) {
			for _, v := range vals {
				for _, tok := range sealedToken.FindAllString(v, -1) {
					out[sealed.KeyID(tok)]++
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ResealText re-seals under the primary key every value in those columns
// sealed under another key: the rows to change are found on the read pool,
// then changed batch by batch, each batch one write that reads its rows
// again. A value that does not open is logged and left. It returns how
// many rows it changed.
func (s *Store) ResealText(ctx context.Context, batch int) (int, error) {
	if s.ring == nil {
		return 0, nil
	}
	if batch <= 0 {
		batch = 200
	}
	primary := s.ring.Primary()
	stale := func(vals []string) bool {
		for _, v := range vals {
			for _, tok := range sealedToken.FindAllString(v, -1) {
				if sealed.KeyID(tok) != primary {
					return true
				}
			}
		}
		return false
	}
	total := 0
	for _, t := range sealedText {
		var todo []int64
		if err := s.eachSealedRow(ctx, s.Queries, t.table, t.cols, 0, 0, func(id int64, vals []string) {
			if stale(vals) {
				todo = append(todo, id)
			}
		}); err != nil {
			return total, err
		}
		for chunk := range slices.Chunk(todo, batch) {
			n := 0
			err := s.Write(ctx, func(tx *Tx) error {
				n = 0
				type row struct {
					id   int64
					vals []string
				}
				var rows []row
				if err := s.eachSealedRow(ctx, tx.Queries, t.table, t.cols, chunk[0], chunk[len(chunk)-1], func(id int64, vals []string) {
					if stale(vals) {
						rows = append(rows, row{id, slices.Clone(vals)})
					}
				}); err != nil {
					return err
				}
				set := strings.Join(t.cols, " = ?, ") + " = ?"
				if t.keyCol != "" {
					set += ", " + t.keyCol + " = ?"
				}
				for _, r := range rows {
					args := make([]any, 0, len(r.vals)+2)
					ok := true
					for _, v := range r.vals {
						nv := sealedToken.ReplaceAllStringFunc(v, func(tok string) string {
							if sealed.KeyID(tok) == primary || !ok {
								return tok
							}
							clear, err := tx.open(tok)
							if err != nil {
								s.log.Warn("reseal: a sealed value does not open; row skipped", "table", t.table, "id", r.id, "err", err)
								ok = false
								return tok
							}
							return tx.seal(clear)
						})
						args = append(args, nv)
					}
					if !ok {
						continue
					}
					if t.keyCol != "" {
						args = append(args, primary)
					}
					args = append(args, r.id)
					if _, err := tx.exec(ctx, "UPDATE "+t.table+" SET "+set+" WHERE id = ?", args...); err != nil {
						return err
					}
					n++
				}
				return nil
			})
			if err != nil {
				return total, err
			}
			total += n
		}
	}
	return total, ctx.Err()
}

// eachSealedRow calls f with the id and the given columns of each row of
// table (ids from..to when to > 0), in id order.
func (s *Store) eachSealedRow(ctx context.Context, q Queries, table string, cols []string, from, to int64, f func(int64, []string)) error {
	query := "SELECT id, " + strings.Join(cols, ", ") + " FROM " + table
	var args []any
	if to > 0 {
		query += " WHERE id BETWEEN ? AND ?"
		args = append(args, from, to)
	}
	query += " ORDER BY id"
	if to > 0 {
		query += q.forUpdate()
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]string, len(cols))
	dest := make([]any, len(cols)+1)
	var id int64
	dest[0] = &id
	for i := range vals {
		dest[i+1] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		f(id, vals)
	}
	return rows.Err()
}
