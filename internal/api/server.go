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
	opens   *auth.Limiter      // open-data requests per address
	cookies httpx.Sessions
	hasher  auth.Hasher
	reg     *prometheus.Registry
	latency *prometheus.HistogramVec
	routes  []Route
	ready   func(context.Context) error
	metrics string // the scrapers' bearer token ("" = none)

	o311 *open311Limits // Open311 POSTs per key and per phone

	storeDown func(error) bool // Options.StoreDown
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
	// StoreDown reports whether an error means the database cannot be
	// reached (store.Unreachable, set by internal/app): such failures are
	// answered 503 store_unavailable, not 500 (docs/SCALEOUT.md).
	StoreDown func(error) bool
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
	s := &Server{svc: svc, log: opts.Logger, limiter: opts.Limits.Logins, submits: opts.Limits.Submits, lookups: opts.Limits.Lookups, opens: opts.Limits.Open,
		cookies: opts.Sessions, hasher: opts.Hasher, reg: prometheus.NewRegistry(), metrics: opts.MetricsToken,
		storeDown: opts.StoreDown}
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
	Auth         bool         // requires a session or token
	Access       httpx.Access // who may call it (checked before the handler reads anything)
	handler      func(w http.ResponseWriter, r *http.Request, a org.Actor)
}

