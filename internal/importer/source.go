// Package importer brings another system's history into Whistle: Open311
// GeoReport v2 records (JSON lines) and CSV files described by a mapping.
// Records stream from the file (never all in memory), become cases
// (categories from the source's service codes, places by coordinates,
// open/closed statuses, times with zones), and are written in batches by
// the store's bulk path, each batch with the run's resume position and
// its refusals in one transaction (see docs/IMPORT.md).
package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Reasons a row is refused.
const (
	ReasonBadJSON         = "bad_json"
	ReasonBadCSV          = "bad_csv"
	ReasonMissingID       = "missing_id"
	ReasonMissingTime     = "missing_time"
	ReasonBadTime         = "bad_time"
	ReasonBadCoordinates  = "bad_coordinates"
	ReasonUnknownStatus   = "unknown_status"
	ReasonMissingCategory = "missing_category"
)

// Refusal is why one row was not imported.
type Refusal struct {
	Reason string
	Detail string
}

func (r *Refusal) Error() string { return r.Reason + ": " + r.Detail }

func refuse(reason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Status is a source status reduced to what Whistle keeps of it.
type Status int

// Statuses.
const (
	StatusOpen Status = iota + 1
	StatusClosed
)

// Row is one source record, parsed and checked: what a case is made of.
type Row struct {
	ExternalID   string
	Created      time.Time
	Updated      time.Time // zero if unknown
	Closed       time.Time // zero if unknown or open
	Status       Status
	CategoryCode string // the source's service code
	CategoryName string // the source's service name
	Title        string
	Description  string
	Address      string
	Lat, Lon     *float64
	Channel      string // Whistle channel
}

// Reader yields rows one by one. line is the line the record ends on
// (1-based, the header counts); a refused record comes with a *Refusal and
// what id could be read of it.
type Reader interface {
	Next() (row Row, line int64, err error)
}

// checkCoords refuses coordinates that are not a place on Earth (or the
// 0,0 that some systems write for "unknown": kept as no coordinates).
func checkCoords(lat, lon *float64) (*float64, *float64, *Refusal) {
	if lat == nil || lon == nil {
		if lat != nil || lon != nil {
			return nil, nil, refuse(ReasonBadCoordinates, "only one of latitude and longitude")
		}
		return nil, nil, nil
	}
	if math.IsNaN(*lat) || math.IsNaN(*lon) || *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180 {
		return nil, nil, refuse(ReasonBadCoordinates, "%v,%v is not a coordinate", *lat, *lon)
	}
	if *lat == 0 && *lon == 0 {
		return nil, nil, nil
	}
	return lat, lon, nil
}

// ---- Open311 ----

// open311Record is a GeoReport v2 service request as served by GET
// requests.json (one per line).
type open311Record struct {
	ID          json.RawMessage `json:"service_request_id"`
	Status      string          `json:"status"`
	StatusNotes *string         `json:"status_notes"`
	ServiceName *string         `json:"service_name"`
	ServiceCode *string         `json:"service_code"`
	Description *string         `json:"description"`
	Requested   *string         `json:"requested_datetime"`
	Updated     *string         `json:"updated_datetime"`
	Address     *string         `json:"address"`
	Lat         json.RawMessage `json:"lat"`
	Long        json.RawMessage `json:"long"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// jsonNumber reads a number given as a JSON number or a string ("" and
// null are none).
func jsonNumber(raw json.RawMessage) (*float64, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" || s == `""` {
		return nil, nil
	}
	s = strings.Trim(s, `"`)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// ParseOpen311 parses one JSON line into a row (the id read so far comes
// with a refusal).
func ParseOpen311(line []byte) (Row, *Refusal) {
	var rec open311Record
	if err := json.Unmarshal(line, &rec); err != nil {
		return Row{}, refuse(ReasonBadJSON, "%v", err)
	}
	var r Row
	id := strings.TrimSpace(strings.Trim(strings.TrimSpace(string(rec.ID)), `"`))
	if id == "" || id == "null" {
		return r, refuse(ReasonMissingID, "no service_request_id")
	}
	r.ExternalID = id
	if str(rec.Requested) == "" {
		return r, refuse(ReasonMissingTime, "no requested_datetime")
	}
	t, err := time.Parse(time.RFC3339, str(rec.Requested))
	if err != nil {
		return r, refuse(ReasonBadTime, "requested_datetime %q: want ISO 8601 with a zone", str(rec.Requested))
	}
	r.Created = t
	if u := str(rec.Updated); u != "" {
		if r.Updated, err = time.Parse(time.RFC3339, u); err != nil {
			return r, refuse(ReasonBadTime, "updated_datetime %q: want ISO 8601 with a zone", u)
		}
	}
	switch strings.ToLower(strings.TrimSpace(rec.Status)) {
	case "open":
		r.Status = StatusOpen
	case "closed":
		r.Status = StatusClosed
		r.Closed = r.Updated
		if r.Closed.IsZero() || r.Closed.Before(r.Created) {
			r.Closed = r.Created
		}
	default:
		return r, refuse(ReasonUnknownStatus, "status %q (want open or closed)", rec.Status)
	}
	r.CategoryCode, r.CategoryName = str(rec.ServiceCode), str(rec.ServiceName)
	if r.CategoryCode == "" && r.CategoryName == "" {
		return r, refuse(ReasonMissingCategory, "no service_code or service_name")
	}
	lat, err1 := jsonNumber(rec.Lat)
	lon, err2 := jsonNumber(rec.Long)
	if err1 != nil || err2 != nil {
		return r, refuse(ReasonBadCoordinates, "lat %s, long %s", rec.Lat, rec.Long)
	}
	var bad *Refusal
	if r.Lat, r.Lon, bad = checkCoords(lat, lon); bad != nil {
		return r, bad
	}
	r.Description, r.Address = str(rec.Description), str(rec.Address)
	r.Title = r.CategoryName
	r.Channel = "open311"
	return r, nil
}

// open311Reader reads JSON lines.
type open311Reader struct {
	br   *bufio.Reader
	line int64
	skip int64 // lines to pass over unparsed (resuming)
}

// NewOpen311Reader reads GeoReport v2 records, one JSON object a line;
// the first skip lines are passed over without being parsed.
func NewOpen311Reader(r io.Reader, skip int64) Reader {
	return &open311Reader{br: bufio.NewReaderSize(r, 1<<16), skip: skip}
}

func (o *open311Reader) Next() (Row, int64, error) {
	for {
		b, err := o.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: gather it whole.
			buf := append([]byte(nil), b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = o.br.ReadSlice('\n')
				buf = append(buf, b...)
			}
			b = buf
		}
		if len(b) == 0 && err != nil {
			return Row{}, o.line, err
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return Row{}, o.line, err
		}
		o.line++
		if o.line <= o.skip {
			continue
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		row, bad := ParseOpen311(b)
		if bad != nil {
			return row, o.line, bad
		}
		return row, o.line, nil
	}
}

// ---- CSV ----

// csvReader reads a CSV file through a mapping.
type csvReader struct {
	cr   *csv.Reader
	m    *boundMapping
	skip int64
}

// NewCSVReader reads CSV records through m (the header is read now and
// checked against m); records ending on a line up to skip are passed over.
func NewCSVReader(r io.Reader, m *Mapping, skip int64) (Reader, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	bm, err := m.bind(header)
	if err != nil {
		return nil, err
	}
	return &csvReader{cr: cr, m: bm, skip: skip}, nil
}

func (c *csvReader) Next() (Row, int64, error) {
	for {
		rec, err := c.cr.Read()
		line, _ := c.cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if int64(pe.Line) <= c.skip {
					continue
				}
				return Row{}, int64(pe.Line), refuse(ReasonBadCSV, "%v", pe.Err)
			}
			return Row{}, int64(line), err
		}
		// The record's last line: where the next one starts, less one.
		end := int64(line)
		for _, f := range rec {
			if strings.IndexByte(f, '\n') >= 0 {
				end += int64(strings.Count(f, "\n"))
			}
		}
		if end <= c.skip {
			continue
		}
		row, bad := c.m.row(rec)
		if bad != nil {
			return row, end, bad
		}
		return row, end, nil
	}
}
