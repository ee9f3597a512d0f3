package importer

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"whistle/internal/lifecycle"
)

// Mapping says how a CSV file's columns become requests (a YAML file; see
// docs/import/boston_2015.yaml).
type Mapping struct {
	// Source names the system the rows come from: ids are unique within it.
	Source string `yaml:"source"`
	// Times: a Go layout ("01/02/2006 03:04:05 PM") or "rfc3339", in the
	// IANA zone given (times with their own offset keep it).
	TimeFormat string `yaml:"time_format"`
	Zone       string `yaml:"zone"`
	Columns    struct {
		ID           string   `yaml:"id"`
		Created      string   `yaml:"created"`
		Updated      string   `yaml:"updated"`
		Closed       string   `yaml:"closed"`
		Status       string   `yaml:"status"`
		CategoryCode string   `yaml:"category_code"`
		CategoryName string   `yaml:"category_name"`
		Title        string   `yaml:"title"`
		Description  []string `yaml:"description"` // joined with newlines, empty ones left out
		Address      string   `yaml:"address"`
		Lat          string   `yaml:"lat"`
		Lon          string   `yaml:"lon"`
		Channel      string   `yaml:"channel"`
	} `yaml:"columns"`
	// Status maps the source's status values (compared without case) to
	// open or closed; a value not listed is refused.
	Status map[string]string `yaml:"status"`
	// Channels maps the source's channel values to Whistle channels;
	// DefaultChannel is used for values not listed (and without a column).
	Channels       map[string]string `yaml:"channels"`
	DefaultChannel string            `yaml:"default_channel"`
}

// LoadMapping reads and checks a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseMapping(f)
}

// ParseMapping reads and checks a mapping.
func ParseMapping(r io.Reader) (*Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return &m, m.check()
}

func (m *Mapping) check() error {
	c := m.Columns
	switch {
	case m.Source == "":
		return fmt.Errorf("mapping: source is required")
	case c.ID == "":
		return fmt.Errorf("mapping: columns.id is required")
	case c.Created == "":
		return fmt.Errorf("mapping: columns.created is required")
	case c.CategoryCode == "" && c.CategoryName == "":
		return fmt.Errorf("mapping: columns.category_code or columns.category_name is required")
	case (c.Lat == "") != (c.Lon == ""):
		return fmt.Errorf("mapping: columns.lat and columns.lon go together")
	case c.Status != "" && len(m.Status) == 0:
		return fmt.Errorf("mapping: columns.status needs the status value map")
	}
	if m.TimeFormat == "" {
		m.TimeFormat = "rfc3339"
	}
	if m.Zone == "" {
		m.Zone = "UTC"
	}
	if _, err := time.LoadLocation(m.Zone); err != nil {
		return fmt.Errorf("mapping: zone %q: %w", m.Zone, err)
	}
	for k, v := range m.Status {
		if v != "open" && v != "closed" {
			return fmt.Errorf("mapping: status %q maps to %q (want open or closed)", k, v)
		}
	}
	if m.DefaultChannel == "" {
		m.DefaultChannel = "phone"
	}
	for k, v := range m.Channels {
		if !slices.Contains(lifecycle.Channels, v) {
			return fmt.Errorf("mapping: channel %q maps to %q (want one of %s)", k, v, strings.Join(lifecycle.Channels, ", "))
		}
	}
	if !slices.Contains(lifecycle.Channels, m.DefaultChannel) {
		return fmt.Errorf("mapping: default_channel %q (want one of %s)", m.DefaultChannel, strings.Join(lifecycle.Channels, ", "))
	}
	return nil
}

// boundMapping is a mapping bound to a header: column indexes (-1 none).
type boundMapping struct {
	m                                                *Mapping
	loc                                              *time.Location
	id, created, updated, closed, status, code, name int
	title, address, lat, lon, channel                int
	description                                      []int
	status2                                          map[string]Status
	channels                                         map[string]string
}

