package open311

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"whistle/internal/lifecycle"
)

// Limits of a POSTed request.
const (
	MaxAttributes  = 100  // attribute codes in one request
	MaxValues      = 100  // values of one multi-value attribute
	MaxValueLen    = 4000 // runes of one value, of the description, of a name
	MaxCodeLen     = 100  // characters of a service or attribute code
	MaxURLLen      = 2000 // characters of media_url
	MaxShortString = 200  // runes of a string attribute
)

// PostRequest is a POSTed service request as the spec defines it, parsed
// from its form.
type PostRequest struct {
	JurisdictionID string
	APIKey         string
	ServiceCode    string
	Lat, Long      *float64
	AddressString  string
	AddressID      string
	Email          string
	DeviceID       string
	AccountID      string
	FirstName      string
	LastName       string
	Phone          string
	Description    string
	MediaURL       string
	// Attributes by code: attribute[code]=v gives one value,
	// attribute[code][]=v one per repetition.
	Attributes map[string][]string
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// ValidCode reports whether s can be a service or attribute code.
func ValidCode(s string) bool { return len(s) <= MaxCodeLen && codeRE.MatchString(s) }

// bad is a 400 of the spec's format.
func bad(format string, a ...any) *Error {
	return &Error{Code: 400, Description: fmt.Sprintf(format, a...)}
}

// clean refuses control characters (a newline and a tab only where multi
// line text is expected) and invalid UTF-8.
func clean(name, v string, multiline bool, max int) *Error {
	if !utf8.ValidString(v) {
		return bad("%s is not valid UTF-8", name)
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return bad("%s holds a control character", name)
		}
	}
	if utf8.RuneCountInString(v) > max {
		return bad("%s is longer than %d characters", name, max)
	}
	return nil
}

// ParsePost reads a POSTed service request's form. Every refusal is a 400
// naming the parameter. A location is required: lat and long together, or
// address_string, or address_id.
func ParsePost(form url.Values) (PostRequest, *Error) {
	var p PostRequest
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	fields := []struct {
		name      string
		dst       *string
		multiline bool
		max       int
	}{
		{"jurisdiction_id", &p.JurisdictionID, false, MaxCodeLen},
		{"api_key", &p.APIKey, false, MaxCodeLen},
		{"service_code", &p.ServiceCode, false, MaxCodeLen},
		{"address_string", &p.AddressString, false, MaxShortString},
		{"address_id", &p.AddressID, false, MaxShortString},
		{"email", &p.Email, false, MaxShortString},
		{"device_id", &p.DeviceID, false, MaxShortString},
		{"account_id", &p.AccountID, false, MaxShortString},
		{"first_name", &p.FirstName, false, MaxShortString},
		{"last_name", &p.LastName, false, MaxShortString},
		{"phone", &p.Phone, false, MaxShortString},
		{"description", &p.Description, true, MaxValueLen},
		{"media_url", &p.MediaURL, false, MaxURLLen},
	}
	for _, f := range fields {
		v := get(f.name)
		if e := clean(f.name, v, f.multiline, f.max); e != nil {
			return PostRequest{}, e
		}
		*f.dst = v
	}
	if p.ServiceCode == "" {
		return PostRequest{}, bad("service_code is required")
	}
	if !ValidCode(p.ServiceCode) {
		return PostRequest{}, bad("service_code is not a valid code")
	}
	lat, long := get("lat"), get("long")
	switch {
	case lat != "" && long != "":
		la, e1 := strconv.ParseFloat(lat, 64)
		lo, e2 := strconv.ParseFloat(long, 64)
		if e1 != nil || math.IsNaN(la) || la < -90 || la > 90 {
			return PostRequest{}, bad("lat must be a latitude in degrees (WGS84)")
		}
		if e2 != nil || math.IsNaN(lo) || lo < -180 || lo > 180 {
			return PostRequest{}, bad("long must be a longitude in degrees (WGS84)")
		}
		p.Lat, p.Long = &la, &lo
	case lat != "" || long != "":
		return PostRequest{}, bad("lat and long must be given together")
	}
	if p.Lat == nil && p.AddressString == "" && p.AddressID == "" {
		return PostRequest{}, bad("a location is required: lat and long, address_string or address_id")
	}
	if p.MediaURL != "" {
		u, err := url.Parse(p.MediaURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return PostRequest{}, bad("media_url must be an http or https URL")
		}
	}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		code, multi := "", false
		switch {
		case strings.HasSuffix(rest, "][]"):
			code, multi = strings.TrimSuffix(rest, "][]"), true
		case strings.HasSuffix(rest, "]"):
			code = strings.TrimSuffix(rest, "]")
		default:
			return PostRequest{}, bad("parameter %q: want attribute[code] or attribute[code][]", truncate(k))
		}
		if !ValidCode(code) {
			return PostRequest{}, bad("parameter %q: not a valid attribute code", truncate(k))
		}
		vals := form[k]
		if !multi && len(vals) > 1 {
			return PostRequest{}, bad("attribute[%s] given %d times: use attribute[%s][] for several values", code, len(vals), code)
		}
		if p.Attributes == nil {
			p.Attributes = map[string][]string{}
		}
		if len(p.Attributes[code])+len(vals) > MaxValues {
			return PostRequest{}, bad("attribute[%s] has more than %d values", code, MaxValues)
		}
		for _, v := range vals {
			v = strings.TrimSpace(v)
			if e := clean("attribute["+code+"]", v, true, MaxValueLen); e != nil {
				return PostRequest{}, e
			}
			p.Attributes[code] = append(p.Attributes[code], v)
		}
		if len(p.Attributes) > MaxAttributes {
			return PostRequest{}, bad("more than %d attributes", MaxAttributes)
		}
	}
	return p, nil
}

