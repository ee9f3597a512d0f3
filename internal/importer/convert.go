package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"unicode/utf8"

	"whistle/internal/errs"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Locator resolves a coordinate to its places (core.Core.Locate): an
// errs.OutsideCity error means no known place holds it.
type Locator interface {
	Locate(lat, lon float64) (lifecycle.Location, error)
}

// Slug makes a category code segment of a source's code or name:
// lowercase letters, digits and underscores, at most 48 characters (a
// hash when nothing is left).
func Slug(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	out := strings.TrimSuffix(b.String(), "_")
	if len(out) > 48 {
		out = strings.TrimSuffix(out[:48], "_")
	}
	if out == "" && s != "" {
		h := sha256.Sum256([]byte(s))
		out = "x" + hex.EncodeToString(h[:6])
	}
	return out
}

// CategoryOf is the Whistle category of a row's service: prefix.slug(code),
// or of the name when the source has no code.
func CategoryOf(prefix string, r Row) org.Category {
	key := r.CategoryCode
	if key == "" {
		key = r.CategoryName
	}
	name := r.CategoryName
	if name == "" {
		name = r.CategoryCode
	}
	return org.Category{Code: prefix + "." + Slug(key), Parent: prefix, NameZH: name, NameEN: name, Urgency: "general", Leaf: true, Active: true}
}

// MaxText bounds imported free texts (runes), as the intake does.
const MaxText = 4000

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// Convert makes a case of a row. Open requests are received (awaiting
// dispatch) with no deadlines and no timers: they are history, not work
// the system should escalate; closed ones are closed at their closed (or
// else updated) time. The citizen is anonymous: these files carry no
// personal data. Coordinates outside every known place are kept with the
// address and no place.
func Convert(r Row, category string, source string, loc Locator) (store.ImportCase, error) {
	c := lifecycle.Case{
		Channel: r.Channel, Type: "report", Category: category, Urgency: "general",
		Title: clip(r.Title, 100), Description: clip(r.Description, MaxText),
		Citizen:   lifecycle.Citizen{Anonymous: true},
		CreatedAt: r.Created, ReceivedAt: r.Created, UpdatedAt: r.Created,
	}
	if c.Title == "" {
		c.Title = clip(category, 100)
	}
	if r.Lat != nil && r.Lon != nil {
		l, err := loc.Locate(*r.Lat, *r.Lon)
		var e *errs.Error
		switch {
		case err == nil:
			c.Location = l
		case errors.As(err, &e) && e.Code == errs.OutsideCity:
			lat, lon := *r.Lat, *r.Lon
			c.Location = lifecycle.Location{Lat: &lat, Lon: &lon}
		default:
			return store.ImportCase{}, err
		}
	}
	c.Location.Address = clip(r.Address, 500)
	data := map[string]any{"source": source, "external_id": r.ExternalID}
	evs := []lifecycle.Event{{Action: lifecycle.ActCreate, ToState: lifecycle.Received, ActorName: "import", At: r.Created, Data: data}}
	c.State = lifecycle.Received
	if r.Updated.After(c.UpdatedAt) {
		c.UpdatedAt = r.Updated
	}
	if r.Status == StatusClosed {
		c.State, c.ClosedAt = lifecycle.Closed, r.Closed
		if c.ClosedAt.After(c.UpdatedAt) {
			c.UpdatedAt = c.ClosedAt
		}
		evs = append(evs, lifecycle.Event{Action: lifecycle.ActClose, FromState: lifecycle.Received, ToState: lifecycle.Closed, ActorName: "import", At: c.ClosedAt, Data: data})
	}
	c.Version = int64(len(evs))
	return store.ImportCase{ExternalID: r.ExternalID, Case: c, Events: evs}, nil
}
