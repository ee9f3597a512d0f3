// Package web serves Whistle's pages: server-rendered html/template pages
// (embedded), made lively with htmx, with ECharts for charts and Leaflet for
// maps (vendored under static/vendor, see VERSIONS.md there). Every page
// route is declared in one block in Handler; every string comes from the
// message catalogues in i18n/ (zh-CN first, English by a switch).
package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"whistle/internal/auth"
	"whistle/internal/deliberation"
	"whistle/internal/errs"
	"whistle/internal/httpx"
	"whistle/internal/org"
	"whistle/internal/services"
)

//go:embed templates static
var files embed.FS

// Server serves the pages.
type Server struct {
	svc       *services.Services
	log       *slog.Logger
	cat       *Catalogue
	pages     map[string]*template.Template
	logins    *auth.LoginLimiter // login tries (shared with the API)
	submits   *auth.Limiter      // portal submissions per address
	lookups   *auth.Limiter      // failed portal look-ups per address
	storeDown func(error) bool   // Options.StoreDown
	cookies   httpx.Sessions
	hasher    auth.Hasher
	demo      atomic.Pointer[[]DemoLogin]
	geo       geoCache // boundary documents, plain and gzipped
	routes    []Route
}

// DemoLogin is a demo user shown on the login page of a demo city.
type DemoLogin struct {
	Username, Role, Name, Password string
}

// SetDemoLogins lists demo users on the login page (demo cities only).
func (s *Server) SetDemoLogins(ls []DemoLogin) { s.demo.Store(&ls) }

// Options configure the pages.
type Options struct {
	Logger *slog.Logger
	// Sessions decides the session cookie, as in the API.
	Sessions httpx.Sessions
	// Limits are the rate limits, shared with the API (built here when nil).
	Limits *httpx.Limits
	// Hasher hashes passwords of users created on the admin pages.
	Hasher auth.Hasher
	// StoreDown reports whether an error means the database cannot be
	// reached (as in the API): a page then says so, with 503.
	StoreDown func(error) bool
}

// New parses the templates and catalogues.
func New(svc *services.Services, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cat, err := LoadCatalogue()
	if err != nil {
		return nil, err
	}
	if opts.Hasher.Time == 0 {
		opts.Hasher = auth.DefaultHasher()
	}
	if opts.Limits == nil {
		opts.Limits = httpx.NewLimits()
	}
	s := &Server{svc: svc, log: opts.Logger, cat: cat, cookies: opts.Sessions, hasher: opts.Hasher,
		logins: opts.Limits.Logins, submits: opts.Limits.Submits, lookups: opts.Limits.Lookups, storeDown: opts.StoreDown}
	if err := s.parse(); err != nil {
		return nil, err
	}
	return s, nil
}

// Route is one page route: its pattern (method and path, as registered)
// and who may open it.
type Route struct {
	Pattern string
	Access  httpx.Access
}

// Routes lists every page route (after Handler).
func (s *Server) Routes() []Route { return s.routes }

