// Package app wires Whistle together: store, service, API and scheduler,
// from one Config, and runs them until the context ends.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"whistle/internal/accounts"
	"whistle/internal/api"
	"whistle/internal/auth"
	"whistle/internal/config"
	"whistle/internal/core"
	"whistle/internal/delivery"
	"whistle/internal/httpx"
	"whistle/internal/retention"
	"whistle/internal/scheduler"
	"whistle/internal/services"
	"whistle/internal/store"
	"whistle/internal/timelimit"
	"whistle/internal/web"
)

// App is a running Whistle node.
type App struct {
	Cfg   config.Config
	Store *store.Store
	Svc   *services.Services
	API   *api.Server
	Web   *web.Server
	Log   *slog.Logger
	Keys  *config.Keys
	// holder names this process in the job leases: the node's name and a
	// random suffix, unique even when two nodes were given the same name.
	holder string
}

// Open opens the store and builds the service and API.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	keys, err := cfg.LoadKeys(true)
	if err != nil {
		return nil, err
	}
	if keys.Created {
		log.Warn("generated the data key file that seals personal data; keep it apart from the database and its backups in production (WHISTLE_KEY_FILE or WHISTLE_DATA_KEY)", "file", keys.Path)
	}
	st, err := store.Open(ctx, connectTimeout(cfg.DSN()), store.Options{SQLiteSync: cfg.SQLiteSync, Logger: log, Keys: keys.Ring, AnalysisDSN: connectTimeout(cfg.ReadDB)})
	if err != nil {
		return nil, err
	}
	key, err := phoneKey(ctx, st, keys, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	rw, err := timelimit.ParseSpan(cfg.ReturnWindow)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("return window: %w", err)
	}
	scfg := core.Config{Loc: cfg.Location(), ReturnWindow: rw, ReopenLimit: cfg.ReopenLimit, PhoneKey: key, Logger: log,
		UploadQuotaUser: cfg.UploadQuotaUser, UploadQuotaIP: cfg.UploadQuotaIP, OrphanGrace: cfg.OrphanGrace}
	if cfg.Attachments == "disk" {
		scfg.AttachmentDir = filepath.Join(cfg.Data, "attachments")
	}
	svc, err := services.New(ctx, st, scfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	svc.Publish.Dir = filepath.Join(cfg.Data, "opendata") // scheduled open-data files (issue #13)
	svc.Events.Guard = delivery.Guard{AllowPrivate: cfg.WebhookAllowPrivate}
	if err := svc.Dispatch.LoadClassifier(ctx); err != nil {
		log.Warn("classifier not loaded; suggestions need a retraining", "err", err)
	}
	h := auth.DefaultHasher()
	if cfg.FastHash {
		h = auth.FastHasher()
	}
	// One session cookie and one set of rate limits for both front ends.
	sessions, limits := httpx.Sessions{Secure: cfg.SecureCookies}, httpx.NewLimits()
	if st.Dialect() == store.Postgres {
		// Several nodes may share the database: they share the login
		// allowance too, rather than each granting its own.
		limits.Logins.Shared = accounts.SharedLogins(st)
	}
	pages, err := web.New(svc, web.Options{Logger: log, Hasher: h, Sessions: sessions, Limits: limits, StoreDown: store.Unreachable})
	if err != nil {
		st.Close()
		return nil, err
	}
	apiSrv := api.New(svc, api.Options{Logger: log, Hasher: h, Sessions: sessions, Limits: limits, MetricsToken: cfg.MetricsToken,
		StoreDown: store.Unreachable})
	suffix := make([]byte, 4)
	rand.Read(suffix)
	return &App{Cfg: cfg, Store: st, Svc: svc, API: apiSrv, Web: pages, Log: log, Keys: keys, holder: cfg.Node + "/" + hex.EncodeToString(suffix)}, nil
}

// Handler joins the JSON API (/api/, /healthz, /readyz, /metrics) and the
// pages (everything else), both behind the security headers (CSP, referrer
// policy, nosniff, HSTS over HTTPS) and Secure cookies over HTTPS
// (httpx.Transport.SecurityHeaders).
func (a *App) Handler() http.Handler {
	apiH, webH := a.API.Handler(), a.Web.Handler()
	tr := httpx.Transport{TrustProxy: a.Cfg.TrustProxy, SecureCookies: a.Cfg.SecureCookies}
	return tr.SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/api/"), p == "/healthz", p == "/readyz", p == "/metrics",
			strings.HasPrefix(p, "/open311/"):
			apiH.ServeHTTP(w, r)
		default:
			webH.ServeHTTP(w, r)
		}
	}))
}

// connectTimeout bounds how long a PostgreSQL connection may take to open
// (5 s unless the DSN says connect_timeout): when the server is away a
// request fails with 503 store_unavailable rather than waiting on a dial
// (docs/SCALEOUT.md).
func connectTimeout(dsn string) string {
	if !store.IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn // store.Open reports it
	}
	q := u.Query()
	if q.Get("connect_timeout") != "" {
		return dsn
	}
	q.Set("connect_timeout", "5")
	u.RawQuery = q.Encode()
	return u.String()
}

