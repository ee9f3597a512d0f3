// Package api is Whistle's JSON REST API under /api/v1, plus /healthz,
// /readyz and /metrics. Every route is declared in one block in Handler;
// errors map to HTTP status in one place (package errs).
package api

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"whistle/internal/auth"
	"whistle/internal/errs"
	"whistle/internal/httpx"
	"whistle/internal/lifecycle"
	"whistle/internal/org"
	"whistle/internal/services"
)

// Server serves the API.
type Server struct {
	svc     *services.Services
	log     *slog.Logger
	limiter *auth.LoginLimiter // login tries (shared with the pages)
	submits *auth.Limiter      // public submissions per address
	lookups *auth.Limiter      // failed public look-ups per address
	cookies httpx.Sessions
	hasher  auth.Hasher
	reg     *prometheus.Registry
	latency *prometheus.HistogramVec
	routes  []Route
	ready   func(context.Context) error
	metrics string // the scrapers' bearer token ("" = none)
}

// Options configure the API server.
type Options struct {
	Logger *slog.Logger
	Hasher auth.Hasher
	// Limits are the rate limits, shared with the pages (built here when nil).
	Limits *httpx.Limits
	// Sessions decides the session cookie, as on the pages.
	Sessions httpx.Sessions
	// MetricsToken lets a scraper read /metrics with "Authorization: Bearer
	// <token>" (config metrics_token, env WHISTLE_METRICS_TOKEN). Without
	// one, /metrics answers administrators' sessions and tokens only.
	MetricsToken string
}

// New builds the API server over the service.
func New(svc *services.Services, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Hasher.Time == 0 {
		opts.Hasher = auth.DefaultHasher()
	}
	if opts.Limits == nil {
		opts.Limits = httpx.NewLimits()
	}
	s := &Server{svc: svc, log: opts.Logger, limiter: opts.Limits.Logins, submits: opts.Limits.Submits, lookups: opts.Limits.Lookups,
		cookies: opts.Sessions, hasher: opts.Hasher, reg: prometheus.NewRegistry(), metrics: opts.MetricsToken}
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "whistle_http_request_duration_seconds", Help: "HTTP request latency by route and status class (499: the client gave up).",
		Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method", "status"})
	s.reg.MustRegister(s.latency, collectors.NewGoCollector(), newCaseCollector(svc))
	return s
}

// Route is one entry of the routing table (also checked against the OpenAPI document).
type Route struct {
	Method, Path string
	Auth         bool // requires a session or token
	handler      func(w http.ResponseWriter, r *http.Request, a org.Actor)
}

