package api

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"whistle/internal/auth"
	"whistle/internal/casework"
	"whistle/internal/errs"
	"whistle/internal/georeport"
	"whistle/internal/httpx"
	"whistle/internal/open311"
	"whistle/internal/org"
)

// Open311 GeoReport v2 under /open311/ (docs/OPEN311.md): the discovery
// document at /open311/discovery.{json,xml}, the endpoints under
// /open311/v2/, every one in JSON and XML, errors in the spec's format.
// The handlers parse, call georeport, and encode with package open311.

// Open311Base is the path of the GeoReport v2 endpoints.
const Open311Base = "/open311/v2"

// open311Limits are the POSTs' own rate limits beside the portal's per
// address (httpx.Limits.Submits, shared): per API key and per phone.
type open311Limits struct {
	keys   *auth.Limiter
	phones *auth.Limiter
}

func newOpen311Limits() *open311Limits {
	return &open311Limits{keys: auth.NewLimiter(1000, time.Hour), phones: auth.NewLimiter(20, time.Hour)}
}

// SetOpen311Limits replaces the per-key and per-phone limits of Open311
// POSTs (tests; a nil keeps the current one).
func (s *Server) SetOpen311Limits(perKey, perPhone *auth.Limiter) {
	if s.o311 == nil {
		s.o311 = newOpen311Limits()
	}
	if perKey != nil {
		s.o311.keys = perKey
	}
	if perPhone != nil {
		s.o311.phones = perPhone
	}
}

// open311Routes registers the Open311 routes (pub: public; the POSTs check
// their api_key themselves, as the spec wants: 403 in its format) and the
// administrators' API of keys and the service mapping.
func (s *Server) open311Routes(mux *http.ServeMux, pub func(method, path string, h http.HandlerFunc),
	priv func(method, path string, acc httpx.Access, h func(http.ResponseWriter, *http.Request, org.Actor))) {
	if s.o311 == nil {
		s.o311 = newOpen311Limits()
	}
	for _, f := range []string{"json", "xml"} {
		pub("GET", "/open311/discovery."+f, s.o311Discovery)
		pub("GET", Open311Base+"/discovery."+f, s.o311Discovery)
		pub("GET", Open311Base+"/services."+f, s.o311Services)
		pub("GET", Open311Base+"/requests."+f, s.o311List)
		pub("POST", Open311Base+"/requests."+f, s.o311Post)
		pub("GET", Open311Base+"/servicerequestupdates."+f, s.o311Updates)
		pub("POST", Open311Base+"/servicerequestupdates."+f, s.o311PostUpdate)
	}
	pub("GET", Open311Base+"/services/{file}", s.o311Definition)
	pub("GET", Open311Base+"/requests/{file}", s.o311Get)
	pub("GET", Open311Base+"/tokens/{file}", s.o311Token)
	// Anything else under /open311/: 404 in the spec's format.
	mux.Handle("/open311/", s.observe("/open311/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.o311Fail(w, r, georeport.E(404, "no such endpoint: %s", r.URL.Path))
	})))

	priv("GET", "/api/v1/open311/services", httpx.Admin, s.o311Mapping)
	priv("PUT", "/api/v1/open311/services/{code}", httpx.Admin, s.o311PutMapping)
	priv("DELETE", "/api/v1/open311/services/{code}", httpx.Admin, s.o311DeleteMapping)
	priv("GET", "/api/v1/open311/keys", httpx.Admin, s.o311Keys)
	priv("POST", "/api/v1/open311/keys", httpx.Admin, s.o311CreateKey)
	priv("POST", "/api/v1/open311/keys/{id}/revoke", httpx.Admin, s.o311RevokeKey)
}

// o311Format is the format a path asks for (its extension); JSON when it
// names none.
func o311Format(r *http.Request) open311.Format {
	if _, f, ok := open311.SplitFormat(r.URL.Path); ok {
		return f
	}
	return open311.JSON
}