func (m *Mapping) bind(header []string) (*boundMapping, error) {
	idx := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := idx[h]; !dup {
			idx[h] = i
		}
	}
	var missing []string
	col := func(name string) int {
		if name == "" {
			return -1
		}
		i, ok := idx[name]
		if !ok {
			missing = append(missing, name)
			return -1
		}
		return i
	}
	loc, _ := time.LoadLocation(m.Zone)
	c := m.Columns
	b := &boundMapping{m: m, loc: loc,
		id: col(c.ID), created: col(c.Created), updated: col(c.Updated), closed: col(c.Closed), status: col(c.Status),
		code: col(c.CategoryCode), name: col(c.CategoryName), title: col(c.Title), address: col(c.Address),
		lat: col(c.Lat), lon: col(c.Lon), channel: col(c.Channel),
		status2: map[string]Status{}, channels: map[string]string{}}
	for _, d := range c.Description {
		b.description = append(b.description, col(d))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("mapping: the file has no column %s", strings.Join(missing, ", "))
	}
	for k, v := range m.Status {
		s := StatusOpen
		if v == "closed" {
			s = StatusClosed
		}
		b.status2[strings.ToLower(strings.TrimSpace(k))] = s
	}
	for k, v := range m.Channels {
		b.channels[strings.TrimSpace(k)] = v
	}
	return b, nil
}

func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// ParseTime reads a time in a layout ("rfc3339" for ISO 8601 with a zone)
// in loc.
func ParseTime(s, layout string, loc *time.Location) (time.Time, error) {
	if strings.EqualFold(layout, "rfc3339") {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, nil
		}
		return time.ParseInLocation("2006-01-02T15:04:05", s, loc)
	}
	return time.ParseInLocation(layout, s, loc)
}

func (b *boundMapping) time(rec []string, i int, what string, required bool) (time.Time, *Refusal) {
	s := field(rec, i)
	if s == "" {
		if required {
			return time.Time{}, refuse(ReasonMissingTime, "no %s time", what)
		}
		return time.Time{}, nil
	}
	t, err := ParseTime(s, b.m.TimeFormat, b.loc)
	if err != nil {
		return time.Time{}, refuse(ReasonBadTime, "%s %q: want %s", what, s, b.m.TimeFormat)
	}
	return t, nil
}

func (b *boundMapping) row(rec []string) (Row, *Refusal) {
	var r Row
	if r.ExternalID = field(rec, b.id); r.ExternalID == "" {
		return r, refuse(ReasonMissingID, "no id")
	}
	var bad *Refusal
	if r.Created, bad = b.time(rec, b.created, "created", true); bad != nil {
		return r, bad
	}
	if r.Updated, bad = b.time(rec, b.updated, "updated", false); bad != nil {
		return r, bad
	}
	closed, bad := b.time(rec, b.closed, "closed", false)
	if bad != nil {
		return r, bad
	}
	switch {
	case b.status >= 0:
		v := field(rec, b.status)
		s, ok := b.status2[strings.ToLower(v)]
		if !ok {
			return r, refuse(ReasonUnknownStatus, "status %q is not in the mapping", v)
		}
		r.Status = s
	case !closed.IsZero():
		r.Status = StatusClosed
	default:
		r.Status = StatusOpen
	}
	if r.Status == StatusClosed {
		r.Closed = closed
		if r.Closed.IsZero() {
			r.Closed = r.Updated
		}
		if r.Closed.IsZero() || r.Closed.Before(r.Created) {
			r.Closed = r.Created
		}
	}
	r.CategoryCode, r.CategoryName = field(rec, b.code), field(rec, b.name)
	if r.CategoryCode == "" && r.CategoryName == "" {
		return r, refuse(ReasonMissingCategory, "no category")
	}
	if b.lat >= 0 {
		lat, lon, bad := b.coords(field(rec, b.lat), field(rec, b.lon))
		if bad != nil {
			return r, bad
		}
		if r.Lat, r.Lon, bad = checkCoords(lat, lon); bad != nil {
			return r, bad
		}
	}
	r.Title, r.Address = field(rec, b.title), field(rec, b.address)
	var desc []string
	for _, i := range b.description {
		if s := field(rec, i); s != "" {
			desc = append(desc, s)
		}
	}
	r.Description = strings.Join(desc, "\n")
	r.Channel = b.m.DefaultChannel
	if b.channel >= 0 {
		if ch, ok := b.channels[field(rec, b.channel)]; ok {
			r.Channel = ch
		}
	}
	return r, nil
}

func (b *boundMapping) coords(lat, lon string) (*float64, *float64, *Refusal) {
	var out [2]*float64
	for k, s := range []string{lat, lon} {
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, nil, refuse(ReasonBadCoordinates, "%q,%q is not a coordinate", lat, lon)
		}
		out[k] = &v
	}
	return out[0], out[1], nil
}
