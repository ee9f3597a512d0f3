package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"whistle/internal/auth"
	"whistle/internal/errs"
	"whistle/internal/httpx"
)

// lang picks zh or en: ?lang=, the pages' language cookie, Accept-Language
// with its q-values, else zh-CN (httpx.Lang, as on the pages).
func lang(r *http.Request) string { return httpx.Lang(r) }

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Code    errs.Code `json:"code"`
	Message string    `json:"message"`
	Field   string    `json:"field,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	// Fields lists every field's problem when an input was checked as a
	// whole and several fields are wrong (the first is also above).
	Fields []FieldError `json:"fields,omitempty"`
}

// FieldError is one field's problem in ErrorBody.Fields.
type FieldError struct {
	Code    errs.Code `json:"code"`
	Message string    `json:"message"`
	Field   string    `json:"field"`
	Detail  string    `json:"detail,omitempty"`
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if httpx.ClientGone(r, err) {
		// No server error: nobody is waiting for the answer.
		s.log.Debug("client gone", "method", r.Method, "path", r.URL.Path, "err", err)
		w.WriteHeader(httpx.StatusClientClosed)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/open311/") {
		s.o311Fail(w, r, err) // Open311 answers in its spec's error format
		return
	}
	code := errs.CodeOf(err)
	if (code == errs.Internal || code == errs.Unavailable) && s.storeDown != nil && s.storeDown(err) {
		code = errs.StoreUnavailable // a database outage: retry shortly, nothing was written
	}
	body := ErrorBody{Code: code, Message: errs.Message(code, lang(r))}
	var e *errs.Error
	if errors.As(err, &e) && code != errs.Internal {
		body.Field, body.Detail = e.Field, e.Detail
		for _, f := range e.Fields {
			body.Fields = append(body.Fields, FieldError{Code: f.Code, Message: errs.Message(f.Code, lang(r)), Field: f.Field, Detail: f.Detail})
		}
	}
	status := errs.Status(code)
	if code == errs.Busy || code == errs.StoreUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "code", code)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

const maxJSON = 1 << 20

// decode reads a JSON body strictly: unknown fields and trailing data are errors.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeMax(w, r, v, maxJSON)
}

// decodeMax is decode for a body of up to limit bytes.
func decodeMax(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge)
		}
		if errors.Is(err, io.EOF) {
			return &errs.Error{Code: errs.InvalidJSON, Detail: "empty body"}
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return &errs.Error{Code: errs.InvalidJSON, Field: ute.Field, Detail: "wrong type for " + ute.Field}
		}
		return &errs.Error{Code: errs.InvalidJSON, Detail: err.Error()}
	}
	if dec.More() {
		return &errs.Error{Code: errs.InvalidJSON, Detail: "trailing data after the JSON value"}
	}
	if field, bad := controlIn(reflect.ValueOf(v), ""); bad {
		return &errs.Error{Code: errs.Invalid, Field: field, Detail: "control character"}
	}
	return nil
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// controlIn finds a string holding a NUL or another control character
// (auth.HasControl) anywhere in v, and names its JSON field.
func controlIn(v reflect.Value, field string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return field, auth.HasControl(v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return controlIn(v.Elem(), field)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := field
			if !f.Anonymous {
				name = f.Name
				if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == "-" {
					continue
				} else if tag != "" {
					name = tag
				}
			}
			if fld, bad := controlIn(v.Field(i), name); bad {
				return fld, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type() == rawMessage {
			var x any
			if v.Len() == 0 || json.Unmarshal(v.Bytes(), &x) != nil {
				return "", false
			}
			return controlIn(reflect.ValueOf(&x), field)
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false
		}
		for i := range v.Len() {
			if fld, bad := controlIn(v.Index(i), field); bad {
				return fld, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if fld, bad := controlIn(it.Key(), field); bad {
				return fld, true
			}
			if fld, bad := controlIn(it.Value(), field); bad {
				return fld, true
			}
		}
	}
	return "", false
}

// cleanInput refuses, with 422 invalid, a request whose path or query
// holds a NUL or another control character (auth.HasControl): no look-up
// means anything by them, and PostgreSQL cannot store a NUL.
func (s *Server) cleanInput(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth.HasControl(r.URL.Path) {
			s.fail(w, r, &errs.Error{Code: errs.Invalid, Detail: "control character in the path"})
			return
		}
		for k, vs := range r.URL.Query() {
			bad := auth.HasControl(k)
			for _, v := range vs {
				bad = bad || auth.HasControl(v)
			}
			if bad {
				if auth.HasControl(k) {
					k = ""
				}
				s.fail(w, r, &errs.Error{Code: errs.Invalid, Field: k, Detail: "control character"})
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound)
	}
	return id, nil
}

func queryBool(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, errs.F(errs.Invalid, name)
	}
	return &b, nil
}

// publicBody is the preamble of an anonymous submission (the portal's
// JSON twins: cases, ratings, proposals, registrations): the sender's
// address must be under the submission rate limit (429 rate_limited
// otherwise, before the body is read), and the body decodes into v (up to
// limit bytes). ok is false when the answer has been written.
func (s *Server) publicBody(w http.ResponseWriter, r *http.Request, v any, limit int64) (ip string, ok bool) {
	ip = clientIP(r)
	if !s.submits.Allowed(ip, time.Now()) {
		s.fail(w, r, errs.E(errs.RateLimited))
		return ip, false
	}
	if err := decodeMax(w, r, v, limit); err != nil {
		s.fail(w, r, err)
		return ip, false
	}
	return ip, true
}

// submitted counts an accepted anonymous submission against its sender's
// address (the limit counts submissions, not failures).
func (s *Server) submitted(ip string) {
	s.submits.Fail(ip, time.Now())
}
