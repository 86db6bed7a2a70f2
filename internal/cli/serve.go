package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
	"hindsight/internal/web"
)

// shutdownTimeout bounds how long in-flight requests may take to finish
// after SIGTERM.
const shutdownTimeout = 20 * time.Second

func runServe(ctx context.Context, env *Env, args []string) error {
	fs, dsn := flags(env, "serve")
	defAddr := env.Getenv("HINDSIGHT_ADDR")
	if defAddr == "" {
		defAddr = "127.0.0.1:8080"
	}
	addr := fs.String("addr", defAddr, "address to listen on (env HINDSIGHT_ADDR)")
	openAt := fs.String("open-at", string(alerts.DefaultOpenAt), "least severe alert severity that opens an incident; less severe alerts are stored unattached")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	openAtSev := incident.Severity(strings.ToUpper(strings.TrimSpace(*openAt)))
	if !openAtSev.Valid() {
		return usagef("--open-at must be one of SEV1, SEV2, SEV3, SEV4, not %q", *openAt)
	}
	log := newLogger(env)
	slog.SetDefault(log)

	st, err := openStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	srv := web.New(st, web.Config{Logger: log, OpenAt: openAtSev,
		GrafanaSecret: env.Getenv("HINDSIGHT_GRAFANA_HMAC_SECRET"), PagerDutySecret: env.Getenv("HINDSIGHT_PAGERDUTY_SECRET")})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("hindsight listening", "url", "http://"+ln.Addr().String(), "db", st.Dialect())

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = httpSrv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown timed out; closing remaining connections")
		httpSrv.Close()
	}
	// Alerts still queued belong to requests that have gone: commit them
	// anyway, since their senders will retry and find them stored.
	if err := srv.Close(sctx); err != nil {
		log.Warn("alerts still queued at shutdown were not all written", "err", err)
	}
	log.Info("stopped")
	return nil
}