func (s *Server) o311Write(w http.ResponseWriter, r *http.Request, status int, body []byte, err error) {
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", o311Format(r).ContentType())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// o311Fail answers an error in the spec's format: 400, 403 or 404 (and 429
// for a rate limit, 503 when the store is down, 500 else — never with
// details).
func (s *Server) o311Fail(w http.ResponseWriter, r *http.Request, err error) {
	if httpx.ClientGone(r, err) {
		w.WriteHeader(httpx.StatusClientClosed)
		return
	}
	var oe *open311.Error
	if !errors.As(err, &oe) {
		code := errs.CodeOf(err)
		status := errs.Status(code)
		desc := errs.Message(code, lang(r))
		var e *errs.Error
		if errors.As(err, &e) && code != errs.Internal {
			if e.Field != "" {
				desc += " (" + e.Field + ")"
			}
			if e.Detail != "" {
				desc += ": " + e.Detail
			}
		}
		switch {
		case status == 401:
			status = 403
		case status == 403, status == 404, status == 429, status >= 500:
		case status >= 400:
			status = 400
		}
		if status >= 500 {
			s.log.Error("open311 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		oe = &open311.Error{Code: status, Description: desc}
	}
	f := o311Format(r)
	body, _ := open311.EncodeList(f, open311.RootErrors, []open311.Error{*oe})
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Cache-Control", "no-store")
	if oe.Code == 429 {
		w.Header().Set("Retry-After", "60")
	}
	w.WriteHeader(oe.Code)
	w.Write(body)
}

// o311Jurisdiction checks jurisdiction_id (query or form).
func (s *Server) o311Jurisdiction(w http.ResponseWriter, r *http.Request, v url.Values) ([]int64, bool) {
	d, err := s.svc.Open311.Jurisdiction(strings.TrimSpace(v.Get("jurisdiction_id")))
	if err != nil {
		s.o311Fail(w, r, err)
		return nil, false
	}
	return d, true
}

// o311Base is the server's own address as the client reached it.
func o311Base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) o311Discovery(w http.ResponseWriter, r *http.Request) {
	b, err := open311.EncodeOne(o311Format(r), s.svc.Open311.Discovery(o311Base(r)))
	s.o311Write(w, r, 200, b, err)
}

func (s *Server) o311Services(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.o311Jurisdiction(w, r, r.URL.Query()); !ok {
		return
	}
	list, err := s.svc.Open311.Services(r.Context(), lang(r))
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	b, err := open311.EncodeList(o311Format(r), open311.RootServices, list)
	s.o311Write(w, r, 200, b, err)
}

// o311File reads a {file} path value "name.json" / "name.xml": a name
// without a known format is 404.
func (s *Server) o311File(w http.ResponseWriter, r *http.Request) (string, bool) {
	name, _, ok := open311.SplitFormat(r.PathValue("file"))
	if !ok || name == "" {
		s.o311Fail(w, r, georeport.E(404, "not found: name the format (.json or .xml)"))
		return "", false
	}
	return name, true
}

func (s *Server) o311Definition(w http.ResponseWriter, r *http.Request) {
	code, ok := s.o311File(w, r)
	if !ok {
		return
	}
	if _, ok := s.o311Jurisdiction(w, r, r.URL.Query()); !ok {
		return
	}
	def, err := s.svc.Open311.Definition(r.Context(), code)
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	b, err := open311.EncodeOne(o311Format(r), def)
	s.o311Write(w, r, 200, b, err)
}

// o311OptionalKey is the caller's key when it gives a valid one (GETs need
// none; with one, its own requests are shown in full). An invalid key is
// 403.
func (s *Server) o311OptionalKey(w http.ResponseWriter, r *http.Request, v url.Values) (int64, bool) {
	k := strings.TrimSpace(v.Get("api_key"))
	if k == "" {
		return 0, true
	}
	key, err := s.svc.Open311.Key(r.Context(), k)
	if err != nil {
		s.o311Fail(w, r, err)
		return 0, false
	}
	return key.ID, true
}

func (s *Server) o311Query(w http.ResponseWriter, r *http.Request) (georeport.Query, bool) {
	v := r.URL.Query()
	d, ok := s.o311Jurisdiction(w, r, v)
	if !ok {
		return georeport.Query{}, false
	}
	q, err := s.svc.Open311.ParseQuery(v.Get)
	if err != nil {
		s.o311Fail(w, r, err)
		return q, false
	}
	if q.KeyID, ok = s.o311OptionalKey(w, r, v); !ok {
		return q, false
	}
	q.Districts, q.Lang = d, lang(r)
	return q, true
}

func (s *Server) o311List(w http.ResponseWriter, r *http.Request) {
	q, ok := s.o311Query(w, r)
	if !ok {
		return
	}
	list, err := s.svc.Open311.List(r.Context(), q)
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	b, err := open311.EncodeList(o311Format(r), open311.RootRequests, list)
	s.o311Write(w, r, 200, b, err)
}

func (s *Server) o311Get(w http.ResponseWriter, r *http.Request) {
	id, ok := s.o311File(w, r)
	if !ok {
		return
	}
	q, ok := s.o311Query(w, r)
	if !ok {
		return
	}
	req, err := s.svc.Open311.Get(r.Context(), id, q)
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	b, err := open311.EncodeList(o311Format(r), open311.RootRequests, []open311.Request{req})
	s.o311Write(w, r, 200, b, err)
}

func (s *Server) o311Token(w http.ResponseWriter, r *http.Request) {
	token, ok := s.o311File(w, r)
	if !ok {
		return
	}
	if _, ok := s.o311Jurisdiction(w, r, r.URL.Query()); !ok {
		return
	}
	ans, err := s.svc.Open311.Token(r.Context(), token)
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	b, err := open311.EncodeList(o311Format(r), open311.RootRequests, []open311.TokenAnswer{ans})
	s.o311Write(w, r, 200, b, err)
}

// o311Form reads a POST's form (urlencoded or multipart, at most 1 MiB;
// parameters in the query string count too).
func (s *Server) o311Form(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxJSON)
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(maxJSON)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.o311Fail(w, r, georeport.E(400, "the request body is larger than 1 MiB"))
		} else {
			s.o311Fail(w, r, georeport.E(400, "the request body is not a form"))
		}
		return nil, false
	}
	return r.Form, true
}