// Handler returns every page route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes = nil
	pub := func(pattern string, h http.HandlerFunc) {
		s.routes = append(s.routes, Route{Pattern: pattern, Access: httpx.Public})
		mux.Handle(pattern, s.recover(h))
	}
	// priv pages name who may open them (httpx.Access): the gate runs
	// before the handler reads a form or a query, so a refused role gets
	// a 403 page whatever it sent. The services keep their own checks.
	priv := func(pattern string, acc httpx.Access, h func(http.ResponseWriter, *http.Request, org.Actor)) {
		s.routes = append(s.routes, Route{Pattern: pattern, Access: acc})
		mux.Handle(pattern, s.recover(s.session(acc, h)))
	}
	// The role sets of the gates (internal/app/testdata/authz.tsv is the
	// matrix they must agree with; docs/SECURITY.md explains it).
	var (
		// the centre's desk: the agent screen, callbacks, the queue
		centreDesk = httpx.Roles(org.RoleAgent, org.RoleDispatcher)
		// the centre's review of returns and extensions
		reviewers = httpx.Roles(org.RoleDispatcher, org.RoleSupervisor)
		// the supervisor's board
		overseers = httpx.Roles(org.RoleSupervisor, org.RoleDispatcher, org.RoleAnalyst, org.RoleAdmin, org.RoleLeader)
		// centre staff by role (org.CentreStaff narrows to centre units)
		centreStaff = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAnalyst, org.RoleAdmin)
		// who decides for the city (org.CityDecider narrows to the city centre)
		deciders = httpx.Roles(org.RoleDispatcher, org.RoleAdmin)
		// who may ask for a citizen's unmasked contact (org.MayRevealPII)
		revealers = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleHandler, org.RoleLeader)
		// assessment figures, whistles, coverage: centre staff and units' people
		assessReaders = httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAnalyst, org.RoleAdmin, org.RoleHandler, org.RoleLeader)
		// a unit's own people (exemption requests, whistles)
		unitStaff = httpx.Roles(org.RoleHandler, org.RoleLeader)
		// duty lists (mayDutyPage narrows to centre units)
		dutyStaff = httpx.Roles(org.RoleAdmin, org.RoleDispatcher, org.RoleSupervisor)
		// knowledge articles (mayKBPage narrows to centre units)
		kbEditors = httpx.Roles(org.RoleAdmin, org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor)
	)
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheForever(http.FileServerFS(static))))
	s.routes = append(s.routes, Route{Pattern: "GET /static/", Access: httpx.Public})

	pub("GET /{$}", s.home)
	pub("GET /login", s.loginPage)
	pub("POST /login", s.loginSubmit)
	pub("POST /login/totp", s.loginCode)
	pub("POST /logout", s.logout)
	pub("GET /lang/{lang}", s.setLang)
	priv("GET /account", httpx.Account, s.accountPage)
	priv("POST /account/password", httpx.Account, s.accountPassword)
	priv("POST /account/totp", httpx.Account, s.accountTOTPBegin)
	priv("POST /account/totp/confirm", httpx.Account, s.accountTOTPConfirm)
	priv("POST /account/totp/disable", httpx.Account, s.accountTOTPDisable)

	// Citizens (public, mobile first).
	pub("GET /portal", s.portalPage)
	pub("POST /portal", s.portalSubmit)
	pub("GET /portal/track", s.trackPage)
	pub("POST /portal/track", s.trackSubmit)
	pub("POST /portal/rate", s.rateSubmit)
	pub("GET /portal/figures", s.figuresPage)
	pub("GET /portal/locate", s.portalLocate)
	pub("GET /geo/boundaries.json", s.boundaries)
	pub("GET /favicon.ico", s.favicon)

	// Hotline agents.
	priv("GET /agent", centreDesk, s.agentPage)
	priv("POST /agent", centreDesk, s.agentSubmit)
	// Every signed-in role reaches the phone search, whose own check
	// (casework.SearchByPhone: call-takers only, before the number is read)
	// answers a refusal as the agent screen's panel, without the page
	// around it that would repeat the number typed in its links.
	priv("GET /agent/history", httpx.SignedIn, s.agentHistory)
	priv("POST /agent/suggest", centreDesk, s.agentSuggest)
	priv("GET /callbacks", centreDesk, s.callbacksPage)
	priv("POST /callbacks/{id}", centreDesk, s.callbackSubmit)
	priv("GET /queue", centreDesk, s.queuePage)
	priv("POST /queue/dispatch", centreDesk, s.queueDispatch)

	// Units, the centre and supervisors.
	priv("GET /inbox", httpx.SignedIn, s.inboxPage)
	priv("GET /review", reviewers, s.reviewPage)
	priv("GET /supervisor", overseers, s.supervisorPage)
	priv("GET /supervisor/data.json", overseers, s.supervisorData)
	priv("GET /cases", httpx.SignedIn, s.casesPage)
	priv("GET /cases/export.csv", httpx.SignedIn, s.casesExport("csv"))
	priv("GET /cases/export.xlsx", httpx.SignedIn, s.casesExport("xlsx"))
	priv("GET /cases/export.jsonl", httpx.SignedIn, s.casesExport("jsonl"))
	priv("GET /cases/{id}", httpx.SignedIn, s.casePage)
	priv("POST /cases/{id}/act", httpx.SignedIn, s.caseAct)
	priv("POST /cases/{id}/reveal", revealers, s.caseReveal)
	priv("POST /cases/{id}/reply-check", httpx.SignedIn, s.replyCheck)
	priv("GET /attachments/{id}", httpx.SignedIn, s.attachment)

	// Assessment (一份卷子), whistles (吹哨报到) and grid patrols.
	priv("GET /assess", assessReaders, s.assessPage)
	priv("GET /assess/cases", assessReaders, s.assessCasesPage)
	priv("GET /assess/export", assessReaders, s.assessExport)
	priv("POST /assess/publish", deciders, s.assessPublish)
	priv("GET /assess/exemptions", assessReaders, s.exemptionsPage)
	priv("POST /assess/exemptions", unitStaff, s.exemptionRequest)
	priv("POST /assess/exemptions/{id}/decide", deciders, s.exemptionDecide)
	pub("GET /portal/ranking", s.publicRankingPage)
	pub("GET /opendata", s.opendataPage)
	priv("GET /whistles", assessReaders, s.whistlesPage)
	priv("POST /whistles", unitStaff, s.whistleRaise)
	priv("GET /whistles/stats", centreStaff, s.whistleStatsPage)
	priv("GET /whistles/{id}", assessReaders, s.whistlePage)
	priv("POST /whistles/{id}/act", unitStaff, s.whistleAct)
	priv("GET /patrol", httpx.SignedIn, s.patrolPage)
	priv("POST /patrol/start", httpx.SignedIn, s.patrolStart)
	priv("POST /patrol/{id}/positions", httpx.SignedIn, s.patrolPositions)
	priv("POST /patrol/{id}/findings", httpx.SignedIn, s.patrolFinding)
	priv("POST /patrol/{id}/end", httpx.SignedIn, s.patrolEnd)
	priv("GET /patrol/coverage", assessReaders, s.coveragePage)
	priv("GET /insight", centreStaff, s.insightPage)
	// The big screen (数字红墙): centre staff and analysts.
	priv("GET /screen", httpx.Roles(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAnalyst, org.RoleAdmin), s.screenPage)
	priv("GET /topics", assessReaders, s.topicsPage)
	priv("GET /topics/new", deciders, s.topicNewPage)
	priv("POST /topics", deciders, s.topicCreate)
	priv("GET /topics/report", assessReaders, s.reportPage)
	priv("GET /topics/report.pdf", assessReaders, s.reportPDF)
	priv("GET /topics/{id}", assessReaders, s.topicPage)
	priv("POST /topics/{id}/close", deciders, s.topicClose)
	// 未诉先办: the centre's review; tasks reported done from the inbox
	priv("GET /proactive", centreStaff, s.proactivePage)
	priv("POST /proactive/propose", reviewers, s.proactivePropose)
	priv("POST /proactive/{id}/review", reviewers, s.proactiveReview)
	priv("POST /tasks/{id}/done", unitStaff, s.taskDone)

	// Administration.
	priv("GET /admin", httpx.Admin, s.adminPage)
	priv("POST /admin/units", httpx.Admin, s.adminCreateUnit)
	priv("POST /admin/users", httpx.Admin, s.adminCreateUser)
	priv("POST /admin/categories", httpx.Admin, s.adminPutCategory)
	priv("POST /admin/boundary", httpx.Admin, s.adminBoundary)
	priv("POST /admin/policy", httpx.Admin, s.adminPolicy)
	priv("POST /admin/calendar", httpx.Admin, s.adminCalendar)
	priv("GET /admin/audit", httpx.Admin, s.auditPage)
	priv("GET /admin/exports", httpx.Admin, s.adminExportsPage)
	priv("POST /admin/exports", httpx.Admin, s.adminExportsSave)
	priv("POST /admin/exports/{id}/delete", httpx.Admin, s.adminExportsDelete)
	priv("GET /admin/duty", dutyStaff, s.dutyPage)
	priv("POST /admin/duty", dutyStaff, s.dutyCreate)
	priv("POST /admin/duty/{version}", dutyStaff, s.dutySave)
	priv("POST /admin/duty/{version}/publish", dutyStaff, s.dutyPublish)
	priv("GET /admin/kb", kbEditors, s.kbPage)
	priv("POST /admin/kb", kbEditors, s.kbCreate)
	priv("POST /admin/kb/{id}", kbEditors, s.kbUpdate)
	priv("POST /admin/kb/{id}/delete", kbEditors, s.kbDelete)
	priv("GET /admin/classifier", httpx.Admin, s.classifierPage)
	priv("POST /admin/classifier/train", httpx.Admin, s.classifierTrain)
	priv("POST /admin/classifier/auto", httpx.Admin, s.classifierAuto)
	priv("GET /admin/geo", httpx.Admin, s.geoPage)
	priv("POST /admin/geo/import", httpx.Admin, s.geoImport)
	priv("POST /admin/geo/entries", httpx.Admin, s.geoAddEntry)
	priv("POST /admin/geo/entries/{id}/delete", httpx.Admin, s.geoDeleteEntry)
	priv("POST /admin/geo/rebuild", httpx.Admin, s.geoRebuild)
	priv("GET /admin/open311", httpx.Admin, s.o311Page)
	priv("POST /admin/open311/keys", httpx.Admin, s.o311CreateKey)
	priv("POST /admin/open311/keys/{id}/revoke", httpx.Admin, s.o311RevokeKey)
	priv("POST /admin/open311/services", httpx.Admin, s.o311PutService)
	priv("POST /admin/open311/services/{code}/delete", httpx.Admin, s.o311DeleteService)
	priv("GET /admin/webhooks", httpx.Admin, s.webhooksPage)
	priv("POST /admin/webhooks", httpx.Admin, s.webhookCreate)
	priv("GET /admin/webhooks/{id}", httpx.Admin, s.webhookPage)
	priv("POST /admin/webhooks/{id}", httpx.Admin, s.webhookUpdate)
	priv("POST /admin/webhooks/{id}/delete", httpx.Admin, s.webhookDelete)
	priv("POST /admin/webhooks/{id}/replay", httpx.Admin, s.webhookReplay)
	// property services (物业, issue #15)
	priv("GET /admin/compounds", deciders, s.compoundsPage)
	priv("POST /admin/compounds", deciders, s.compoundSave)
	priv("GET /property", assessReaders, s.propertyPage)
	pub("GET /portal/property", s.propertyRatePage)
	pub("POST /portal/property", s.propertyRateSubmit)

	// 问需于民 and 项目制 (issue #15): surveys, practical matters, projects.
	pub("GET /portal/surveys", s.surveyListPage)
	pub("GET /portal/surveys/{id}", s.surveyAnswerPage)
	pub("POST /portal/surveys/{id}", s.surveyAnswer)
	pub("GET /portal/surveys/{id}/results", s.surveyResultsPage)
	pub("GET /portal/surveys/{id}/print", s.surveyPrintPage)
	priv("GET /surveys", assessReaders, s.surveysPage)
	priv("POST /surveys", unitStaff, s.surveyCreate)
	priv("GET /surveys/{id}", assessReaders, s.surveyPage)
	priv("POST /surveys/{id}/publish", unitStaff, s.surveyAct("publish"))
	priv("POST /surveys/{id}/close", unitStaff, s.surveyAct("close"))
	pub("GET /portal/projects", s.projectPortalList)
	pub("GET /portal/projects/{id}", s.projectPortalPage)
	pub("POST /portal/projects/{id}/evaluate", s.projectEvaluate)
	pub("GET /portal/projects/{id}/photos/{photo}", s.projectPhotoPortal)
	priv("GET /projects", assessReaders, s.projectsPage)
	priv("POST /projects", unitStaff, s.projectPropose)
	priv("GET /projects/{id}", assessReaders, s.projectPage)
	priv("GET /projects/{id}/photos/{photo}", assessReaders, s.projectPhotoStaff)
	priv("POST /projects/{id}/decide", unitStaff, s.projectAct("decide"))
	priv("POST /projects/{id}/report", unitStaff, s.projectAct("report"))
	priv("POST /projects/{id}/spend", unitStaff, s.projectAct("spend"))
	priv("POST /projects/{id}/finish", unitStaff, s.projectAct("finish"))
	pub("GET /portal/practical", s.practicalPortal)
	pub("POST /portal/practical/{id}/propose", s.practicalPropose)
	pub("POST /portal/practical/items/{id}/vote", s.practicalVote)
	priv("GET /practical", assessReaders, s.practicalStaff)
	priv("POST /practical", deciders, s.practicalAct("open"))
	priv("POST /practical/items/{id}/shortlist", deciders, s.practicalAct("shortlist"))
	priv("POST /practical/{id}/voting", deciders, s.practicalAct("voting"))
	priv("POST /practical/{id}/adopt", deciders, s.practicalAct("adopt"))

	// Volunteers, the care list and the one ledger (issue #15). Volunteers
	// open only their own pages; community staff (the service narrows
	// unitStaff to community units, else 404) the rest.
	pub("GET /portal/volunteer", s.volunteerRegisterPage)
	pub("POST /portal/volunteer", s.volunteerRegisterSubmit)
	priv("GET /volunteer", httpx.Roles(org.RoleVolunteer), s.volunteerPage)
	priv("POST /volunteer/tasks/{id}/signup", httpx.Roles(org.RoleVolunteer), s.volunteerAct("signup"))
	priv("POST /volunteer/tasks/{id}/checkin", httpx.Roles(org.RoleVolunteer), s.volunteerAct("checkin"))
	priv("POST /volunteer/tasks/{id}/checkout", httpx.Roles(org.RoleVolunteer), s.volunteerAct("checkout"))
	priv("GET /volunteers", unitStaff, s.volunteerStaffPage)
	priv("POST /volunteers/{id}/approve", unitStaff, s.volunteerDecide(true))
	priv("POST /volunteers/{id}/reject", unitStaff, s.volunteerDecide(false))
	priv("POST /volunteers/tasks", unitStaff, s.volunteerPublish)
	priv("GET /volunteers/tasks/{id}", unitStaff, s.volunteerTaskPage)
	priv("POST /volunteers/tasks/{id}/confirm", unitStaff, s.volunteerConfirm)
	priv("GET /care", unitStaff, s.carePage)
	priv("POST /care", unitStaff, s.careAdd)
	priv("GET /care/{id}", unitStaff, s.careSubjectPage)
	priv("POST /care/{id}/visits", unitStaff, s.careVisit)
	priv("POST /care/{id}/remove", unitStaff, s.careRemove)
	priv("POST /volunteers/{id}/leave", unitStaff, s.volunteerLeave)
	priv("GET /ledgers", unitStaff, s.ledgersPage)
	priv("GET /ledgers/{id}/export.xlsx", unitStaff, s.ledgerXLSX)
	priv("GET /ledgers/{id}/export.pdf", unitStaff, s.ledgerPDF)

	// 议事协商 (issue #15): the street's pages and the portal's (deliberation*.go).
	priv("GET /deliberations", assessReaders, s.deliberationsPage)
	priv("POST /deliberations", unitStaff, s.deliberationRaise)
	priv("GET /deliberations/{id}", assessReaders, s.deliberationPage)
	priv("POST /deliberations/{id}/reveal", unitStaff, s.deliberationReveal)
	priv("POST /deliberations/{id}/{step}", unitStaff, s.deliberationAct)
	pub("GET /portal/deliberations", s.deliberationPortal)
	pub("POST /portal/deliberations", s.deliberationPropose)
	pub("GET /portal/deliberations/{id}", s.deliberationPublic)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusForbidden, s.cat.T(langOf(r), "error.csrf"))
	}))
	return securityHeaders(cop.Handler(s.cleanInput(mux)))
}

