// Command ingestbench measures how fast Hindsight takes alerts by webhook.
//
// It starts `hindsight serve` on a new database, has conns connections
// post Alertmanager notifications of one new alert each, all of one alert
// group (or of several, with --groups), for a while, and then checks that
// the database holds exactly the alerts Hindsight acknowledged. It then sends the same load to a gin
// server that only reads the body and answers 200, the most this machine
// does over HTTP, and reports Hindsight's throughput as a share of it.
//
//	ingestbench [--duration 10s] [--conns 32] [--groups 1] [--rounds 1] [--hindsight bin/hindsight] [--baseline BIN]
//	            [--db postgres://... [--replicas 1,2] [--sqlite=false]]
//
// With --db, the load also goes to one and to several `serve` processes on
// that PostgreSQL database (the load split evenly across them), each run in
// a schema of its own, dropped afterwards. With --rounds, every server runs
// that many times in turn and the report gives the medians: the machine's
// load changes less between servers of one round than between runs. The
// exit status is 1 when an
// acknowledged alert is missing or an alert is stored that should not be.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if addr := os.Getenv(ceilingEnv); addr != "" {
		if err := serveCeiling(addr); err != nil {
			fmt.Fprintln(os.Stderr, "ingestbench ceiling:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "ingestbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	results, err := run(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingestbench:", err)
		os.Exit(1)
	}
	for _, r := range results {
		if r.check != nil && !r.check.ok() {
			os.Exit(1)
		}
	}
}

type config struct {
	duration  time.Duration
	conns     int
	groups    int
	hindsight string // the binary; built when empty
	baseline  string // another binary to compare with, on SQLite, or empty
	postgres  string // a PostgreSQL URL, or empty
	replicas  []int
	sqlite    bool
	ceiling   bool
	decode    bool
	rounds    int
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("ingestbench", flag.ContinueOnError)
	cfg := &config{}
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long to send load to each server")
	fs.IntVar(&cfg.conns, "conns", 32, "concurrent connections, each sending one request at a time")
	fs.IntVar(&cfg.groups, "groups", 1, "alert groups the notifications are spread over, each opening an incident")
	fs.StringVar(&cfg.hindsight, "hindsight", "", "the hindsight binary to run (default: build hindsight/cmd/hindsight)")
	fs.StringVar(&cfg.baseline, "baseline", "", "also run this hindsight binary (say, built before a change) on SQLite in every round")
	fs.StringVar(&cfg.postgres, "db", "", "also run on this PostgreSQL database (postgres://...; a schema per run is made and dropped)")
	replicas := fs.String("replicas", "1,2", "with --db: how many serve processes share the database, one run per number")
	fs.BoolVar(&cfg.sqlite, "sqlite", true, "run on a new SQLite database")
	fs.BoolVar(&cfg.ceiling, "ceiling", true, "run the same load on a server that only reads the body, for comparison")
	fs.BoolVar(&cfg.decode, "decode", true, "run the same load on a server that decodes the body as Hindsight does and stores nothing, for comparison")
	fs.IntVar(&cfg.rounds, "rounds", 1, "run every server this many times, in turn, and report the medians")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if cfg.duration <= 0 || cfg.conns <= 0 || cfg.groups <= 0 || cfg.rounds <= 0 {
		return nil, errors.New("--duration, --conns, --groups and --rounds must be positive")
	}
	if cfg.postgres != "" && !isPostgres(cfg.postgres) {
		return nil, fmt.Errorf("--db must be a postgres:// URL (SQLite runs without it), not %q", cfg.postgres)
	}
	for _, f := range strings.Split(*replicas, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > cfg.conns {
			return nil, fmt.Errorf("--replicas: %q is not a number of processes from 1 to --conns", f)
		}
		cfg.replicas = append(cfg.replicas, n)
	}
	return cfg, nil
}

// result is one server's run.
type result struct {
	name    string
	out     *outcome
	rss     int64         // the largest peak RSS of its processes
	cpu     time.Duration // CPU time its processes used under the load
	selfCPU time.Duration // CPU time the load generator used
	perTx   float64       // deliveries per alert transaction, from /metrics
	check   *check        // nil for the ceiling and the decoding server
	decodes bool          // the decoding server
	loadavg string        // at the end of the run
	// The mean time to write an alert transaction and to sync SQLite's
	// log after it, from /metrics: each delivery waits for both.
	txTook, syncTook time.Duration
}

// The metrics of Hindsight's /metrics that the benchmark reads.
const (
	metricDeliveries   = "hindsight_alert_batch_deliveries_sum"
	metricBatches      = "hindsight_alert_batch_deliveries_count"
	metricBatchSeconds = "hindsight_alert_batch_seconds_sum"
	metricSyncs        = "hindsight_db_log_syncs_total"
	metricSyncSeconds  = "hindsight_db_log_sync_seconds_total"
)

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func (r *result) rate() float64 { return float64(len(r.out.acked)) / r.out.elapsed.Seconds() }

// run runs every configured server in turn, printing each result as it
// comes and the comparison at the end.
func run(ctx context.Context, cfg *config, w io.Writer) ([]*result, error) {
	dir, err := os.MkdirTemp("", "ingestbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := cfg.hindsight
	if bin == "" {
		if bin, err = buildHindsight(dir); err != nil {
			return nil, err
		}
	}
	groups := "one group"
	if cfg.groups > 1 {
		groups = fmt.Sprintf("%d groups in turn", cfg.groups)
	}
	fmt.Fprintf(w, "ingest benchmark: %d connections for %s per server, Alertmanager notifications of one new alert, %s\n",
		cfg.conns, cfg.duration, groups)
	fmt.Fprintf(w, "load average before: %s\n\n", loadAverage())

	var results []*result
	add := func(r *result, err error) error {
		if err != nil {
			return err
		}
		results = append(results, r)
		fmt.Fprintln(w, r.line())
		return nil
	}
	// Each round runs every server once, so that a change in the
	// machine's load falls on all of them alike.
	for round := range cfg.rounds {
		if cfg.rounds > 1 {
			fmt.Fprintf(w, "round %d of %d\n", round+1, cfg.rounds)
		}
		for _, run := range []struct{ name, bin string }{{"hindsight sqlite", bin}, {"baseline sqlite", cfg.baseline}} {
			if !cfg.sqlite || run.bin == "" {
				continue
			}
			db := filepath.Join(dir, fmt.Sprintf("bench-%d.db", round))
			r, err := runHindsight(ctx, cfg, dir, run.bin, run.name, db, 1)
			for _, f := range []string{db, db + "-wal", db + "-shm"} {
				os.Remove(f) // tens of MB a round
			}
			if err := add(r, err); err != nil {
				return results, err
			}
		}
		if cfg.postgres != "" {
			for _, n := range cfg.replicas {
				dsn, drop, err := freshSchema(ctx, cfg.postgres)
				if err != nil {
					return results, err
				}
				r, err := runHindsight(ctx, cfg, dir, bin, fmt.Sprintf("hindsight postgres x%d", n), dsn, n)
				if derr := drop(); derr != nil && err == nil {
					err = fmt.Errorf("drop the run's schema: %w", derr)
				}
				if err := add(r, err); err != nil {
					return results, err
				}
			}
		}
		if cfg.ceiling {
			if err := add(runCeiling(ctx, cfg, dir, false)); err != nil {
				return results, err
			}
		}
		if cfg.decode {
			if err := add(runCeiling(ctx, cfg, dir, true)); err != nil {
				return results, err
			}
		}
	}
	fmt.Fprintln(w)
	report(w, results, cfg.conns)
	return results, nil
}

// runHindsight runs the load on n `serve` processes on dsn.
func runHindsight(ctx context.Context, cfg *config, dir, bin, name, dsn string, n int) (*result, error) {
	token, err := createToken(bin, dsn)
	if err != nil {
		return nil, err
	}
	servers := make([]*server, 0, n)
	defer func() {
		for _, s := range servers {
			s.kill() // after a failure; stopped ones are gone already
		}
	}()
	var urls []string
	for i := range n {
		s, err := startServer(ctx, fmt.Sprintf("hindsight-%d", i), dir, bin, childEnv(),
			"serve", "--addr", "127.0.0.1:0", "--db", dsn)
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
		urls = append(urls, s.url)
	}
	cpu0, self0 := cpuTime(servers), selfCPUTime()
	out := drive(ctx, urls, token, cfg.conns, cfg.groups, cfg.duration)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &result{name: name, out: out, loadavg: loadAverage(),
		cpu: cpuTime(servers) - cpu0, selfCPU: selfCPUTime() - self0}
	sum := map[string]float64{}
	for _, s := range servers {
		r.rss = max(r.rss, s.peakRSS())
		for name, v := range scrape(s.url, metricDeliveries, metricBatches, metricBatchSeconds, metricSyncs, metricSyncSeconds) {
			sum[name] += v
		}
	}
	if batches := sum[metricBatches]; batches > 0 {
		r.perTx = sum[metricDeliveries] / batches
		r.txTook = seconds(sum[metricBatchSeconds] / batches)
	}
	if syncs := sum[metricSyncs]; syncs > 0 {
		r.syncTook = seconds(sum[metricSyncSeconds] / syncs)
	}
	for _, s := range servers {
		if err := s.stop(); err != nil {
			return nil, err
		}
	}
	if r.check, err = verify(ctx, dsn, out); err != nil {
		return nil, err
	}
	return r, nil
}

func cpuTime(servers []*server) time.Duration {
	var sum time.Duration
	for _, s := range servers {
		sum += s.cpuTime()
	}
	return sum
}

// runCeiling runs the load on this program in its ceiling mode, or with
// decode in its decoding mode.
func runCeiling(ctx context.Context, cfg *config, dir string, decode bool) (*result, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	name, logName, env := "ceiling (gin, reads body)", "ceiling", []string{ceilingEnv + "=127.0.0.1:0"}
	if decode {
		name, logName, env = "decoding only (no database)", "decoding", append(env, decodeEnv+"=1")
	}
	s, err := startServer(ctx, logName, dir, self, childEnv(env...))
	if err != nil {
		return nil, err
	}
	defer s.kill()
	cpu0, self0 := s.cpuTime(), selfCPUTime()
	out := drive(ctx, []string{s.url}, "none", cfg.conns, cfg.groups, cfg.duration)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &result{name: name, out: out, rss: s.peakRSS(), loadavg: loadAverage(),
		cpu: s.cpuTime() - cpu0, selfCPU: selfCPUTime() - self0, decodes: decode}
	return r, s.stop()
}
