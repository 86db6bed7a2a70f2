package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// groupKey is the key of the benchmark's g-th Alertmanager group, of alerts
// grouped by name and service. With one group, the default, the storm is
// of one alert name, the case group commit is for; with more, each group
// opens an incident of its own.
func groupKey(g int) string {
	return fmt.Sprintf(`{}:{alertname="BenchHighLatency",service="api-%d"}`, g)
}

// payload is an Alertmanager webhook notification (version 4) holding one
// new alert of group g, shaped as Alertmanager sends it.
func payload(fingerprint string, worker, seq, g int, startsAt time.Time) []byte {
	return fmt.Appendf(nil, `{"receiver":"hindsight","status":"firing","alerts":[{"status":"firing",`+
		`"labels":{"alertname":"BenchHighLatency","instance":"api-%d-%d:8080","job":"api","service":"api-%d","severity":"critical"},`+
		`"annotations":{"summary":"API p99 latency above 2s","runbook_url":"https://runbooks.example.com/api-latency"},`+
		`"startsAt":%q,"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus.example.com/graph?g0.expr=api_p99",`+
		`"fingerprint":%q}],`+
		`"groupLabels":{"alertname":"BenchHighLatency","service":"api-%d"},"commonLabels":{"alertname":"BenchHighLatency","job":"api","service":"api-%d","severity":"critical"},`+
		`"commonAnnotations":{"summary":"API p99 latency above 2s","runbook_url":"https://runbooks.example.com/api-latency"},`+
		`"externalURL":"http://alertmanager.example.com:9093","version":"4","groupKey":%q,"truncatedAlerts":0}`,
		worker, seq, g, startsAt.UTC().Format(time.RFC3339Nano), fingerprint, g, g, groupKey(g))
}

// fingerprintOf names the seq-th alert of a worker as Alertmanager would:
// 16 hex digits of an FNV-1a hash of its labels (here the one label that
// differs), so that a storm's fingerprints come in no order.
func fingerprintOf(worker, seq int) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "api-%d-%d:8080", worker, seq)
	return fmt.Sprintf("%016x", h.Sum64())
}

// outcome is what became of the alerts the load posted, by fingerprint.
type outcome struct {
	acked     []string // 2xx: Hindsight promises they are stored
	refused   []string // 503: must not be stored
	failed    []string // any other status: must not be stored either
	unknown   []string // no answer (the connection failed): either way
	latencies []time.Duration
	// noRetryAfter counts 503 answers without Retry-After.
	noRetryAfter int
	// statuses counts the answers of each status other than 2xx and 503.
	statuses map[int]int
	elapsed  time.Duration
}

// answered is the number of requests that got an answer.
func (o *outcome) answered() int { return len(o.latencies) }

func (o *outcome) merge(p *outcome) {
	o.acked = append(o.acked, p.acked...)
	o.refused = append(o.refused, p.refused...)
	o.failed = append(o.failed, p.failed...)
	o.unknown = append(o.unknown, p.unknown...)
	o.latencies = append(o.latencies, p.latencies...)
	o.noRetryAfter += p.noRetryAfter
	for s, n := range p.statuses {
		o.statuses[s] += n
	}
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// drive posts from conns workers, each on a keep-alive connection of its
// own and spread over urls (one per replica), one new alert per request,
// each worker sending its next request when the last is answered, until
// d has passed, and its requests in turn to each of groups groups.
// Requests in flight at the end are waited for and counted.
func drive(ctx context.Context, urls []string, token string, conns, groups int, d time.Duration) *outcome {
	tr := &http.Transport{
		Proxy:               nil, // the servers are on this machine
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}

	start := time.Now()
	deadline := start.Add(d)
	parts := make([]*outcome, conns)
	var wg sync.WaitGroup
	for w := range conns {
		parts[w] = &outcome{statuses: map[int]int{}}
		url := urls[w%len(urls)] + "/hooks/alertmanager"
		wg.Go(func() { work(ctx, client, url, token, w, groups, deadline, parts[w]) })
	}
	wg.Wait()
	all := &outcome{statuses: map[int]int{}, elapsed: time.Since(start)}
	for _, p := range parts {
		all.merge(p)
	}
	slices.Sort(all.latencies)
	return all
}

func work(ctx context.Context, client *http.Client, url, token string, w, groups int, deadline time.Time, out *outcome) {
	for seq := 0; time.Now().Before(deadline) && ctx.Err() == nil; seq++ {
		fp := fingerprintOf(w, seq)
		body := payload(fp, w, seq, (w+seq)%groups, time.Now())
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			panic(err) // the URL is ours
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		sent := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			out.unknown = append(out.unknown, fp)
			continue
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(sent)
		switch {
		case err != nil:
			out.unknown = append(out.unknown, fp)
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			out.acked = append(out.acked, fp)
			out.latencies = append(out.latencies, took)
		case resp.StatusCode == http.StatusServiceUnavailable:
			out.refused = append(out.refused, fp)
			out.latencies = append(out.latencies, took)
			if resp.Header.Get("Retry-After") == "" {
				out.noRetryAfter++
			}
		default:
			out.failed = append(out.failed, fp)
			out.latencies = append(out.latencies, took)
			out.statuses[resp.StatusCode]++
		}
	}
}
