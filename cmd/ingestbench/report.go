package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"slices"
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
	fmt.Fprintf(&b, "%-27s %8.0f alerts/s  p50 %8s  p99 %8s  peak RSS %6s  %d answered 2xx", r.name, r.rate(),
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
		fmt.Fprintf(&b, "; CPU per request: server %s, load generator %s", us(r.cpuPerRequest()), us(r.selfCPU/time.Duration(n)))
	}
	if r.perTx > 0 {
		fmt.Fprintf(&b, "; %.1f deliveries per transaction", r.perTx)
	}
	if r.txTook > 0 {
		fmt.Fprintf(&b, ", written in %s", ms(r.txTook))
	}
	if r.syncTook > 0 {
		fmt.Fprintf(&b, ", then the log synced in %s", ms(r.syncTook))
	}
	fmt.Fprintf(&b, "; load average %s", r.loadavg)
	if r.check != nil {
		fmt.Fprintf(&b, "\n%-27s database check %s", "", r.check)
		if r.check.unknown > 0 {
			fmt.Fprintf(&b, " (%d of the unanswered stored)", r.check.unknown)
		}
	}
	return b.String()
}

// report compares each Hindsight server with the ceiling and the goals,
// and with the decoding server, which tells how much of the gap to the
// ceiling no database could close:
// with several rounds, by the medians of its rounds, each set against the
// ceiling of the same round.
func report(w io.Writer, results []*result, conns int) {
	var names []string
	byName := map[string][]*result{}
	for _, r := range results {
		if byName[r.name] == nil {
			names = append(names, r.name)
		}
		byName[r.name] = append(byName[r.name], r)
	}
	var ceiling, decoding []*result
	for _, r := range results {
		switch {
		case r.decodes:
			decoding = append(decoding, r)
		case r.check == nil:
			ceiling = append(ceiling, r)
		}
	}
	rounds := len(byName[names[0]])
	if rounds > 1 {
		fmt.Fprintf(w, "medians of %d rounds:\n", rounds)
	}
	for _, name := range names {
		rs := byName[name]
		if rs[0].check == nil {
			fmt.Fprintf(w, "%-27s %6.0f alerts/s, CPU %s per request, p50 %s, p99 %s\n", name, median(rs, (*result).rate),
				us(medianDuration(rs, (*result).cpuPerRequest)), ms(medianDuration(rs, p50)), ms(medianDuration(rs, p99)))
			continue
		}
		rate, p99, rss := median(rs, (*result).rate), medianDuration(rs, p99), int64(0)
		ok := true
		for _, r := range rs {
			rss = max(rss, r.rss)
			ok = ok && r.check.ok()
		}
		fmt.Fprintf(w, "%-27s %6.0f alerts/s, CPU %s per request,", name, rate, us(medianDuration(rs, (*result).cpuPerRequest)))
		if len(ceiling) == len(rs) {
			ratio := medianRatio(rs, ceiling)
			fmt.Fprintf(w, " %.2f of the ceiling %s,", ratio, verdict(ratio >= goalRatio))
		}
		if len(decoding) == len(rs) {
			fmt.Fprintf(w, " %.2f of decoding only,", medianRatio(rs, decoding))
		}
		fmt.Fprintf(w, " p50 %s, p99 %s %s, peak RSS %s %s, %s\n", ms(medianDuration(rs, p50)), ms(p99), verdict(p99 < goalP99),
			mb(rss), verdict(rss < goalRSS), map[bool]string{true: "nothing lost", false: "ALERTS LOST OR WRONGLY STORED"}[ok])
		if sync := medianDuration(rs, syncTook); sync > 0 && len(ceiling) == len(rs) {
			// The load is a closed loop: each connection sends again
			// when answered, so a rate of r takes answers within conns/r.
			budget := seconds(float64(conns) / (goalRatio * median(ceiling, (*result).rate)))
			fmt.Fprintf(w, "%-27s at %.1f of the ceiling, %d connections leave a request %s; each waited %s for its transaction, then %s for the sync of the log\n",
				"", goalRatio, conns, ms(budget), ms(medianDuration(rs, txTook)), ms(sync))
		}
	}
	fmt.Fprintf(w, "goals: %.1f of the ceiling, p99 under %s, peak RSS under %s, nothing lost\n", goalRatio, ms(goalP99), mb(goalRSS))
}

// medianRatio is the median of the rates of rs, each set against the
// rate of refs in the same round.
func medianRatio(rs, refs []*result) float64 {
	ratios := make([]float64, len(rs))
	for i, r := range rs {
		ratios[i] = r.rate() / max(refs[i].rate(), 1)
	}
	return medianOf(ratios)
}

func p50(r *result) time.Duration { return percentile(r.out.latencies, 50) }

func p99(r *result) time.Duration { return percentile(r.out.latencies, 99) }

func txTook(r *result) time.Duration { return r.txTook }

func syncTook(r *result) time.Duration { return r.syncTook }

// cpuPerRequest is the server's CPU time per answered request.
func (r *result) cpuPerRequest() time.Duration {
	return r.cpu / time.Duration(max(r.out.answered(), 1))
}

func median(rs []*result, f func(*result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return medianOf(v)
}

func medianDuration(rs []*result, f func(*result) time.Duration) time.Duration {
	return time.Duration(median(rs, func(r *result) float64 { return float64(f(r)) }))
}

// medianOf returns the median of v, the mean of the middle two for an
// even count.
func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

func verdict(met bool) string {
	if met {
		return "(met)"
	}
	return "(MISSED)"
}

// scrape reads the named unlabelled metrics from a Hindsight server's
// /metrics; those it cannot read are missing from the map.
func scrape(base string, names ...string) map[string]float64 {
	got := map[string]float64{}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return got
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || !slices.Contains(names, name) {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			got[name] = f
		}
	}
	return got
}