// o311Key checks a POST's api_key (403 in the spec's format).
func (s *Server) o311Key(w http.ResponseWriter, r *http.Request, v url.Values) (georeport.Key, bool) {
	key, err := s.svc.Open311.Key(r.Context(), strings.TrimSpace(v.Get("api_key")))
	if err != nil {
		s.o311Fail(w, r, err)
		return key, false
	}
	return key, true
}

// o311Post takes a service request. Limits: per address (shared with the
// portal), per key and per phone; each refused with 429 before anything
// is stored, each counted when a request is taken.
func (s *Server) o311Post(w http.ResponseWriter, r *http.Request) {
	form, ok := s.o311Form(w, r)
	if !ok {
		return
	}
	if _, ok := s.o311Jurisdiction(w, r, form); !ok {
		return
	}
	key, ok := s.o311Key(w, r, form)
	if !ok {
		return
	}
	p, bad := open311.ParsePost(form)
	if bad != nil {
		s.o311Fail(w, r, bad)
		return
	}
	now, ip := time.Now(), clientIP(r)
	keyID := "key:" + strconv.FormatInt(key.ID, 10)
	norm := p.Phone
	if n, err := casework.NormalizePhone(p.Phone); err == nil {
		norm = n // one count per number, however it is written
	}
	phone := "phone:" + s.svc.PhoneHash(norm)
	if !s.submits.Allowed(ip, now) || !s.o311.keys.Allowed(keyID, now) || (p.Phone != "" && !s.o311.phones.Allowed(phone, now)) {
		s.o311Fail(w, r, &open311.Error{Code: 429, Description: "too many requests: try again later"})
		return
	}
	posted, err := s.svc.Open311.Submit(r.Context(), key, p)
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	s.submits.Fail(ip, now) // counts submissions, not failures
	s.o311.keys.Fail(keyID, now)
	s.o311.phones.Fail(phone, now)
	b, err := open311.EncodeList(o311Format(r), open311.RootRequests, []open311.Posted{posted})
	s.o311Write(w, r, 201, b, err)
}