// Routes lists every API route.
func (s *Server) Routes() []Route { return s.routes }

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes = nil
	pub := func(method, path string, h http.HandlerFunc) {
		s.routes = append(s.routes, Route{Method: method, Path: path})
		mux.Handle(method+" "+path, s.observe(path, h))
	}
	priv := func(method, path string, h func(http.ResponseWriter, *http.Request, org.Actor)) {
		s.routes = append(s.routes, Route{Method: method, Path: path, Auth: true, handler: h})
		mux.Handle(method+" "+path, s.observe(path, s.authed(h)))
	}

	pub("GET", "/healthz", s.healthz)
	pub("GET", "/readyz", s.readyz)
	pub("GET", "/api/v1/openapi.json", s.openapi)
	pub("POST", "/api/v1/auth/login", s.login)
	pub("POST", "/api/v1/public/cases", s.publicCreate)
	pub("POST", "/api/v1/public/lookup", s.publicLookup)
	pub("POST", "/api/v1/public/rate", s.publicRate)

	priv("POST", "/api/v1/auth/logout", s.logout)
	priv("GET", "/api/v1/me", s.me)
	priv("POST", "/api/v1/me/password", s.changePassword)
	priv("POST", "/api/v1/tokens", s.createToken)
	priv("GET", "/api/v1/audit", s.auditLog)

	priv("GET", "/api/v1/places", s.listPlaces)
	priv("POST", "/api/v1/places", s.createPlace)
	priv("GET", "/api/v1/places/{id}", s.getPlace)
	priv("PUT", "/api/v1/places/{id}/boundary", s.putBoundary)
	priv("GET", "/api/v1/locate", s.locate)
	priv("GET", "/api/v1/jurisdiction", s.jurisdiction)
	priv("POST", "/api/v1/boundaries/import", s.importBoundaries)
	priv("GET", "/api/v1/geocode", s.geocode)
	priv("GET", "/api/v1/gazetteer", s.listGazetteer)
	priv("POST", "/api/v1/gazetteer", s.addGazetteer)
	priv("DELETE", "/api/v1/gazetteer/{id}", s.deleteGazetteer)
	priv("POST", "/api/v1/gazetteer/rebuild", s.rebuildGazetteer)
	priv("GET", "/api/v1/units", s.listUnits)
	priv("POST", "/api/v1/units", s.createUnit)
	priv("GET", "/api/v1/users", s.listUsers)
	priv("POST", "/api/v1/users", s.createUser)
	priv("POST", "/api/v1/users/{id}/disable", s.disableUser)
	priv("POST", "/api/v1/users/{id}/enable", s.enableUser)
	priv("PUT", "/api/v1/users/{id}/roles", s.setRoles)
	priv("GET", "/api/v1/users/{id}/tokens", s.listTokens)
	priv("DELETE", "/api/v1/users/{id}/tokens/{token}", s.revokeToken)
	priv("GET", "/api/v1/categories", s.listCategories)
	priv("PUT", "/api/v1/categories/{code}", s.putCategory)
	priv("GET", "/api/v1/policy", s.getPolicy)
	priv("PUT", "/api/v1/policy", s.putPolicy)
	priv("GET", "/api/v1/calendar/{year}", s.getCalendar)
	priv("PUT", "/api/v1/calendar/{year}", s.putCalendar)
	priv("GET", "/api/v1/deadline", s.deadline)

	priv("POST", "/api/v1/classify", s.classify)
	priv("GET", "/api/v1/classifier", s.classifierInfo)
	priv("POST", "/api/v1/classifier/train", s.trainClassifier)
	priv("PUT", "/api/v1/classifier/auto-dispatch", s.putAutoDispatch)

	priv("POST", "/api/v1/attachments", s.upload)
	priv("GET", "/api/v1/attachments/{id}", s.download)

	priv("POST", "/api/v1/cases", s.createCase)
	priv("GET", "/api/v1/cases", s.listCases)
	priv("GET", "/api/v1/inbox", s.inbox)
	priv("GET", "/api/v1/queue", s.queue)
	priv("POST", "/api/v1/queue/dispatch", s.queueDispatch)
	priv("GET", "/api/v1/cases/{id}", s.getCase)
	priv("GET", "/api/v1/case-numbers/{number}", s.getCaseByNumber)
	priv("GET", "/api/v1/cases/{id}/events", s.caseEvents)
	priv("GET", "/api/v1/cases/{id}/links", s.caseLinks)
	priv("POST", "/api/v1/cases/{id}/reveal", s.reveal)
	priv("GET", "/api/v1/cases/{id}/duplicates", s.caseDuplicates)
	priv("POST", "/api/v1/duplicates/check", s.checkDuplicates)
	priv("GET", "/api/v1/repeats", s.listRepeats)
	priv("POST", "/api/v1/route-suggestion", s.routeSuggestion)
	priv("GET", "/api/v1/duty-lists", s.listDutyLists)
	priv("POST", "/api/v1/duty-lists", s.createDutyList)
	priv("GET", "/api/v1/duty-lists/{version}", s.getDutyList)
	priv("PUT", "/api/v1/duty-lists/{version}", s.putDutyList)
	priv("POST", "/api/v1/duty-lists/{version}/publish", s.publishDutyList)
	priv("POST", "/api/v1/duty-lists/{version}/dry-run", s.dryRun)
	priv("GET", "/api/v1/knowledge", s.searchKnowledge)
	priv("POST", "/api/v1/knowledge", s.createArticle)
	priv("POST", "/api/v1/knowledge/suggest", s.suggestKnowledge)
	priv("GET", "/api/v1/knowledge/{id}", s.getArticle)
	priv("PUT", "/api/v1/knowledge/{id}", s.putArticle)
	priv("DELETE", "/api/v1/knowledge/{id}", s.deleteArticle)
	for _, a := range CaseActions {
		priv("POST", "/api/v1/cases/{id}/"+ActionPath(a), s.act(a))
	}

	pub("GET", "/api/v1/public/rankings/{month}", s.publicRanking)
	priv("GET", "/api/v1/assess/ranking", s.getRanking)
	priv("GET", "/api/v1/assess/export", s.exportRanking)
	priv("GET", "/api/v1/assess/cases", s.assessCases)
	priv("GET", "/api/v1/assess/months", s.listAssessMonths)
	priv("POST", "/api/v1/assess/months/{month}/publish", s.publishMonth)
	priv("GET", "/api/v1/assess/rules", s.getAssessRules)
	priv("PUT", "/api/v1/assess/rules", s.putAssessRules)
	priv("GET", "/api/v1/assess/items", s.listAssessItems)
	priv("POST", "/api/v1/assess/items", s.addAssessItem)
	priv("GET", "/api/v1/assess/exemptions", s.listExemptions)
	priv("POST", "/api/v1/assess/exemptions", s.requestExemption)
	priv("POST", "/api/v1/assess/exemptions/{id}/decide", s.decideExemption)
	priv("POST", "/api/v1/whistles", s.raiseWhistle)
	priv("GET", "/api/v1/whistles", s.listWhistles)
	priv("GET", "/api/v1/whistles/{id}", s.getWhistle)
	for _, a := range WhistleActions {
		priv("POST", "/api/v1/whistles/{id}/"+a, s.whistleAct(a))
	}
	priv("GET", "/api/v1/summons/stats", s.summonsStats)
	priv("GET", "/api/v1/summons/config", s.getSummonsConfig)
	priv("PUT", "/api/v1/summons/config", s.putSummonsConfig)
	priv("GET", "/api/v1/grids/{id}/assignments", s.listGridAssignments)
	priv("POST", "/api/v1/grids/{id}/assignments", s.assignGrid)
	priv("POST", "/api/v1/patrols", s.startPatrol)
	priv("GET", "/api/v1/patrols/{id}", s.getPatrol)
	priv("POST", "/api/v1/patrols/{id}/positions", s.patrolPositions)
	priv("POST", "/api/v1/patrols/{id}/findings", s.patrolFinding)
	priv("POST", "/api/v1/patrols/{id}/end", s.endPatrol)
	priv("GET", "/api/v1/grid/coverage", s.gridCoverage)

	mux.Handle("GET /metrics", s.metricsGuard(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})))
	s.routes = append(s.routes, Route{Method: "GET", Path: "/metrics"})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errs.E(errs.NotFound)) })

	cop := http.NewCrossOriginProtection()
	// Refusals are JSON like every other error (the default is plain text).
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errs.D(errs.Forbidden, "cross-origin request"))
	}))
	return cop.Handler(s.cleanInput(mux))
}

