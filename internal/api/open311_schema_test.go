package api_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A small checker of the contract schemas in testdata/open311 (see its
// README): JSON responses against the JSON Schema subset, XML documents
// against the same schema through x-xml-root / x-xml-name.

type o311Schema = map[string]any

func o311LoadSchema(t *testing.T, name string) o311Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "open311", name+".schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s o311Schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func o311Types(s o311Schema) []string {
	switch v := s["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

var o311DateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

// o311Scalar checks a scalar's text (XML) or value (JSON, as text) against
// the schema's enum, minLength and format.
func o311Scalar(s o311Schema, where, v string) []string {
	var probs []string
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == v {
				found = true
			}
		}
		if !found {
			probs = append(probs, fmt.Sprintf("%s: %q not in %v", where, v, enum))
		}
	}
	if ml, ok := s["minLength"].(float64); ok && len([]rune(v)) < int(ml) {
		probs = append(probs, fmt.Sprintf("%s: shorter than %v", where, ml))
	}
	if s["format"] == "date-time" && v != "" {
		if _, err := time.Parse(time.RFC3339, v); err != nil || !o311DateTime.MatchString(v) {
			probs = append(probs, fmt.Sprintf("%s: %q is not an ISO-8601 date-time with a zone", where, v))
		}
	}
	return probs
}

// o311CheckJSON checks a decoded JSON value (numbers as json.Number).
func o311CheckJSON(s o311Schema, v any, where string) []string {
	types := o311Types(s)
	kind := ""
	switch v.(type) {
	case nil:
		kind = "null"
	case bool:
		kind = "boolean"
	case json.Number:
		kind = "number"
		if _, err := strconv.ParseInt(string(v.(json.Number)), 10, 64); err == nil {
			kind = "integer"
		}
	case string:
		kind = "string"
	case []any:
		kind = "array"
	case map[string]any:
		kind = "object"
	}
	ok := len(types) == 0 || slices.Contains(types, kind) || (kind == "integer" && slices.Contains(types, "number"))
	if !ok {
		return []string{fmt.Sprintf("%s: %s, want %v", where, kind, types)}
	}
	var probs []string
	switch x := v.(type) {
	case string:
		probs = append(probs, o311Scalar(s, where, x)...)
	case json.Number:
		probs = append(probs, o311Scalar(s, where, string(x))...)
	case []any:
		items, _ := s["items"].(o311Schema)
		for i, it := range x {
			if items != nil {
				probs = append(probs, o311CheckJSON(items, it, fmt.Sprintf("%s[%d]", where, i))...)
			}
		}
	case map[string]any:
		props, _ := s["properties"].(o311Schema)
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := x[r.(string)]; !ok {
				probs = append(probs, fmt.Sprintf("%s: required %q missing", where, r))
			}
		}
		for k, val := range x {
			ps, known := props[k].(o311Schema)
			if !known {
				if s["additionalProperties"] == false {
					probs = append(probs, fmt.Sprintf("%s: unexpected property %q", where, k))
				}
				continue
			}
			probs = append(probs, o311CheckJSON(ps, val, where+"."+k)...)
		}
	}
	return probs
}

type o311Node struct {
	name string
	kids []*o311Node
	text string
}

func o311ParseXML(b []byte) (*o311Node, error) {
	if !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		return nil, fmt.Errorf("no XML declaration with encoding=\"UTF-8\"")
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*o311Node
	var root *o311Node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if len(tk.Attr) > 0 {
				return nil, fmt.Errorf("<%s> has attributes: the spec uses elements only", tk.Name.Local)
			}
			n := &o311Node{name: tk.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if root != nil {
				return nil, fmt.Errorf("two root elements")
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// o311CheckXML checks element n against schema s (n's own name is checked
// by the caller).
func o311CheckXML(s o311Schema, n *o311Node, where string) []string {
	types := o311Types(s)
	var probs []string
	main := ""
	for _, ty := range types {
		if ty != "null" {
			main = ty
		}
	}
	switch main {
	case "array":
		items, _ := s["items"].(o311Schema)
		name, _ := s["x-xml-name"].(string)
		for i, k := range n.kids {
			w := fmt.Sprintf("%s/%s[%d]", where, k.name, i)
			if k.name != name {
				probs = append(probs, fmt.Sprintf("%s: element <%s>, want <%s>", w, k.name, name))
				continue
			}
			probs = append(probs, o311CheckXML(items, k, w)...)
		}
	case "object":
		props, _ := s["properties"].(o311Schema)
		seen := map[string]bool{}
		for _, k := range n.kids {
			if seen[k.name] {
				probs = append(probs, fmt.Sprintf("%s: <%s> twice", where, k.name))
			}
			seen[k.name] = true
			ps, known := props[k.name].(o311Schema)
			if !known {
				if s["additionalProperties"] == false {
					probs = append(probs, fmt.Sprintf("%s: unexpected element <%s>", where, k.name))
				}
				continue
			}
			probs = append(probs, o311CheckXML(ps, k, where+"/"+k.name)...)
		}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				ps, _ := props[r.(string)].(o311Schema)
				if !seen[r.(string)] && !slices.Contains(o311Types(ps), "null") {
					probs = append(probs, fmt.Sprintf("%s: required <%s> missing", where, r))
				}
			}
		}
	default:
		if len(n.kids) > 0 {
			return []string{fmt.Sprintf("%s: a %s holds elements", where, main)}
		}
		v := n.text
		switch main {
		case "integer":
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %q is not an integer", where, v))
			}
		case "number":
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %q is not a number", where, v))
			}
		case "boolean":
			if v != "true" && v != "false" {
				probs = append(probs, fmt.Sprintf("%s: %q is not a boolean", where, v))
			}
		}
		probs = append(probs, o311Scalar(s, where, v)...)
	}
	return probs
}