// phoneKey returns the key for phone hashes: configured (WHISTLE_PHONE_KEY)
// or from the key file. A database from before the key file kept it in its
// settings: it is moved into the key file (the hashes stay valid) and
// cleared from the database, which must not hold the key to its own
// phone hashes.
func phoneKey(ctx context.Context, st *store.Store, keys *config.Keys, log *slog.Logger) ([]byte, error) {
	legacy, err := st.Setting(ctx, "phone_key")
	if err != nil {
		return nil, err
	}
	key := keys.PhoneKey
	switch {
	case key != "":
	case legacy != "":
		key = legacy
	case keys.File != nil:
		b := make([]byte, 32)
		rand.Read(b)
		key = hex.EncodeToString(b)
	default:
		return nil, errors.New("WHISTLE_DATA_KEY is set: set WHISTLE_PHONE_KEY too (the key of the phone hashes)")
	}
	if keys.File != nil && keys.File.PhoneKey == "" {
		keys.File.PhoneKey = key
		if err := keys.File.Save(keys.Path, false); err != nil {
			return nil, fmt.Errorf("key file: %w", err)
		}
	}
	if legacy != "" {
		if keys.File == nil && keys.PhoneKey == "" {
			log.Warn("the phone-hash key is still read from the database: set WHISTLE_PHONE_KEY to it and restart, it is then removed from the database")
			return []byte(key), nil
		}
		if legacy != key {
			log.Warn("the database held another phone-hash key than the one configured; the configured one is used")
		}
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, "phone_key", "", time.Now()) }); err != nil {
			return nil, err
		}
		log.Info("phone-hash key moved out of the database", "file", keys.Path)
	}
	return []byte(key), nil
}

// Close closes the store.
func (a *App) Close() error { return a.Store.Close() }

// Serve listens on cfg.Addr (or uses ln when given) and runs the API and the
// scheduler until ctx ends, then shuts down gracefully. ready is called with
// the bound address once listening.
func (a *App) Serve(ctx context.Context, ln net.Listener, ready func(addr string)) error {
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", a.Cfg.Addr)
		if err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&scheduler.Scheduler{Svc: a.Svc, Node: a.Cfg.Node, Interval: a.Cfg.TickEvery, Log: a.Log}).Run(ctx)
	}()
	wg.Add(1)
	go func() { // on the node holding the lease (docs/SCALEOUT.md); the others load what it trains
		defer wg.Done()
		if a.Cfg.ClassifierRetrain > 0 {
			a.Lease("classifier").Lead(ctx, nil, func(ctx context.Context) { a.Svc.Dispatch.RunClassifierRetrain(ctx, a.Cfg.ClassifierRetrain) })
		}
	}()
	wg.Add(1)
	go func() { // retention: closed cases anonymised daily (issue #11), on one node once a day
		defer wg.Done()
		(&scheduler.RetentionJob{Svc: retention.New(a.Svc.Core, a.Cfg.RetentionDays), Log: a.Log, Lease: a.Lease("retention")}).Run(ctx)
	}()
	wg.Add(1)
	go func() { // seals rows left in clear by an upgrade, re-seals after a key rotation
		defer wg.Done()
		(&store.Resealer{St: a.Store, Reload: a.Keys.Reload, Log: a.Log}).Run(ctx)
	}()
	wg.Add(1)
	go func() { // day blocks of the rollups for the analysis and the dashboard (issue #12), on one node
		defer wg.Done()
		a.Lease("rollups.compactor").Lead(ctx, nil, func(ctx context.Context) { a.Store.RunCompactor(ctx, time.Minute, a.Log) })
	}()
	wg.Add(1)
	go func() { // PostgreSQL: the months' partitions of the large tables ahead of time (issue #14), on one node once a day
		defer wg.Done()
		(&scheduler.PartitionJob{St: a.Store, Log: a.Log, Lease: a.Lease("partitions")}).Run(ctx)
	}()
	wg.Add(1)
	go func() { // scheduled open-data publication (issue #13)
		defer wg.Done()
		(&scheduler.ExportJob{Svc: a.Svc.Publish, Log: a.Log}).Run(ctx)
	}()
	wg.Add(1)
	go func() { // events: the outbox to webhooks and NATS (issue #13)
		defer wg.Done()
		if err := delivery.EnsureNATS(ctx, a.Store, a.Cfg.NATSURL, time.Now()); err != nil {
			a.Log.Error("nats subscription", "err", err)
		}
		w := a.EventWorker()
		w.Run(ctx)
		if ns, ok := w.Senders[store.SubNATS].(*delivery.NATSSender); ok {
			ns.Close()
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		cancel()
	}
	shut, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if e := srv.Shutdown(shut); e != nil && err == nil {
		err = e
	}
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Lease returns this node's lease of a background job that runs on one
// node at a time (scheduler.Lease, docs/SCALEOUT.md).
func (a *App) Lease(job string) *scheduler.Lease {
	return &scheduler.Lease{St: a.Store, Name: job, Holder: a.holder, Log: a.Log}
}

// EventWorker returns the delivery worker of this node (issue #13): the
// outbox to the webhooks and, when configured, NATS.
func (a *App) EventWorker() *delivery.Worker {
	return &delivery.Worker{St: a.Store, Node: a.Cfg.Node, Log: a.Log, Senders: map[string]delivery.Sender{
		store.SubWebhook: delivery.NewWebhookSender(delivery.Guard{AllowPrivate: a.Cfg.WebhookAllowPrivate}, 10*time.Second),
		store.SubNATS:    &delivery.NATSSender{},
	}}
}
