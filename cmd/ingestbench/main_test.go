package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the ceiling, as the benchmark's
// own binary does, since the benchmark starts whatever binary runs it.
func TestMain(m *testing.M) {
	if addr := os.Getenv(ceilingEnv); addr != "" {
		if err := serveCeiling(addr); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSmoke runs the benchmark briefly with a few connections spread over
// two alert groups, on SQLite and, when HINDSIGHT_TEST_POSTGRES is set, on
// two replicas sharing a PostgreSQL database, and checks that no
// acknowledged alert is lost, that each group opened one incident, and
// that the ceiling and the decoding server answered with 2xx.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and sends load for a few seconds")
	}
	cfg := &config{duration: time.Second, conns: 4, groups: 2, rounds: 1, sqlite: true, ceiling: true, decode: true,
		postgres: os.Getenv("HINDSIGHT_TEST_POSTGRES"), replicas: []int{2}}
	var out strings.Builder
	results, err := run(t.Context(), cfg, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	want := 3
	if cfg.postgres != "" {
		want = 4
	}
	if len(results) != want {
		t.Fatalf("%d results, want %d", len(results), want)
	}
	for _, r := range results {
		if len(r.out.acked) == 0 {
			t.Errorf("%s acknowledged nothing", r.name)
		}
		if r.check != nil && !r.check.ok() {
			t.Errorf("%s: %s", r.name, r.check)
		}
		if r.check != nil && r.check.groups != cfg.groups {
			t.Errorf("%s: alerts of %d groups stored, want %d", r.name, r.check.groups, cfg.groups)
		}
		if r.check != nil && (r.perTx < 1 || r.txTook <= 0) {
			t.Errorf("%s: %.1f deliveries per transaction written in %v, read from /metrics", r.name, r.perTx, r.txTook)
		}
		if sqlite := r.check != nil && !strings.Contains(r.name, "postgres"); sqlite != (r.syncTook > 0) {
			t.Errorf("%s: the log synced in %v", r.name, r.syncTook)
		}
		if r.check == nil && r.rss == 0 {
			t.Errorf("%s: no peak RSS read", r.name)
		}
		if sent := r.out.answered() + len(r.out.unknown); r.check == nil && len(r.out.acked) != sent {
			t.Errorf("%s: %d of %d requests answered 2xx", r.name, len(r.out.acked), sent)
		}
	}
	for _, ref := range []string{"of the ceiling", "of decoding only", "for the sync of the log"} {
		if !strings.Contains(out.String(), ref) {
			t.Errorf("no comparison %q in the report", ref)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}} {
		if got := percentile(d, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %v", got)
	}
}

func TestFlags(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		cfg, err := parseFlags(nil)
		if err != nil || cfg.duration != 10*time.Second || cfg.conns != 32 || cfg.groups != 1 || cfg.rounds != 1 || !cfg.sqlite || len(cfg.replicas) != 2 {
			t.Fatalf("%+v %v", cfg, err)
		}
	})
	t.Run("ErrNotPostgres", func(t *testing.T) {
		if _, err := parseFlags([]string{"--db", "bench.db"}); err == nil {
			t.Fatal("a SQLite file taken for --db")
		}
	})
	t.Run("ErrGroups", func(t *testing.T) {
		if _, err := parseFlags([]string{"--groups", "0"}); err == nil {
			t.Fatal("0 groups taken")
		}
	})
	t.Run("ErrReplicas", func(t *testing.T) {
		if _, err := parseFlags([]string{"--replicas", "0"}); err == nil {
			t.Fatal("0 replicas taken")
		}
	})
}