// o311Conform checks a response body in its format against the named
// schema and fails the test with every problem.
func o311Conform(t *testing.T, schemas map[string]o311Schema, name, format string, body []byte) {
	t.Helper()
	s, ok := schemas[name]
	if !ok {
		s = o311LoadSchema(t, name)
		schemas[name] = s
	}
	var probs []string
	if format == "xml" {
		root, err := o311ParseXML(body)
		if err != nil {
			t.Fatalf("%s (xml): %v\n%s", name, err, body)
		}
		if want := s["x-xml-root"]; root.name != want {
			probs = append(probs, fmt.Sprintf("root <%s>, want <%v>", root.name, want))
		}
		probs = append(probs, o311CheckXML(s, root, "/"+root.name)...)
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s (json): %v\n%s", name, err, body)
		}
		probs = o311CheckJSON(s, v, "$")
	}
	if len(probs) > 0 {
		t.Fatalf("%s (%s) does not conform:\n  %s\nbody: %s", name, format, strings.Join(probs, "\n  "), o311Cut(body))
	}
}

func o311Cut(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// TestOpen311SchemaChecker: the checker refuses what the spec does not
// allow (so that a passing contract test means something).
func TestOpen311SchemaChecker(t *testing.T) {
	s := o311LoadSchema(t, "requests")
	bad := map[string]string{
		"json status":  `[{"service_request_id":"1","status":"pending","service_code":"a","service_name":"x","requested_datetime":"2026-03-02T09:00:00+08:00"}]`,
		"json time":    `[{"service_request_id":"1","status":"open","service_code":"a","service_name":"x","requested_datetime":"2026-03-02 09:00"}]`,
		"json no zone": `[{"service_request_id":"1","status":"open","service_code":"a","service_name":"x","requested_datetime":"2026-03-02T09:00:00"}]`,
		"json missing": `[{"status":"open","service_code":"a","service_name":"x","requested_datetime":"2026-03-02T09:00:00Z"}]`,
		"json extra":   `[{"service_request_id":"1","status":"open","service_code":"a","service_name":"x","requested_datetime":"2026-03-02T09:00:00Z","phone":"13700000000"}]`,
		"json lat":     `[{"service_request_id":"1","status":"open","service_code":"a","service_name":"x","requested_datetime":"2026-03-02T09:00:00Z","lat":"39.9"}]`,
	}
	for name, body := range bad {
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if len(o311CheckJSON(s, v, "$")) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
	head := `<?xml version="1.0" encoding="UTF-8"?>`
	for name, body := range map[string]string{
		"xml item name": head + `<service_requests><req><service_request_id>1</service_request_id></req></service_requests>`,
		"xml lat":       head + `<service_requests><request><service_request_id>1</service_request_id><status>open</status><service_code>a</service_code><service_name>x</service_name><requested_datetime>2026-03-02T09:00:00Z</requested_datetime><lat>north</lat></request></service_requests>`,
		"xml extra":     head + `<service_requests><request><service_request_id>1</service_request_id><status>open</status><service_code>a</service_code><service_name>x</service_name><requested_datetime>2026-03-02T09:00:00Z</requested_datetime><email>a@b.c</email></request></service_requests>`,
		"xml missing":   head + `<service_requests><request><status>open</status><service_code>a</service_code><service_name>x</service_name><requested_datetime>2026-03-02T09:00:00Z</requested_datetime></request></service_requests>`,
	} {
		root, err := o311ParseXML([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if len(o311CheckXML(s, root, "/")) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := o311ParseXML([]byte(`<service_requests/>`)); err == nil {
		t.Error("a document without its XML declaration accepted")
	}
}