// CaseActions are the lifecycle actions exposed as POST /cases/{id}/<path>.
var CaseActions = []lifecycle.Action{
	lifecycle.ActAccept, lifecycle.ActAnswer, lifecycle.ActDispatch, lifecycle.ActSign, lifecycle.ActContact,
	lifecycle.ActProgress, lifecycle.ActAssist, lifecycle.ActRequestReturn, lifecycle.ActApproveReturn,
	lifecycle.ActRejectReturn, lifecycle.ActRequestExtension, lifecycle.ActApproveExtension,
	lifecycle.ActRejectExtension, lifecycle.ActReply, lifecycle.ActCallback, lifecycle.ActClose,
	lifecycle.ActSupervise, lifecycle.ActMerge, lifecycle.ActNote,
}

// ActionPath is the URL segment of an action (request_return → request-return).
func ActionPath(a lifecycle.Action) string { return strings.ReplaceAll(string(a), "_", "-") }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int)        { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) observe(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic in handler", "path", r.URL.Path, "panic", p)
				s.fail(sw, r, errs.D(errs.Internal, "panic"))
			}
			status := strconv.Itoa(sw.status/100) + "xx"
			if sw.status == httpx.StatusClientClosed {
				status = strconv.Itoa(sw.status) // not a client error: the client left
			}
			s.latency.WithLabelValues(route, r.Method, status).Observe(time.Since(start).Seconds())
		}()
		h.ServeHTTP(sw, r)
	})
}

// bearer is the request's token: the Authorization header or the session cookie.
func bearer(r *http.Request) string { return httpx.Token(r) }

func (s *Server) authed(h func(http.ResponseWriter, *http.Request, org.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := s.svc.Accounts.Authenticate(r.Context(), bearer(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h(w, r, a)
	})
}

// metricsGuard lets through the scrapers' bearer token (compared in
// constant time) and administrators (session or API token); everyone else
// gets 401, whatever address they come from (a reverse proxy on the same
// machine would make every visitor look local).
func (s *Server) metricsGuard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r)
		if s.metrics != "" && tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.metrics)) == 1 {
			h.ServeHTTP(w, r)
			return
		}
		if tok != "" {
			if a, err := s.svc.Accounts.Authenticate(r.Context(), tok); err == nil && a.User.Has(org.RoleAdmin) {
				h.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="whistle metrics"`)
		s.fail(w, r, errs.E(errs.Unauthenticated))
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// SetReady sets the readiness check (default: the store answers).
func (s *Server) SetReady(f func(context.Context) error) { s.ready = f }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	check := s.ready
	if check == nil {
		check = s.svc.Ping
	}
	if err := check(ctx); err != nil {
		s.fail(w, r, &errs.Error{Code: errs.Unavailable, Err: err})
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}
