package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The goals of the benchmark.
const (
	goalRatio = 0.5
	goalP99   = 50 * time.Millisecond
	goalRSS   = 150 << 20
)

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

func us(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) + " µs" }

func mb(b int64) string { return strconv.FormatInt(b>>20, 10) + " MB" }

// line is one server's result as soon as it is known.
func (r *result) line() string {
	o := r.out
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %8.0f alerts/s  p50 %8s  p99 %8s  peak RSS %6s  %d answered 2xx", r.name, r.rate(),
		ms(percentile(o.latencies, 50)), ms(percentile(o.latencies, 99)), mb(r.rss), len(o.acked))
	if n := len(o.refused); n > 0 {
		fmt.Fprintf(&b, ", %d refused with 503", n)
		if o.noRetryAfter > 0 {
			fmt.Fprintf(&b, " (%d without Retry-After)", o.noRetryAfter)
		}
	}
	for status, n := range o.statuses {
		fmt.Fprintf(&b, ", %d answered %d", n, status)
	}
	if n := len(o.unknown); n > 0 {
		fmt.Fprintf(&b, ", %d unanswered", n)
	}
	if n := o.answered(); n > 0 {
		fmt.Fprintf(&b, "; CPU per request: server %s, load %s", us(r.cpu/time.Duration(n)), us(r.selfCPU/time.Duration(n)))
	}
	if r.perTx > 0 {
		fmt.Fprintf(&b, "; %.1f deliveries per transaction", r.perTx)
	}
	fmt.Fprintf(&b, "; load average %s", r.loadavg)
	if r.check != nil {
		fmt.Fprintf(&b, "\n%-26s database check %s", "", r.check)
		if r.check.unknown > 0 {
			fmt.Fprintf(&b, " (%d of the unanswered stored)", r.check.unknown)
		}
	}
	return b.String()
}

// report compares each Hindsight run with the ceiling and the goals.
func report(w io.Writer, results []*result) {
	var ceiling *result
	for _, r := range results {
		if r.check == nil {
			ceiling = r
		}
	}
	for _, r := range results {
		if r.check == nil {
			continue
		}
		p99 := percentile(r.out.latencies, 99)
		fmt.Fprintf(w, "%-26s", r.name)
		if ceiling != nil && ceiling.rate() > 0 {
			ratio := r.rate() / ceiling.rate()
			fmt.Fprintf(w, " %.2f of the ceiling %s,", ratio, verdict(ratio >= goalRatio))
		}
		fmt.Fprintf(w, " p99 %s %s, peak RSS %s %s, %s\n", ms(p99), verdict(p99 < goalP99),
			mb(r.rss), verdict(r.rss < goalRSS), map[bool]string{true: "nothing lost", false: "ALERTS LOST OR WRONGLY STORED"}[r.check.ok()])
	}
	fmt.Fprintf(w, "goals: %.1f of the ceiling, p99 under %s, peak RSS under %s, nothing lost\n", goalRatio, ms(goalP99), mb(goalRSS))
}

func verdict(met bool) string {
	if met {
		return "(met)"
	}
	return "(MISSED)"
}

// batchSizes reads from a Hindsight server's /metrics how many deliveries
// its alert transactions held in all, and how many transactions there
// were. Zeros when it cannot tell.
func batchSizes(base string) (deliveries, batches float64) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "hindsight_alert_batch_deliveries_sum":
			deliveries, _ = strconv.ParseFloat(v, 64)
		case "hindsight_alert_batch_deliveries_count":
			batches, _ = strconv.ParseFloat(v, 64)
		}
	}
	return deliveries, batches
}
