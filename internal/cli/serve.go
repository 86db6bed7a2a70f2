package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // --digest-tz works on machines without a zoneinfo database

	"hindsight"
	"hindsight/internal/alerts"
	"hindsight/internal/incident"
	"hindsight/internal/postmortem"
	"hindsight/internal/reminder"
	"hindsight/internal/store"
	"hindsight/internal/web"
)

// shutdownTimeout bounds how long in-flight requests may take to finish
// after SIGTERM.
const shutdownTimeout = 20 * time.Second

// serveGCPercent is serve's garbage collection target when GOGC is unset.
const serveGCPercent = 400

// envOr returns the environment variable name, or def when it is unset.
func envOr(env *Env, name, def string) string {
	if v := env.Getenv(name); v != "" {
		return v
	}
	return def
}

// serveOptions are serve's settings beyond the address and the database.
type serveOptions struct {
	taskDue    incident.DuePolicy
	zone       *time.Location // --digest-tz: the team's days, of digests and default due dates
	digest     reminder.Config
	digestOn   bool
	digestDesc string // for the log, without the URL
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs, dsn := flags(env, "serve")
	addr := fs.String("addr", envOr(env, "HINDSIGHT_ADDR", "127.0.0.1:8080"), "address to listen on (env HINDSIGHT_ADDR)")
	taskDue := fs.String("task-due", envOr(env, "HINDSIGHT_TASK_DUE", incident.DefaultDuePolicy().String()),
		"default due date of a new task by severity, e.g. SEV1=14d,SEV2=30d,SEV3=60d,SEV4=none (env HINDSIGHT_TASK_DUE)")
	// The URL holds the webhook's secret: its default is not shown in
	// --help, and the environment is the better place for it.
	digestURL := fs.String("digest-url", "", "chat webhook for the daily digest of overdue and soon-due tasks; off when empty (env HINDSIGHT_DIGEST_URL, preferred)")
	digestHour := fs.String("digest-hour", envOr(env, "HINDSIGHT_DIGEST_HOUR", "9"), "hour of the day (0-23) the digest is sent (env HINDSIGHT_DIGEST_HOUR)")
	digestTZ := fs.String("digest-tz", envOr(env, "HINDSIGHT_DIGEST_TZ", "UTC"), "time zone of --digest-hour, of the digest's days and of the days default due dates end, e.g. Europe/Berlin (env HINDSIGHT_DIGEST_TZ)")
	digestSoon := fs.String("digest-soon", envOr(env, "HINDSIGHT_DIGEST_SOON", "7d"), "tasks due within this period are listed as due soon (env HINDSIGHT_DIGEST_SOON)")
	dev := fs.Bool("dev", false, "read templates and static files from ./templates and ./static on every request")
	templates := fs.String("templates", envOr(env, "HINDSIGHT_TEMPLATES", ""), "directory of your own postmortem templates, NAME.md.tmpl (env HINDSIGHT_TEMPLATES)")
	openAt := fs.String("open-at", envOr(env, "HINDSIGHT_OPEN_AT", string(alerts.DefaultOpenAt)),
		"least severe alert severity that opens an incident; less severe alerts are stored unattached (env HINDSIGHT_OPEN_AT)")
	proxies := fs.String("trusted-proxies", envOr(env, "HINDSIGHT_TRUSTED_PROXIES", ""),
		"comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For gives the client's address (env HINDSIGHT_TRUSTED_PROXIES)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	trusted, err := parseProxies(*proxies)
	if err != nil {
		return err
	}
	openAtSev := incident.Severity(strings.ToUpper(strings.TrimSpace(*openAt)))
	if !openAtSev.Valid() {
		return usagef("--open-at must be one of SEV1, SEV2, SEV3, SEV4, not %q", *openAt)
	}
	if *digestURL == "" {
		*digestURL = env.Getenv("HINDSIGHT_DIGEST_URL")
	}
	opts, err := serveSettings(*taskDue, *digestURL, *digestHour, *digestTZ, *digestSoon)
	if err != nil {
		return err
	}
	// A template that does not parse stops the start, not a request.
	renderer, err := postmortem.NewRenderer(hindsight.Files, *templates)
	if err != nil {
		return err
	}
	log := newLogger(env)
	slog.SetDefault(log)
	// An alert storm allocates fast and keeps little alive: collecting
	// less often than Go's default (GOGC=100) saves a sixth of the CPU of
	// a webhook request for some tens of MB. GOGC, when set, still rules.
	if env.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}

	st, err := openStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	st.TaskDue, st.DueZone = opts.taskDue, opts.zone
	var broker web.Broker // in-process by default
	if st.Dialect() == store.Postgres {
		// Replicas share one database: live views hear of every replica's
		// changes, and every replica of a revoked token.
		broker = web.NewPostgresBroker(st, log, st.Revocations())
	}
	srv := web.New(st, web.Config{Logger: log, OpenAt: openAtSev, Renderer: renderer, Dev: *dev, Broker: broker, TrustedProxies: trusted,
		GrafanaSecret: env.Getenv("HINDSIGHT_GRAFANA_HMAC_SECRET"), PagerDutySecret: env.Getenv("HINDSIGHT_PAGERDUTY_SECRET"),
		GrafanaSignatureHeader: strings.TrimSpace(env.Getenv("HINDSIGHT_GRAFANA_HMAC_HEADER")),
		GrafanaTimestampHeader: strings.TrimSpace(env.Getenv("HINDSIGHT_GRAFANA_HMAC_TIMESTAMP_HEADER"))})

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
	httpSrv.RegisterOnShutdown(srv.CloseStreams)
	log.Info("hindsight listening", "url", base, "db", st.Dialect(), "task_due", opts.taskDue.String(), "dev", *dev)
	link, err := srv.SetupLink(ctx, base)
	if err != nil {
		return err
	}
	if link != "" {
		log.Warn("no user yet: open this one-time link to create the admin account", "url", link)
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var background sync.WaitGroup
	if opts.digestOn {
		opts.digest.Logger = log
		log.Info("daily digest on", "at", opts.digestDesc)
		sender := reminder.New(st, opts.digest)
		background.Go(func() { sender.Run(ctx) })
	}
	background.Go(func() { pruneDeliveries(ctx, st, log) })
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	select {
	case err := <-served:
		stop()
		background.Wait()
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
	// Alerts still queued belong to requests cut off by the timeout:
	// commit them anyway, since their senders will retry and find them.
	if err := srv.Close(sctx); err != nil {
		log.Warn("alerts still queued at shutdown were not all written", "err", err)
	}
	// A digest request under way finishes and is recorded before the
	// database closes.
	background.Wait()
	log.Info("stopped")
	return nil
}

// serveSettings checks serve's follow-up settings, refusing bad ones before
// anything starts.
func serveSettings(taskDue, digestURL, hour, tz, soon string) (*serveOptions, error) {
	o := &serveOptions{}
	var err error
	if o.taskDue, err = incident.ParseDuePolicy(taskDue); err != nil {
		return nil, usagef("--task-due: %s", incident.ErrorMessage(err))
	}
	if o.zone, err = time.LoadLocation(tz); err != nil {
		return nil, usagef("--digest-tz: unknown time zone %q", tz)
	}
	if digestURL == "" {
		return o, nil
	}
	if err := reminder.CheckURL(digestURL); err != nil {
		return nil, usagef("--digest-url: %s", incident.ErrorMessage(err))
	}
	h, err := strconv.Atoi(hour)
	if err != nil || h < 0 || h > 23 {
		return nil, usagef("--digest-hour must be a whole number from 0 to 23, not %q", hour)
	}
	loc := o.zone
	period, err := incident.ParsePeriod(soon)
	if err != nil || period <= 0 {
		return nil, usagef("--digest-soon must be a period such as 7d, not %q", soon)
	}
	o.digestOn = true
	o.digest = reminder.Config{URL: digestURL, Hour: h, Location: loc, Soon: period}
	o.digestDesc = strconv.Itoa(h) + ":00 " + loc.String()
	return o, nil
}

// parseProxies reads --trusted-proxies: addresses or CIDR ranges.
func parseProxies(list string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, usagef("--trusted-proxies: %q is neither an address nor a CIDR range", p)
		}
		out = append(out, p)
	}
	return out, nil
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

// pruneEvery is how often serve forgets old webhook delivery ids.
const pruneEvery = time.Hour

// pruneDeliveries forgets, at start and then every hour until ctx ends,
// the webhook delivery ids older than store.DeliveryMemory. Replicas each
// do it; deleting twice does no harm.
func pruneDeliveries(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		n, err := st.PruneDeliveries(ctx, st.Now().Add(-store.DeliveryMemory))
		if err != nil && ctx.Err() == nil {
			log.Warn("could not forget old webhook delivery ids", "err", err)
		} else if n > 0 {
			log.Info("forgot old webhook delivery ids", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
