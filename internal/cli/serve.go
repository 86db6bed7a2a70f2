package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os/signal"
	"syscall"
	"time"

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
	dev := fs.Bool("dev", false, "read templates and static files from ./templates and ./static on every request")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	log := newLogger(env)
	slog.SetDefault(log)

	st, err := openStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	srv := web.New(st, web.Config{Logger: log, Dev: *dev})
	defer srv.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + browsable(ln.Addr())
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Streams of live pages never end by themselves: end them when the
	// server shuts down, so that in-flight requests can finish.
	httpSrv.RegisterOnShutdown(srv.Close)
	log.Info("hindsight listening", "url", base, "db", st.Dialect(), "dev", *dev)
	link, err := srv.SetupLink(ctx, base)
	if err != nil {
		return err
	}
	if link != "" {
		log.Warn("no user yet: open this one-time link to create the admin account", "url", link)
	}

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
	log.Info("stopped")
	return nil
}

// browsable is the address to put in links: a server listening on every
// interface is reachable on the loopback one.
func browsable(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String()
	}
	if ap.Addr().IsUnspecified() {
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ap.Port()).String()
	}
	return ap.String()
}