func truncate(s string) string {
	if len(s) > 60 {
		s = s[:60]
	}
	return strings.ToValidUTF8(s, "?")
}

// CheckDefinition checks a service's attribute definitions as an
// administrator saves them: codes valid and unique, a known datatype, list
// values for (and only for) the list types with unique keys, order ≥ 0.
// It returns them sorted by order (then code).
func CheckDefinition(attrs []Attribute) ([]Attribute, error) {
	seen := map[string]bool{}
	out := slices.Clone(attrs)
	for i, a := range out {
		if !ValidCode(a.Code) {
			return nil, fmt.Errorf("attribute %d: code %q is not valid (letters, digits, _ . : -)", i+1, a.Code)
		}
		if seen[a.Code] {
			return nil, fmt.Errorf("attribute %q defined twice", a.Code)
		}
		seen[a.Code] = true
		if !slices.Contains(Datatypes, a.Datatype) {
			return nil, fmt.Errorf("attribute %q: datatype %q is not one of %s", a.Code, a.Datatype, strings.Join(Datatypes, ", "))
		}
		if a.Order < 0 {
			return nil, fmt.Errorf("attribute %q: order must be 0 or more", a.Code)
		}
		list := a.Datatype == SingleValueList || a.Datatype == MultiValueList
		if list && len(a.Values) == 0 {
			return nil, fmt.Errorf("attribute %q: a %s needs values", a.Code, a.Datatype)
		}
		if !list && len(a.Values) > 0 {
			return nil, fmt.Errorf("attribute %q: a %s has no values", a.Code, a.Datatype)
		}
		keys := map[string]bool{}
		for _, v := range a.Values {
			if strings.TrimSpace(v.Key) == "" || keys[v.Key] {
				return nil, fmt.Errorf("attribute %q: value keys must be given and unique", a.Code)
			}
			keys[v.Key] = true
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Code < out[j].Code
	})
	return out, nil
}

// CheckAttributes checks the attributes a request was posted with against
// its service's definitions: required ones given, each value of its type
// (a number, a W3C date-time, a key of the list), one value for all but a
// multivaluelist. Codes the definition does not name are dropped, as are
// attributes that are not variable (information for the client). The
// answer is the values to keep, by code, normalised (numbers and times as
// read, list values de-duplicated).
func CheckAttributes(defs []Attribute, got map[string][]string) (map[string][]string, *Error) {
	out := map[string][]string{}
	for _, d := range defs {
		if !d.Variable {
			continue
		}
		var vals []string
		for _, v := range got[d.Code] {
			if v != "" {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			if d.Required {
				return nil, bad("attribute[%s] is required", d.Code)
			}
			continue
		}
		if d.Datatype != MultiValueList && len(vals) > 1 {
			return nil, bad("attribute[%s] takes one value", d.Code)
		}
		switch d.Datatype {
		case String:
			if utf8.RuneCountInString(vals[0]) > MaxShortString {
				return nil, bad("attribute[%s] is longer than %d characters", d.Code, MaxShortString)
			}
		case Number:
			f, err := strconv.ParseFloat(vals[0], 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, bad("attribute[%s] must be a number", d.Code)
			}
			vals[0] = strconv.FormatFloat(f, 'f', -1, 64)
		case Datetime:
			t, ok := ParseTime(vals[0], time.UTC)
			if !ok {
				return nil, bad("attribute[%s] must be a date and time (ISO 8601 with a zone)", d.Code)
			}
			vals[0] = t.Format(TimeLayout)
		case SingleValueList, MultiValueList:
			var keep []string
			for _, v := range vals {
				if !slices.ContainsFunc(d.Values, func(x Value) bool { return x.Key == v }) {
					return nil, bad("attribute[%s]: %q is not one of its values", d.Code, truncate(v))
				}
				if !slices.Contains(keep, v) {
					keep = append(keep, v)
				}
			}
			vals = keep
		}
		out[d.Code] = vals
	}
	return out, nil
}

// ---- statuses ----

// The statuses of the spec.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Status maps a state of the closed loop to the spec's status.
func Status(s lifecycle.State) string {
	if s == lifecycle.Closed {
		return StatusClosed
	}
	return StatusOpen
}

// NoteFacts is what the status note of a request is written from.
type NoteFacts struct {
	State    lifecycle.State
	Unit     string // the lead unit's name, when dispatched
	Merged   bool   // merged into another request
	Answered bool   // answered directly by the centre
}

// StatusNotes is the status note written for citizens (zh, or en): where
// the request stands, never a name, a phone or an internal note.
func StatusNotes(f NoteFacts, en bool) string {
	pick := func(zh, eng string) string {
		if en {
			return eng
		}
		return zh
	}
	switch f.State {
	case lifecycle.Submitted:
		return pick("诉求已收到，等待热线中心受理。", "Received; waiting for the hotline centre to accept it.")
	case lifecycle.Received:
		return pick("热线中心已受理，正在安排承办单位。", "Accepted by the hotline centre; a unit is being assigned.")
	case lifecycle.Dispatched, lifecycle.Signed, lifecycle.Contacted, lifecycle.Handling:
		if f.Unit != "" {
			return pick("已交由"+f.Unit+"办理。", "Being handled by "+f.Unit+".")
		}
		return pick("正在办理。", "Being handled.")
	case lifecycle.Replied:
		return pick("承办单位已答复，等待回访。", "The unit has replied; a follow-up call will confirm the result.")
	case lifecycle.Closed:
		switch {
		case f.Merged:
			return pick("与其他诉求合并办理，已结案。", "Handled together with another request; closed.")
		case f.Answered:
			return pick("热线中心已直接答复，已结案。", "Answered directly by the hotline centre; closed.")
		}
		return pick("已办结。", "Closed.")
	}
	return ""
}
