// Package open311 is Open311 GeoReport v2 as rules and shapes: the spec's
// response types (with mySociety's servicerequestupdates extension), their
// JSON and XML encodings, the spec's error format, the parsing of a POSTed
// service request (form-encoded), the checking of service attributes
// against their definitions, and the mapping of the closed loop's states to
// Open311 statuses. No SQL, no HTTP server: the georeport service and the
// API's handlers use it.
package open311

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"time"
)

// Format is a response format: "json" or "xml".
type Format string

// The formats every endpoint speaks.
const (
	JSON Format = "json"
	XML  Format = "xml"
)

// Formats lists the formats (for discovery).
var Formats = []string{"application/json", "text/xml"}

// SplitFormat splits "services.json" into ("services", JSON); ok is false
// for a name without a known format.
func SplitFormat(name string) (string, Format, bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return name, "", false
	}
	switch f := Format(strings.ToLower(name[i+1:])); f {
	case JSON, XML:
		return name[:i], f, true
	}
	return name, "", false
}

// ContentType is the Content-Type of a format.
func (f Format) ContentType() string {
	if f == XML {
		return "text/xml; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// TimeLayout is the W3C/ISO-8601 date-time with its zone the spec asks for.
const TimeLayout = time.RFC3339

// FormatTime writes t in loc ("" for the zero time).
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(TimeLayout)
}

// ParseTime reads a W3C date-time (with a zone, or Z); a date alone
// ("2026-03-02") is midnight in loc.
func ParseTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// ---- errors ----

// Error is one error of the spec's format.
type Error struct {
	XMLName     xml.Name `xml:"error" json:"-"`
	Code        int      `xml:"code" json:"code"`
	Description string   `xml:"description" json:"description"`
}

// Errors is the body of an error response: [{"code":400,"description":…}]
// or <errors><error><code>400</code><description>…</description></error></errors>.
func Errors(code int, description string) []Error {
	return []Error{{Code: code, Description: description}}
}

// ---- discovery ----

// Discovery is the service discovery document.
type Discovery struct {
	XMLName    xml.Name   `xml:"discovery" json:"-"`
	Changeset  string     `xml:"changeset" json:"changeset"`
	Contact    string     `xml:"contact" json:"contact"`
	KeyService string     `xml:"key_service" json:"key_service"`
	Endpoints  []Endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

// Endpoint is one endpoint of the discovery document.
type Endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

// Specification is the GeoReport v2 specification's URL (discovery).
const Specification = "http://wiki.open311.org/GeoReport_v2"

// ---- services ----

// Service is one entry of the service list.
type Service struct {
	XMLName     xml.Name `xml:"service" json:"-"`
	Code        string   `xml:"service_code" json:"service_code"`
	Name        string   `xml:"service_name" json:"service_name"`
	Description string   `xml:"description" json:"description"`
	Metadata    bool     `xml:"metadata" json:"metadata"`
	Type        string   `xml:"type" json:"type"` // realtime, batch, blackbox
	Keywords    string   `xml:"keywords" json:"keywords"`
	Group       string   `xml:"group" json:"group"`
}

// Definition is a service definition (its attributes).
type Definition struct {
	XMLName    xml.Name    `xml:"service_definition" json:"-"`
	Code       string      `xml:"service_code" json:"service_code"`
	Attributes []Attribute `xml:"attributes>attribute" json:"attributes"`
}

// Attribute datatypes.
const (
	String          = "string"
	Number          = "number"
	Datetime        = "datetime"
	Text            = "text"
	SingleValueList = "singlevaluelist"
	MultiValueList  = "multivaluelist"
)

// Datatypes lists the attribute datatypes of the spec.
var Datatypes = []string{String, Number, Datetime, Text, SingleValueList, MultiValueList}

// Attribute is one attribute of a service definition.
type Attribute struct {
	Variable            bool    `xml:"variable" json:"variable"`
	Code                string  `xml:"code" json:"code"`
	Datatype            string  `xml:"datatype" json:"datatype"`
	Required            bool    `xml:"required" json:"required"`
	DatatypeDescription string  `xml:"datatype_description" json:"datatype_description"`
	Order               int     `xml:"order" json:"order"`
	Description         string  `xml:"description" json:"description"`
	Values              []Value `xml:"values>value" json:"values,omitempty"`
}

// Value is one allowed value of a list attribute.
type Value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// ---- requests ----

// Request is one service request as GET requests returns it. Citizens'
// names, phones and e-mails are never part of it.
type Request struct {
	XMLName           xml.Name  `xml:"request" json:"-"`
	ID                string    `xml:"service_request_id" json:"service_request_id"`
	Status            string    `xml:"status" json:"status"`
	StatusNotes       string    `xml:"status_notes" json:"status_notes"`
	ServiceName       string    `xml:"service_name" json:"service_name"`
	ServiceCode       string    `xml:"service_code" json:"service_code"`
	Description       string    `xml:"description" json:"description"`
	AgencyResponsible string    `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     string    `xml:"service_notice" json:"service_notice"`
	RequestedDatetime string    `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   string    `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  string    `xml:"expected_datetime" json:"expected_datetime"`
	Address           string    `xml:"address" json:"address"`
	AddressID         string    `xml:"address_id" json:"address_id"`
	Zipcode           string    `xml:"zipcode" json:"zipcode"`
	Lat               *float64  `xml:"lat,omitempty" json:"lat"`
	Long              *float64  `xml:"long,omitempty" json:"long"`
	MediaURL          string    `xml:"media_url" json:"media_url"`
	Extended          *Extended `xml:"extended_attributes,omitempty" json:"extended_attributes,omitempty"`
}

// Extended are the extra fields of extensions=true.
type Extended struct {
	Number         string          `xml:"number" json:"number"`
	Channel        string          `xml:"channel" json:"channel"`
	State          string          `xml:"state" json:"state"`
	Category       string          `xml:"category" json:"category"`
	District       string          `xml:"district" json:"district"`
	Street         string          `xml:"street" json:"street"`
	ClosedDatetime string          `xml:"closed_datetime" json:"closed_datetime"`
	Attributes     []AttributeItem `xml:"attributes>attribute" json:"attributes"`
}

// AttributeItem is an attribute a request was posted with.
type AttributeItem struct {
	Code   string   `xml:"code" json:"code"`
	Values []string `xml:"values>value" json:"values"`
}

// Posted is the answer to POST requests: the id (Whistle numbers a request
// at once) and the token it can also be looked up by.
type Posted struct {
	XMLName       xml.Name `xml:"request" json:"-"`
	ID            string   `xml:"service_request_id" json:"service_request_id"`
	Token         string   `xml:"token" json:"token"`
	ServiceNotice string   `xml:"service_notice" json:"service_notice"`
	AccountID     string   `xml:"account_id" json:"account_id"`
}

// TokenAnswer is the answer to GET tokens/{token}.
type TokenAnswer struct {
	XMLName xml.Name `xml:"request" json:"-"`
	ID      string   `xml:"service_request_id" json:"service_request_id"`
	Token   string   `xml:"token" json:"token"`
}

// Update is one service request update (mySociety's servicerequestupdates).
type Update struct {
	XMLName         xml.Name `xml:"request_update" json:"-"`
	UpdateID        string   `xml:"update_id" json:"update_id"`
	RequestID       string   `xml:"service_request_id" json:"service_request_id"`
	Status          string   `xml:"status" json:"status"`
	UpdatedDatetime string   `xml:"updated_datetime" json:"updated_datetime"`
	Description     string   `xml:"description" json:"description"`
	MediaURL        string   `xml:"media_url" json:"media_url"`
}

// UpdateAck is the answer to POST servicerequestupdates.
type UpdateAck struct {
	XMLName  xml.Name `xml:"request_update" json:"-"`
	UpdateID string   `xml:"update_id" json:"update_id"`
}

// ---- encoding ----

type xmlList[T any] struct {
	XMLName xml.Name
	Items   []T
}

// Roots are the XML root elements of lists, by item type.
const (
	RootServices = "services"
	RootRequests = "service_requests"
	RootUpdates  = "service_request_updates"
	RootErrors   = "errors"
)

// EncodeList encodes a list: a JSON array, or the XML root holding the
// items' elements.
func EncodeList[T any](f Format, root string, items []T) ([]byte, error) {
	if items == nil {
		items = []T{}
	}
	if f == XML {
		return encodeXML(xmlList[T]{XMLName: xml.Name{Local: root}, Items: items})
	}
	return encodeJSON(items)
}

// EncodeOne encodes one document (discovery, a service definition): a JSON
// object, or its XML element.
func EncodeOne(f Format, v any) ([]byte, error) {
	if f == XML {
		return encodeXML(v)
	}
	return encodeJSON(v)
}

func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return b.Bytes(), err
}

func encodeXML(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// Error makes a refusal an error (its description).
func (e *Error) Error() string { return e.Description }