// Routes lists every API route.
func (s *Server) Routes() []Route { return s.routes }

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes = nil
	pub := func(method, path string, h http.HandlerFunc) {
		s.routes = append(s.routes, Route{Method: method, Path: path, Access: httpx.Public})
		mux.Handle(method+" "+path, s.observe(path, h))
	}
	// priv routes name who may call them (httpx.Access): the gate runs
	// before the handler reads a body or a query, so a refused role gets
	// 403 whatever it sent. The services keep their own, finer checks.
	priv := func(method, path string, acc httpx.Access, h func(http.ResponseWriter, *http.Request, org.Actor)) {
		s.routes = append(s.routes, Route{Method: method, Path: path, Auth: true, Access: acc, handler: h})
		mux.Handle(method+" "+path, s.observe(path, s.authed(acc, h)))
	}
	// The role sets of the gates (internal/app/testdata/authz.tsv is the
	// matrix they must agree with; docs/SECURITY.md explains it).
	var (
		// centre staff by role (org.CentreStaff narrows to centre units)
		centreStaff = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAnalyst, org.RoleAdmin)
		// who decides for the city (org.CityDecider narrows to the city centre)
		deciders = httpx.Roles(org.RoleDispatcher, org.RoleAdmin)
		// who files cases (a citizen files on the public routes)
		intake = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleGridWorker)
		// the centre's desk: the queue of online submissions
		centreDesk = httpx.Roles(org.RoleAgent, org.RoleDispatcher)
		// who may ask for a citizen's unmasked contact (org.MayRevealPII)
		revealers = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleHandler, org.RoleLeader)
		// duplicates and routing suggestions
		dupCheckers = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAdmin)
		// who writes knowledge articles (centre units, or admin)
		kbEditors = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAdmin)
		// assessment figures, whistles, coverage: centre staff and units' people
		assessReaders = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAnalyst, org.RoleAdmin, org.RoleHandler, org.RoleLeader)
		// a unit's own people (exemption requests, whistles)
		unitStaff = httpx.Roles(org.RoleHandler, org.RoleLeader)
		// who puts people on a grid (admin, or the street's leader)
		assigners = httpx.Roles(org.RoleAdmin, org.RoleLeader)
		// the dashboard and the big screen: centre staff and analysts
		screenViewers = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAnalyst, org.RoleAdmin)
	)

	pub("GET", "/healthz", s.healthz)
	pub("GET", "/readyz", s.readyz)
	pub("GET", "/api/v1/openapi.json", s.openapi)
	pub("POST", "/api/v1/auth/login", s.login)
	pub("POST", "/api/v1/public/cases", s.publicCreate)
	pub("POST", "/api/v1/public/lookup", s.publicLookup)
	pub("POST", "/api/v1/public/rate", s.publicRate)

	priv("POST", "/api/v1/auth/logout", httpx.SignedIn, s.logout)
	priv("GET", "/api/v1/me", httpx.SignedIn, s.me)
	priv("POST", "/api/v1/me/password", httpx.SignedIn, s.changePassword)
	priv("GET", "/api/v1/me/totp", httpx.SignedIn, s.totpStatus)
	priv("POST", "/api/v1/me/totp", httpx.SignedIn, s.totpBegin)
	priv("POST", "/api/v1/me/totp/confirm", httpx.SignedIn, s.totpConfirm)
	priv("POST", "/api/v1/me/totp/disable", httpx.SignedIn, s.totpDisable)
	priv("POST", "/api/v1/users/{id}/totp/reset", httpx.Admin, s.totpReset)
	priv("GET", "/api/v1/settings/totp", httpx.Admin, s.totpRequired)
	priv("PUT", "/api/v1/settings/totp", httpx.Admin, s.putTOTPRequired)
	priv("POST", "/api/v1/tokens", httpx.Admin, s.createToken)
	priv("GET", "/api/v1/audit", httpx.Admin, s.auditLog)
	priv("GET", "/api/v1/export-schedules", httpx.Admin, s.listExportSchedules)
	priv("POST", "/api/v1/export-schedules", httpx.Admin, s.saveExportSchedule)
	priv("PUT", "/api/v1/export-schedules/{id}", httpx.Admin, s.saveExportSchedule)
	priv("DELETE", "/api/v1/export-schedules/{id}", httpx.Admin, s.deleteExportSchedule)

	priv("GET", "/api/v1/places", httpx.SignedIn, s.listPlaces)
	priv("POST", "/api/v1/places", httpx.Admin, s.createPlace)
	priv("GET", "/api/v1/places/{id}", httpx.SignedIn, s.getPlace)
	priv("PUT", "/api/v1/places/{id}/boundary", httpx.Admin, s.putBoundary)
	priv("GET", "/api/v1/locate", httpx.SignedIn, s.locate)
	priv("GET", "/api/v1/jurisdiction", httpx.SignedIn, s.jurisdiction)
	priv("POST", "/api/v1/boundaries/import", httpx.Admin, s.importBoundaries)
	priv("GET", "/api/v1/geocode", httpx.SignedIn, s.geocode)
	priv("GET", "/api/v1/gazetteer", httpx.SignedIn, s.listGazetteer)
	priv("POST", "/api/v1/gazetteer", httpx.Admin, s.addGazetteer)
	priv("DELETE", "/api/v1/gazetteer/{id}", httpx.Admin, s.deleteGazetteer)
	priv("POST", "/api/v1/gazetteer/rebuild", httpx.Admin, s.rebuildGazetteer)
	priv("GET", "/api/v1/webhooks", httpx.Admin, s.listWebhooks)
	priv("POST", "/api/v1/webhooks", httpx.Admin, s.createWebhook)
	priv("GET", "/api/v1/webhooks/{id}", httpx.Admin, s.getWebhook)
	priv("PUT", "/api/v1/webhooks/{id}", httpx.Admin, s.putWebhook)
	priv("DELETE", "/api/v1/webhooks/{id}", httpx.Admin, s.deleteWebhook)
	priv("GET", "/api/v1/webhooks/{id}/deliveries", httpx.Admin, s.webhookDeliveries)
	priv("POST", "/api/v1/webhooks/{id}/replay", httpx.Admin, s.replayWebhook)
	priv("GET", "/api/v1/units", httpx.SignedIn, s.listUnits)
	priv("POST", "/api/v1/units", httpx.Admin, s.createUnit)
	priv("GET", "/api/v1/users", httpx.SignedIn, s.listUsers)
	priv("POST", "/api/v1/users", httpx.Admin, s.createUser)
	priv("POST", "/api/v1/users/{id}/disable", httpx.Admin, s.disableUser)
	priv("POST", "/api/v1/users/{id}/enable", httpx.Admin, s.enableUser)
	priv("PUT", "/api/v1/users/{id}/roles", httpx.Admin, s.setRoles)
	priv("GET", "/api/v1/users/{id}/tokens", httpx.SignedIn, s.listTokens)
	priv("DELETE", "/api/v1/users/{id}/tokens/{token}", httpx.SignedIn, s.revokeToken)
	priv("GET", "/api/v1/categories", httpx.SignedIn, s.listCategories)
	priv("PUT", "/api/v1/categories/{code}", httpx.Admin, s.putCategory)
	priv("GET", "/api/v1/policy", httpx.SignedIn, s.getPolicy)
	priv("PUT", "/api/v1/policy", httpx.Admin, s.putPolicy)
	priv("GET", "/api/v1/calendar/{year}", httpx.SignedIn, s.getCalendar)
	priv("PUT", "/api/v1/calendar/{year}", httpx.Admin, s.putCalendar)
	priv("GET", "/api/v1/deadline", httpx.SignedIn, s.deadline)

	priv("POST", "/api/v1/classify", httpx.SignedIn, s.classify)
	priv("GET", "/api/v1/classifier", httpx.SignedIn, s.classifierInfo)
	priv("POST", "/api/v1/classifier/train", httpx.Admin, s.trainClassifier)
	priv("PUT", "/api/v1/classifier/auto-dispatch", httpx.Admin, s.putAutoDispatch)

	priv("POST", "/api/v1/attachments", httpx.SignedIn, s.upload)
	priv("GET", "/api/v1/attachments/{id}", httpx.SignedIn, s.download)

	priv("POST", "/api/v1/cases", intake, s.createCase)
	priv("GET", "/api/v1/cases", httpx.SignedIn, s.listCases)
	priv("GET", "/api/v1/cases/export.csv", httpx.SignedIn, s.exportCases("csv"))
	priv("GET", "/api/v1/cases/export.xlsx", httpx.SignedIn, s.exportCases("xlsx"))
	priv("GET", "/api/v1/cases/export.jsonl", httpx.SignedIn, s.exportCases("jsonl"))
	priv("GET", "/api/v1/inbox", httpx.SignedIn, s.inbox)
	priv("GET", "/api/v1/queue", centreDesk, s.queue)
	priv("POST", "/api/v1/queue/dispatch", centreDesk, s.queueDispatch)
	priv("GET", "/api/v1/cases/{id}", httpx.SignedIn, s.getCase)
	priv("GET", "/api/v1/case-numbers/{number}", httpx.SignedIn, s.getCaseByNumber)
	priv("GET", "/api/v1/cases/{id}/events", httpx.SignedIn, s.caseEvents)
	priv("GET", "/api/v1/cases/{id}/links", httpx.SignedIn, s.caseLinks)
	priv("POST", "/api/v1/cases/{id}/reveal", revealers, s.reveal)
	priv("POST", "/api/v1/cases/{id}/reply-check", httpx.SignedIn, s.checkReply)
	priv("GET", "/api/v1/cases/{id}/reply-check", httpx.SignedIn, s.getReplyCheck)
	priv("GET", "/api/v1/callbacks", centreDesk, s.callbacks)
	priv("GET", "/api/v1/cases/{id}/duplicates", dupCheckers, s.caseDuplicates)
	priv("POST", "/api/v1/duplicates/check", dupCheckers, s.checkDuplicates)
	priv("GET", "/api/v1/repeats", httpx.SignedIn, s.listRepeats)
	priv("POST", "/api/v1/route-suggestion", dupCheckers, s.routeSuggestion)
	priv("GET", "/api/v1/duty-lists", centreStaff, s.listDutyLists)
	priv("POST", "/api/v1/duty-lists", deciders, s.createDutyList)
	priv("GET", "/api/v1/duty-lists/{version}", centreStaff, s.getDutyList)
	priv("PUT", "/api/v1/duty-lists/{version}", deciders, s.putDutyList)
	priv("POST", "/api/v1/duty-lists/{version}/publish", deciders, s.publishDutyList)
	priv("POST", "/api/v1/duty-lists/{version}/dry-run", centreStaff, s.dryRun)
	priv("GET", "/api/v1/knowledge", httpx.SignedIn, s.searchKnowledge)
	priv("POST", "/api/v1/knowledge", kbEditors, s.createArticle)
	priv("POST", "/api/v1/knowledge/suggest", httpx.SignedIn, s.suggestKnowledge)
	priv("GET", "/api/v1/knowledge/{id}", httpx.SignedIn, s.getArticle)
	priv("PUT", "/api/v1/knowledge/{id}", kbEditors, s.putArticle)
	priv("DELETE", "/api/v1/knowledge/{id}", kbEditors, s.deleteArticle)
	for _, a := range CaseActions {
		priv("POST", "/api/v1/cases/{id}/"+ActionPath(a), actionAccess(a), s.act(a))
	}

	pub("GET", "/api/v1/public/rankings/{month}", s.publicRanking)
	pub("GET", "/api/v1/open/cases", s.openCases)
	pub("GET", "/api/v1/open/files", s.openFiles)
	pub("GET", "/api/v1/open/files/{dir}/{name}", s.openFile)
	priv("GET", "/api/v1/assess/ranking", assessReaders, s.getRanking)
	priv("GET", "/api/v1/assess/export", assessReaders, s.exportRanking)
	priv("GET", "/api/v1/assess/cases", assessReaders, s.assessCases)
	priv("GET", "/api/v1/assess/months", httpx.SignedIn, s.listAssessMonths)
	priv("POST", "/api/v1/assess/months/{month}/publish", deciders, s.publishMonth)
	priv("GET", "/api/v1/assess/rules", assessReaders, s.getAssessRules)
	priv("PUT", "/api/v1/assess/rules", deciders, s.putAssessRules)
	priv("GET", "/api/v1/assess/items", assessReaders, s.listAssessItems)
	priv("POST", "/api/v1/assess/items", deciders, s.addAssessItem)
	priv("GET", "/api/v1/assess/exemptions", assessReaders, s.listExemptions)
	priv("POST", "/api/v1/assess/exemptions", unitStaff, s.requestExemption)
	priv("POST", "/api/v1/assess/exemptions/{id}/decide", deciders, s.decideExemption)
	priv("POST", "/api/v1/whistles", unitStaff, s.raiseWhistle)
	priv("GET", "/api/v1/whistles", httpx.SignedIn, s.listWhistles)
	priv("GET", "/api/v1/whistles/{id}", assessReaders, s.getWhistle)
	for _, a := range WhistleActions {
		priv("POST", "/api/v1/whistles/{id}/"+a, unitStaff, s.whistleAct(a))
	}
	priv("GET", "/api/v1/summons/stats", centreStaff, s.summonsStats)
	priv("GET", "/api/v1/summons/config", httpx.SignedIn, s.getSummonsConfig)
	priv("PUT", "/api/v1/summons/config", deciders, s.putSummonsConfig)
	priv("GET", "/api/v1/grids/{id}/assignments", httpx.SignedIn, s.listGridAssignments)
	priv("POST", "/api/v1/grids/{id}/assignments", assigners, s.assignGrid)
	priv("POST", "/api/v1/patrols", httpx.SignedIn, s.startPatrol)
	priv("GET", "/api/v1/patrols/{id}", httpx.SignedIn, s.getPatrol)
	priv("POST", "/api/v1/patrols/{id}/positions", httpx.SignedIn, s.patrolPositions)
	priv("POST", "/api/v1/patrols/{id}/findings", httpx.SignedIn, s.patrolFinding)
	priv("POST", "/api/v1/patrols/{id}/end", httpx.SignedIn, s.endPatrol)
	priv("GET", "/api/v1/grid/coverage", assessReaders, s.gridCoverage)
	priv("GET", "/api/v1/insight", centreStaff, s.getInsight)
	priv("GET", "/api/v1/insight/export.xlsx", centreStaff, s.exportInsight)
	priv("GET", "/api/v1/dashboard", screenViewers, s.dashboard)
	// 每月一题 topics: the city's deciders manage; centre staff and the units
	// involved read (narrowed by governance to what each may see).
	priv("GET", "/api/v1/topics", assessReaders, s.listTopics)
	priv("POST", "/api/v1/topics", deciders, s.createTopic)
	priv("GET", "/api/v1/topics/report", assessReaders, s.topicReport)
	priv("GET", "/api/v1/topics/{id}", assessReaders, s.getTopic)
	priv("PATCH", "/api/v1/topics/{id}", deciders, s.patchTopic)
	priv("POST", "/api/v1/topics/{id}/tasks", deciders, s.addTopicTask)
	priv("POST", "/api/v1/topics/{id}/close", deciders, s.closeTopic)
	priv("GET", "/api/v1/topics/{id}/tracking", assessReaders, s.topicTracking)
	// tasks in their owners' inboxes; 未诉先办 proposals reviewed by the city centre
	priv("GET", "/api/v1/tasks", httpx.SignedIn, s.myTasks)
	priv("GET", "/api/v1/tasks/{id}", httpx.SignedIn, s.getTask)
	priv("POST", "/api/v1/tasks/{id}/done", unitStaff, s.taskDone)
	priv("GET", "/api/v1/proactive", centreStaff, s.listProactive)
	priv("POST", "/api/v1/proactive/propose", httpx.Roles(org.RoleDispatcher, org.RoleSupervisor, org.RoleAdmin), s.proposeProactive)
	priv("POST", "/api/v1/proactive/{id}/review", httpx.Roles(org.RoleDispatcher, org.RoleSupervisor, org.RoleAdmin), s.reviewProactive)
	// property services (物业, issue #15)
	priv("GET", "/api/v1/compounds", centreStaff, s.listCompounds)
	priv("POST", "/api/v1/compounds", deciders, s.createCompound)
	priv("PUT", "/api/v1/compounds/{id}", deciders, s.putCompound)
	priv("GET", "/api/v1/property/board", assessReaders, s.propertyBoard)
	pub("GET", "/api/v1/public/compounds", s.publicCompounds)
	pub("POST", "/api/v1/public/property-ratings", s.publicPropertyRate)

	// 议事协商 (issue #15): a street's (or community's) items; the public
	// view and residents' proposals (deliberation.go).
	priv("GET", "/api/v1/deliberations", assessReaders, s.listDeliberations)
	priv("POST", "/api/v1/deliberations", unitStaff, s.raiseDeliberation)
	priv("GET", "/api/v1/deliberations/{id}", assessReaders, s.getDeliberation)
	priv("POST", "/api/v1/deliberations/{id}/reveal", unitStaff, s.revealDeliberation)
	for _, step := range []string{"accept", "decline", "schedule", "decide", "tasks", "close"} {
		priv("POST", "/api/v1/deliberations/{id}/"+step, unitStaff, s.deliberationStep(step))
	}
	pub("GET", "/api/v1/public/deliberations", s.publicDeliberations)
	pub("POST", "/api/v1/public/deliberations", s.proposeDeliberation)
	pub("GET", "/api/v1/public/deliberations/{id}", s.publicDeliberation)

	// Volunteers (issue #15, volunteers.go): a resident registers; the
	// volunteer's own record, sign-ups and steps; the community's staff
	// decide, publish tasks and confirm hours.
	volunteers := httpx.Roles(org.RoleVolunteer)
	pub("POST", "/api/v1/public/volunteers", s.registerVolunteer)
	priv("GET", "/api/v1/volunteer", volunteers, s.myVolunteering)
	for _, step := range []string{"signup", "checkin", "checkout"} {
		priv("POST", "/api/v1/volunteer/tasks/{id}/"+step, volunteers, s.volunteerTaskAct(step))
	}
	priv("GET", "/api/v1/volunteers", unitStaff, s.listVolunteers)
	for _, step := range []string{"approve", "reject", "leave"} {
		priv("POST", "/api/v1/volunteers/{id}/"+step, unitStaff, s.decideVolunteer(step))
	}
	priv("POST", "/api/v1/volunteers/tasks", unitStaff, s.publishVolunteerTask)
	priv("GET", "/api/v1/volunteers/tasks/{id}", unitStaff, s.getVolunteerTask)
	priv("POST", "/api/v1/volunteers/tasks/{id}/confirm", unitStaff, s.confirmVolunteerHours)

	// Open311 GeoReport v2 (open311.go).
	s.open311Routes(mux, pub, priv)

	// 问需于民 and 项目制 (issue #15, consult.go): surveys, projects, the
	// practical-matters list (residents answer, vote and evaluate on the portal).
	priv("GET", "/api/v1/surveys", assessReaders, s.listSurveys)
	priv("POST", "/api/v1/surveys", unitStaff, s.createSurvey)
	priv("GET", "/api/v1/surveys/{id}", assessReaders, s.getSurvey)
	priv("PUT", "/api/v1/surveys/{id}", unitStaff, s.editSurvey)
	priv("POST", "/api/v1/surveys/{id}/publish", unitStaff, s.surveyAct("publish"))
	priv("POST", "/api/v1/surveys/{id}/close", unitStaff, s.surveyAct("close"))
	priv("GET", "/api/v1/projects", assessReaders, s.listProjects)
	priv("POST", "/api/v1/projects", unitStaff, s.proposeProject)
	priv("GET", "/api/v1/projects/{id}", assessReaders, s.getProject)
	for _, a := range []string{"decide", "report", "spend", "finish"} {
		priv("POST", "/api/v1/projects/{id}/"+a, unitStaff, s.projectAct(a))
	}
	priv("GET", "/api/v1/practical", assessReaders, s.listRounds)
	priv("POST", "/api/v1/practical", deciders, s.practicalAct("open"))
	priv("GET", "/api/v1/practical/{id}", assessReaders, s.getRound)
	priv("POST", "/api/v1/practical/items/{id}/shortlist", deciders, s.practicalAct("shortlist"))
	priv("POST", "/api/v1/practical/{id}/voting", deciders, s.practicalAct("voting"))
	priv("POST", "/api/v1/practical/{id}/adopt", deciders, s.practicalAct("adopt"))
	// 未诉先办 forecasts (issue #16): scoped by the forecasting service
	priv("GET", "/api/v1/forecast", httpx.SignedIn, s.forecast)

	mux.Handle("GET /metrics", s.metricsGuard(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})))
	s.routes = append(s.routes, Route{Method: "GET", Path: "/metrics", Access: httpx.Public})
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

// actionAccess is a case action's gate: the roles of its row in the
// lifecycle's table (lifecycle.Apply checks them again, with the state).
func actionAccess(a lifecycle.Action) httpx.Access {
	t, ok := lifecycle.Lookup(a)
	if !ok {
		panic("api: no lifecycle row for " + string(a))
	}
	var roles []string
	for _, r := range t.Roles {
		if r != org.RoleCitizen && r != org.RoleSystem { // never a signed-in user's role here
			roles = append(roles, r)
		}
	}
	return httpx.Roles(roles...)
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

// authed authenticates the request and checks the route's gate before
// the handler reads anything: 401 without a valid session or token, 403
// for a role the route does not admit.
func (s *Server) authed(acc httpx.Access, h func(http.ResponseWriter, *http.Request, org.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := s.svc.Accounts.Authenticate(r.Context(), bearer(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !acc.Allows(a.User) {
			s.fail(w, r, errs.E(errs.Forbidden))
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
