package web_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// proxy forwards TCP connections to a target until it is cut, as a network
// between Hindsight and its database would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		go func() { io.Copy(u, c); u.Close() }()
		go func() { io.Copy(c, u); c.Close() }()
	}
}

// setDown cuts every connection and refuses new ones, or lets them through.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

func TestReadyzRecoversWhenPostgresReturns(t *testing.T) {
	u, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	st, err := store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEnv(t, st)
	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			w := e.do("", "GET", "/readyz", "")
			if w.Code == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz stayed %d, want %d: %s", w.Code, want, w.Body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(200)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"Before the cut"}`, nil)
	p.setDown(true)
	waitFor(503)
	if w := e.do("", "GET", "/healthz", ""); w.Code != 200 {
		t.Fatalf("healthz must stay up while the database is away: %d", w.Code)
	}
	p.setDown(false)
	waitFor(200)
	e.must(201, "POST", "/api/v1/incidents", `{"title":"After the cut"}`, nil)
}
