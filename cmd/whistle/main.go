// Command whistle runs Whistle, a city's 12345 citizen-request system.
//
//	whistle serve   run the server (SQLite in --data, or --db postgres://…)
//	whistle demo    seed a demo city into --data (once) and serve it
//	whistle bench   benchmarks (see whistle bench -h)
//	whistle assess  a month's 三率 ranking (see whistle assess -h)
//	whistle audit   verify the audit log's hash chain (whistle audit verify)
//	whistle retention  anonymise closed cases past the retention period
//	whistle export  the open-data export of a month (whistle export opendata)
//	whistle import  another system's history: Open311 JSON lines or CSV (whistle import -h)
//	whistle backup  an online, consistent copy of the database (whistle backup -h)
//	whistle restore a backup into an empty database (whistle restore -h)

// whistle attachments gc   delete attachments never linked to a case
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"whistle/internal/app"
	"whistle/internal/auth"
	"whistle/internal/bench"
	"whistle/internal/config"
	"whistle/internal/demo"
	"whistle/internal/seed"
	"whistle/internal/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "whistle:", err)
		os.Exit(exitCode(err))
	}
}

const usage = `usage: whistle <command> [flags]

commands:
  serve   run the HTTP server
  demo    create (or reuse) a data directory with a demo city and serve it
  bench   run a benchmark (whistle bench intake -h)
  assess  print a month's 三率 ranking (whistle assess -h)
  eval    evaluate the text classifier (whistle eval classify -h)
  audit   verify the audit log's hash chain (whistle audit verify -h)
  retention  anonymise closed cases past the retention period (whistle retention run -h)
  export  the open-data export of a month (whistle export opendata -h)

  attachments gc   delete attachments never linked to a case (whistle attachments gc -h)

  insight the analysis behind 每月一题: candidates, anomalies, terms, hotspots (whistle insight -h)
  keys    rotate the keys that seal personal data, show progress (whistle keys -h)
  apikey  create an Open311 API key (whistle apikey create --name NAME)
  import  bring in another system's history: Open311 JSON lines or CSV with a mapping (whistle import -h)
  backup  an online, consistent copy of the database (whistle backup -h)
  restore restore a backup into an empty database, then verify it (whistle restore -h)
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[0] {
	case "serve", "demo":
		cfg, err := config.Load(args[0], args[1:], os.Getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, args[0] == "demo", cfg, stdout, stderr)
	case "bench":
		return bench.Main(ctx, args[1:], stdout, stderr)
	case "assess":
		return assessCmd(ctx, args[1:], stdout, stderr)
	case "eval":
		return evalMain(ctx, args[1:], stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], stdout, stderr)
	case "retention":
		return retentionCmd(ctx, args[1:], stdout, stderr)
	case "export":
		return exportCmd(ctx, args[1:], stdout, stderr)

	case "attachments":
		return attachmentsCmd(ctx, args[1:], stdout, stderr)

	case "keys":
		return keysCmd(ctx, args[1:], stdout, stderr)
	case "insight":
		return insightCmd(ctx, args[1:], stdout, stderr)
	case "apikey":
		return apikeyCmd(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	case "backup":
		return backupCmd(ctx, args[1:], stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func logger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, withDemo bool, cfg config.Config, stdout, stderr io.Writer) error {
	log := logger(cfg.LogLevel, stderr)
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	var logins []demo.User
	if withDemo {
		opts := demo.Options{Seed: cfg.Seed, Requests: cfg.DemoRequests, Activity: true}
		if cfg.DemoEnd != "" {
			opts.End, _ = time.Parse(time.RFC3339, cfg.DemoEnd) // validated by config
		}
		res, err := seed.Demo(ctx, a.Svc, opts, auth.DefaultHasher(), log)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if res.Loaded {
			log.Info("demo seeded", "cases", res.Cases, "events", res.Events, "took", res.Duration.Round(1e6))
		} else {
			log.Info("demo data directory reused", "data", cfg.Data)
		}
		logins = res.Logins
		var shown []web.DemoLogin
		for _, u := range logins {
			shown = append(shown, web.DemoLogin{Username: u.Username, Role: u.Roles[0], Name: u.DisplayName, Password: u.Password})
		}
		a.Web.SetDemoLogins(shown)
	} else {
		h := auth.DefaultHasher()
		created, pw, err := seed.Bootstrap(ctx, a.Svc, h, cfg.City, cfg.AdminPassword)
		if err != nil {
			return fmt.Errorf("first start: %w", err)
		}
		if created {
			fmt.Fprintf(stdout, "First start: created the city centre and the administrator.\n  username: admin\n  password: %s   (shown once; change it, or set WHISTLE_ADMIN_PASSWORD before the first start)\n", pw)
		}
	}
	return a.Serve(ctx, nil, func(addr string) {
		fmt.Fprintf(stdout, "Whistle is serving on http://%s  (store: %s)\n", addr, a.Store.Durability())
		if len(logins) > 0 {
			fmt.Fprintf(stdout, "Open http://%s/ in a browser: the login page lists the demo users (one click each).\n", addr)
		}
		if len(logins) > 0 {
			fmt.Fprintln(stdout, "Demo logins (password for all: whistle-demo):")
			for _, u := range logins {
				fmt.Fprintf(stdout, "  %-22s %-10s %s\n", u.Username, seed.RoleNames[u.Roles[0]], u.DisplayName)
			}
			fmt.Fprintf(stdout, "Try: curl -s -X POST http://%s/api/v1/auth/login -d '{\"username\":\"agent01\",\"password\":\"whistle-demo\"}'\n", addr)
		}
	})
}