// cleanInput refuses, with 400 invalid, a request whose path, query or
// URL-encoded form holds a NUL or another control character
// (auth.HasControl): no page means anything by them, and PostgreSQL
// cannot store a NUL. Multipart forms are read by their handlers.
func (s *Server) cleanInput(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := auth.HasControl(r.URL.Path) || badValues(r.URL.Query())
		if !bad && r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			if err := r.ParseForm(); err != nil {
				s.errorPage(w, r, http.StatusBadRequest, s.cat.T(langOf(r), "error.bad_form"))
				return
			}
			bad = badValues(r.PostForm)
		}
		if bad {
			s.errorPage(w, r, errs.Status(errs.Invalid), errs.Message(errs.Invalid, langOf(r)))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// errControl refuses a multipart form with a control character in a
// value or a file name (cleanInput checks the other forms).
var errControl = errors.New("control character in the form")

func cleanMultipart(f *multipart.Form) error {
	if f == nil {
		return nil
	}
	if badValues(f.Value) {
		return errControl
	}
	for _, fhs := range f.File {
		for _, fh := range fhs {
			if auth.HasControl(fh.Filename) {
				return errControl
			}
		}
	}
	return nil
}

func badValues(vs url.Values) bool {
	for k, v := range vs {
		if auth.HasControl(k) {
			return true
		}
		for _, x := range v {
			if auth.HasControl(x) {
				return true
			}
		}
	}
	return false
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

// securityHeaders gives the pages the security headers even when they are
// served on their own; app.Handler applies the same (with the node's proxy
// and cookie settings) around both front ends.
func securityHeaders(h http.Handler) http.Handler { return httpx.Transport{}.SecurityHeaders(h) }

func (s *Server) recover(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic in page", "path", r.URL.Path, "panic", p)
				s.errorPage(w, r, 500, s.cat.T(langOf(r), "error.internal"))
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// session authenticates the session cookie; without one, pages redirect to
// the login page (htmx requests get a redirect header). When the session
// cannot be checked (the database is away), the page says so and the
// cookie stays: a short outage does not log everyone out. A signed-in user
// whose roles the route's gate does not admit gets a 403 page before the
// handler reads anything.
func (s *Server) session(acc httpx.Access, h func(http.ResponseWriter, *http.Request, org.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := s.cookies.Token(r)
		a, err := s.svc.Accounts.Authenticate(r.Context(), token)
		if err != nil && !errs.Is(err, errs.Unauthenticated) {
			s.failPage(w, r, err)
			return
		}
		if err != nil {
			if token != "" {
				s.cookies.ClearSession(w)
			}
			next := "/login?next=" + url.QueryEscape(r.URL.RequestURI())
			if r.Header.Get("HX-Request") != "" {
				w.Header().Set("HX-Redirect", next)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		if !acc.Allows(a.User) {
			s.errorPage(w, r, http.StatusForbidden, errs.Message(errs.Forbidden, langOf(r)))
			return
		}
		h(w, r, a)
	})
}

// langOf picks the page language: ?lang=, then the language cookie, then
// Accept-Language, else zh-CN (httpx.Lang, as in the API).
func langOf(r *http.Request) string { return httpx.Lang(r) }

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// page is what every template gets.
type page struct {
	ctx    context.Context // the request's, to tell a client that gave up from a failure
	Lang   string
	Actor  *org.Actor
	Title  string
	Path   string
	URI    string // path and query, for the language switch to come back to
	Flash  string
	Err    string            // a form-level error
	Fields map[string]string // field → what is wrong with it
	Form   url.Values        // what was typed, kept when validation fails
	Now    time.Time
	Nav    []navItem
	Data   any
}

type navItem struct {
	Href, Key string
	Active    bool
}

// F returns a typed value of a form field.
func (p *page) F(name string) string { return p.Form.Get(name) }

// FieldErr returns what is wrong with a field ("" when nothing).
func (p *page) FieldErr(name string) string { return p.Fields[name] }

func (s *Server) newPage(r *http.Request, a *org.Actor, titleKey string) *page {
	p := &page{ctx: r.Context(), Lang: langOf(r), Actor: a, Path: r.URL.Path, URI: r.URL.Path, Now: s.svc.Now(), Fields: map[string]string{}, Form: url.Values{}}
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		q.Del("lang")
		q.Del("flash")
		q.Del("fs")
		if enc := q.Encode(); enc != "" {
			p.URI += "?" + enc
		}
	}
	p.Title = s.cat.T(p.Lang, titleKey)
	p.Flash = flashOf(r)
	if a != nil {
		p.Nav = navFor(*a, r.URL.Path)
	}
	return p
}

// navFor lists the pages a user's roles use.
func navFor(a org.Actor, path string) []navItem {
	var items []navItem
	add := func(href, key string) {
		for _, it := range items {
			if it.Href == href {
				return
			}
		}
		items = append(items, navItem{Href: href, Key: key, Active: path == href || strings.HasPrefix(path, href+"/")})
	}
	u := a.User
	if !org.StaffUser(u) { // a volunteer: its own pages only
		add("/volunteer", "volunteer.nav")
		return items
	}
	if u.Has(org.RoleAgent, org.RoleDispatcher) {
		add("/agent", "nav.agent")
		add("/queue", "queue.nav")
		add("/callbacks", "nav.callbacks")
	}
	if u.Has(org.RoleDispatcher) {
		add("/review", "nav.review")
	}
	if u.Has(org.RoleHandler, org.RoleLeader) {
		add("/inbox", "nav.inbox")
	}
	if u.Has(org.RoleSupervisor, org.RoleDispatcher, org.RoleAnalyst, org.RoleAdmin, org.RoleLeader) {
		add("/supervisor", "nav.supervisor")
	}
	add("/cases", "nav.cases")
	if u.Has(org.RoleSupervisor, org.RoleDispatcher, org.RoleAnalyst, org.RoleAdmin, org.RoleLeader) {
		add("/assess", "assess.nav")
	}
	if u.Has(org.RoleHandler) {
		add("/assess/exemptions", "assess.nav_exemptions")
	}
	if u.Has(org.RoleHandler, org.RoleLeader, org.RoleSupervisor, org.RoleDispatcher, org.RoleAnalyst, org.RoleAdmin) {
		add("/whistles", "whistle.nav")
	}
	if u.Has(org.RoleGridWorker) {
		add("/patrol", "patrol.nav")
	}
	if u.Has(org.RoleSupervisor, org.RoleDispatcher, org.RoleAnalyst, org.RoleAdmin, org.RoleLeader, org.RoleHandler) {
		add("/topics", "topics.nav")
	}
	if u.Has(org.RoleSupervisor, org.RoleDispatcher, org.RoleAnalyst, org.RoleAdmin) || (u.Has(org.RoleHandler, org.RoleLeader) && a.Unit.Kind == org.KindStreet) {
		add("/patrol/coverage", "patrol.nav_coverage")
	}
	if org.CentreStaff(a) && u.Has(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAnalyst, org.RoleAdmin) {
		add("/insight", "workbench.nav")
	}
	if _, _, ok := org.CentreDistrict(a); ok && u.Has(org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAnalyst, org.RoleAdmin) {
		add("/screen", "screen.nav")
	}
	if org.CityStaff(a) && !a.IsSystem() {
		add("/proactive", "proactive.nav")
	}
	if org.CityDecider(a) {
		add("/practical", "practical.nav")
	}
	if u.Has(org.RoleAdmin) {
		add("/admin", "nav.admin")
	}
	if u.Has(org.RoleAdmin) {
		add("/admin/open311", "open311.nav")
		add("/admin/exports", "export.nav")
		add("/admin/webhooks", "events.nav")
	}
	if u.Has(org.RoleHandler, org.RoleLeader) && !a.Unit.IsCentre() && a.Unit.PlaceID != 0 {
		add("/surveys", "survey.nav")
		add("/projects", "project.nav")
	}
	if org.CommunityStaff(a) {
		add("/volunteers", "volunteer.staff_nav")
		add("/care", "care.nav")
	}
	if org.CommunityStaff(a) || (a.Unit.Kind == org.KindStreet && u.Has(org.RoleHandler, org.RoleLeader)) {
		add("/ledgers", "ledger.nav")
	}
	if u.Has(org.RoleVolunteer) {
		add("/volunteer", "volunteer.nav")
	}
	if !u.Has(org.RoleAdmin) && mayDutyPage(a) {
		add("/admin/duty", "admin2.duty.title")
	} else if !u.Has(org.RoleAdmin) && mayKBPage(a) {
		add("/admin/kb", "admin2.kb.title")
	}
	if mayPropertyBoard(a) && !a.IsSystem() {
		add("/property", "property.nav")
	}
	if mayCompoundsPage(a) && !a.IsSystem() {
		add("/admin/compounds", "property.compounds_nav")
	}
	if u.Has(org.RoleHandler, org.RoleLeader) && deliberation.OwnerKind(a.Unit.Kind) {
		add("/deliberations", "delib.nav")
	}
	return items
}

// homeFor is where a user lands after logging in.
func homeFor(a org.Actor) string {
	u := a.User
	switch {
	case u.Has(org.RoleAgent):
		return "/agent"
	case u.Has(org.RoleDispatcher):
		return "/review"
	case u.Has(org.RoleHandler, org.RoleLeader):
		return "/inbox"
	case u.Has(org.RoleSupervisor, org.RoleAnalyst):
		return "/supervisor"
	case u.Has(org.RoleAdmin):
		return "/admin"
	case u.Has(org.RoleGridWorker):
		return "/patrol"
	case u.Has(org.RoleVolunteer):
		return "/volunteer"
	}
	return "/portal"
}

// render executes a page template into a buffer first, so a failing
// template never sends half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	if status == httpx.StatusClientClosed { // nobody is reading
		w.WriteHeader(status)
		return
	}
	t, ok := s.pages[name]
	if !ok {
		s.log.Error("no such template", "name", name)
		http.Error(w, "template missing", 500)
		return
	}
	var buf bytes.Buffer
	entry := "layout"
	if t.Lookup("body") == nil {
		entry = name
	}
	if err := t.ExecuteTemplate(&buf, entry, p); err != nil {
		s.log.Error("template", "name", name, "err", err)
		if name != "error" && status >= 400 && p.Err != "" {
			// A page refused or failed before it had its data: the
			// error page says why, with the same status.
			s.render(w, status, "error", p)
			return
		}
		http.Error(w, "template error", 500)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// partial renders a named block of a page's template set (htmx swaps).
func (s *Server) partial(w http.ResponseWriter, name, block string, p *page) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "template missing", 500)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, p); err != nil {
		s.log.Error("template", "name", name, "block", block, "err", err)
		http.Error(w, "template error", 500)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := s.newPage(r, nil, "error.title")
	p.Err = msg
	s.render(w, status, "error", p)
}

// failPage answers with an error page for err, in its status.
func (s *Server) failPage(w http.ResponseWriter, r *http.Request, err error) {
	p := s.newPage(r, nil, "error.title")
	status := s.explain(p, err)
	s.render(w, status, "error", p)
}

// explain shows err in the user's language: field errors go next to the
// field, the rest on top of the form. It returns the status; a request the
// client gave up on is no error (httpx.StatusClientClosed, logged at debug).
func (s *Server) explain(p *page, err error) int {
	if p.ctx != nil && errors.Is(err, context.Canceled) && p.ctx.Err() != nil {
		s.log.Debug("client gone", "path", p.Path, "err", err)
		return httpx.StatusClientClosed
	}
	var e *errs.Error
	if code := errs.CodeOf(err); (code == errs.Internal || code == errs.Unavailable) && s.storeDown != nil && s.storeDown(err) {
		e = &errs.Error{Code: errs.StoreUnavailable} // a database outage: retry shortly
	} else if !errors.As(err, &e) {
		s.log.Error("page error", "err", err)
		p.Err = errs.Message(errs.Internal, p.Lang)
		return 500
	}
	if errs.Status(e.Code) >= 500 {
		s.log.Error("page error", "path", p.Path, "err", err)
	}
	msg := errs.Message(e.Code, p.Lang)
	if d := pageDetail(e.Detail, p.Lang, e.Field); d != "" && e.Code != errs.Internal {
		msg += "（" + d + "）"
	}
	if e.Field != "" {
		p.Fields[e.Field] = msg
		p.Err = s.cat.T(p.Lang, "form.check_fields")
	} else {
		p.Err = msg
	}
	return errs.Status(e.Code)
}

// pageDetail is an error's detail as a page in lang may show it. Details
// are written in English (for logs and the JSON API); a page in another
// language shows only those without Latin words (a range, numbers, text
// in Chinese) — the code's message in the reader's language says what went
// wrong — except on fields that hold code an administrator wrote (JSON,
// GeoJSON), where the parser's or validator's words point at the line.
func pageDetail(detail, lang, field string) string {
	if strings.HasPrefix(lang, "en") || codeFields[field] {
		return detail
	}
	for _, r := range detail {
		if unicode.Is(unicode.Latin, r) {
			return ""
		}
	}
	return detail
}

// codeFields are the form fields that hold code (JSON, GeoJSON).
var codeFields = map[string]bool{"rules": true, "policy": true, "year_json": true, "geojson": true}

// backTo returns a safe local redirect target from a form's "back" field
// (safeNext), else fallback.
func backTo(r *http.Request, fallback string) string {
	if b := safeNext(r.FormValue("back")); b != "" {
		return b
	}
	return fallback
}

// withFlash adds a message to a redirect target: ?flash=… with its
// signature fs=… (flashSig), so that a page shows only messages this node
// wrote for that page. Anyone else's ?flash= (a link saying "call this
// number", on the public tracking page) is not shown. A fragment stays last.
func withFlash(target, msg string) string {
	target, frag, hasFrag := strings.Cut(target, "#")
	path, _, _ := strings.Cut(target, "?")
	if p, err := url.PathUnescape(path); err == nil {
		path = p // as the page will see it in r.URL.Path
	}
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	target += sep + "flash=" + url.QueryEscape(msg) + "&fs=" + flashSig(path, msg)
	if hasFrag {
		target += "#" + frag
	}
	return target
}

// flashKey signs flashes. It is made at start and never leaves the
// process: behind a load balancer, a redirect that lands on another node
// shows no message (the action itself is done and the page shows it).
var flashKey = func() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}()

// flashSig is the signature of msg shown on the page at path: HMAC-SHA256,
// cut to 128 bits, base64url.
func flashSig(path, msg string) string {
	m := hmac.New(sha256.New, flashKey)
	m.Write([]byte(path))
	m.Write([]byte{0})
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// flashOf returns the request's flash message when it carries this node's
// signature for this page, else "".
func flashOf(r *http.Request) string {
	q := r.URL.Query()
	msg, sig := q.Get("flash"), q.Get("fs")
	if msg == "" || sig == "" || len(msg) > 600 {
		return ""
	}
	if !hmac.Equal([]byte(sig), []byte(flashSig(r.URL.Path, msg))) {
		return ""
	}
	return msg
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if token := s.cookies.Token(r); token != "" {
		if a, err := s.svc.Accounts.Authenticate(r.Context(), token); err == nil {
			http.Redirect(w, r, homeFor(a), http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// ctxTimeout bounds page queries.
func ctxTimeout(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 10*time.Second)
}