func (s *Server) o311Updates(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	d, ok := s.o311Jurisdiction(w, r, v)
	if !ok {
		return
	}
	q, err := s.svc.Open311.ParseQuery(v.Get) // dates and ids, read as for requests
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	list, err := s.svc.Open311.Updates(r.Context(), georeport.UpdatesQuery{Districts: d, IDs: q.IDs, Start: q.Start, End: q.End, Lang: lang(r)})
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	b, err := open311.EncodeList(o311Format(r), open311.RootUpdates, list)
	s.o311Write(w, r, 200, b, err)
}

func (s *Server) o311PostUpdate(w http.ResponseWriter, r *http.Request) {
	form, ok := s.o311Form(w, r)
	if !ok {
		return
	}
	if _, ok := s.o311Jurisdiction(w, r, form); !ok {
		return
	}
	key, ok := s.o311Key(w, r, form)
	if !ok {
		return
	}
	now := time.Now()
	keyID := "key:" + strconv.FormatInt(key.ID, 10)
	if !s.o311.keys.Allowed(keyID, now) {
		s.o311Fail(w, r, &open311.Error{Code: 429, Description: "too many requests: try again later"})
		return
	}
	in := georeport.UpdateInput{RequestID: strings.TrimSpace(form.Get("service_request_id")), UpdateID: strings.TrimSpace(form.Get("update_id")),
		Status: strings.TrimSpace(form.Get("status")), Description: strings.TrimSpace(form.Get("description"))}
	if v := form.Get("updated_datetime"); v != "" {
		t, ok := open311.ParseTime(v, s.svc.Location())
		if !ok {
			s.o311Fail(w, r, georeport.E(400, "updated_datetime must be a W3C date and time"))
			return
		}
		in.Updated = t
	}
	for _, v := range []string{in.RequestID, in.UpdateID, in.Status, in.Description} {
		if auth.HasControl(strings.NewReplacer("\n", "", "\r", "", "\t", "").Replace(v)) {
			s.o311Fail(w, r, georeport.E(400, "a parameter holds a control character"))
			return
		}
	}
	ack, err := s.svc.Open311.PostUpdate(r.Context(), key, in)
	if err != nil {
		s.o311Fail(w, r, err)
		return
	}
	s.o311.keys.Fail(keyID, now)
	b, err := open311.EncodeList(o311Format(r), open311.RootUpdates, []open311.UpdateAck{ack})
	s.o311Write(w, r, 200, b, err)
}

// ---- administration (JSON API, admin role) ----

func (s *Server) o311Mapping(w http.ResponseWriter, r *http.Request, a org.Actor) {
	list, err := s.svc.Open311.Mapping(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"services": list})
}

func (s *Server) o311PutMapping(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in georeport.MappingInput
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Code == "" {
		in.Code = r.PathValue("code")
	}
	if in.Code != r.PathValue("code") {
		s.fail(w, r, &errs.Error{Code: errs.Invalid, Field: "service_code", Detail: "differs from the path"})
		return
	}
	if err := s.svc.Open311.PutMapping(r.Context(), a, in); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"service_code": in.Code})
}

func (s *Server) o311DeleteMapping(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if err := s.svc.Open311.DeleteMapping(r.Context(), a, r.PathValue("code")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) o311Keys(w http.ResponseWriter, r *http.Request, a org.Actor) {
	keys, err := s.svc.Open311.Keys(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if keys == nil {
		keys = []georeport.Key{}
	}
	writeJSON(w, 200, map[string]any{"keys": keys})
}

func (s *Server) o311CreateKey(w http.ResponseWriter, r *http.Request, a org.Actor) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	clear, k, err := s.svc.Open311.CreateKey(r.Context(), a, in.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 201, map[string]any{"key": clear, "id": k.ID, "name": k.Name, "prefix": k.Prefix})
}

func (s *Server) o311RevokeKey(w http.ResponseWriter, r *http.Request, a org.Actor) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Open311.RevokeKey(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]any{"id": id, "revoked": true})
}
