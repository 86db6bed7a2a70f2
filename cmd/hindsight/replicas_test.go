package main_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

// TestReplicasOnPostgres starts two serve processes on one new PostgreSQL
// database at the same moment, as a deployment of several replicas does.
func TestReplicasOnPostgres(t *testing.T) {
	dsn := storetest.PostgresURL(t)

	var bases [2]string
	var wg sync.WaitGroup
	for i := range bases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bases[i], _, _ = startServe(t, "--db", dsn)
		}()
	}
	wg.Wait()
	if bases[0] == "" || bases[1] == "" {
		t.Fatal("a replica did not start")
	}

	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var applied, distinct int
	if err := st.QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations", &applied); err != nil {
		t.Fatal(err)
	}
	if err := st.QueryRow(context.Background(), "SELECT count(DISTINCT version) FROM schema_migrations", &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != distinct || applied == 0 {
		t.Fatalf("migrations recorded %d times for %d versions: the replicas migrated twice", applied, distinct)
	}

	token, stderr, code := hindsight(t, "", "token", "create", "--db", dsn, "--name", "me", "--role", "editor")
	if code != 0 {
		t.Fatalf("token create: %s", stderr)
	}
	token = strings.TrimSpace(token)

	t.Run("RefsUniqueAcrossReplicas", func(t *testing.T) {
		const n = 60
		refs := make(chan string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, inc := call(t, "POST", bases[i%2]+"/api/v1/incidents", token, fmt.Sprintf(`{"title":"replica %d"}`, i))
				if status != 201 {
					t.Errorf("create on replica %d: %d %v", i%2, status, inc)
					return
				}
				refs <- inc["ref"].(string)
			}()
		}
		wg.Wait()
		close(refs)
		seen := map[string]bool{}
		for r := range refs {
			if seen[r] {
				t.Errorf("ref %s given by both replicas", r)
			}
			seen[r] = true
		}
		if len(seen) != n {
			t.Fatalf("%d distinct refs, want %d", len(seen), n)
		}
	})
	t.Run("RevokedOnEveryReplica", func(t *testing.T) {
		admin, stderr, code := hindsight(t, "", "token", "create", "--db", dsn, "--name", "admin", "--role", "admin")
		if code != 0 {
			t.Fatalf("token create: %s", stderr)
		}
		admin = strings.TrimSpace(admin)
		status, created := call(t, "POST", bases[0]+"/api/v1/tokens", admin, `{"name":"ci","role":"viewer"}`)
		if status != 201 {
			t.Fatalf("create token: %d %v", status, created)
		}
		secret := created["token"].(string)
		// Replica 1 now remembers the token as valid.
		if status, _ := call(t, "GET", bases[1]+"/api/v1/incidents", secret, ""); status != 200 {
			t.Fatalf("new token on replica 1: %d", status)
		}
		if status, _ := call(t, "DELETE", fmt.Sprintf("%s/api/v1/tokens/%v", bases[0], created["id"]), admin, ""); status != 204 {
			t.Fatalf("revoke on replica 0: %d", status)
		}
		// Well within the 10 s that replica 1 would otherwise believe it.
		deadline := time.Now().Add(2 * time.Second)
		for {
			status, _ := call(t, "GET", bases[1]+"/api/v1/incidents", secret, "")
			if status == 401 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica 1 still answers %d to a token revoked on replica 0 2s ago", status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("EachReadsTheOthersWrites", func(t *testing.T) {
		status, inc := call(t, "POST", bases[0]+"/api/v1/incidents", token, `{"title":"written through replica 0"}`)
		if status != 201 {
			t.Fatal(status)
		}
		status, got := call(t, "GET", bases[1]+"/api/v1/incidents/"+inc["ref"].(string), token, "")
		if status != 200 || got["title"] != "written through replica 0" {
			t.Fatalf("replica 1 reads %d %v", status, got)
		}
	})
}

// TestLiveUpdatesAcrossReplicas watches an incident's stream on one replica
// while an entry is added through the other.
func TestLiveUpdatesAcrossReplicas(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	a, _, _ := startServe(t, "--db", dsn)
	b, _, _ := startServe(t, "--db", dsn)
	token, stderr, code := hindsight(t, "", "token", "create", "--db", dsn, "--name", "me", "--role", "editor")
	if code != 0 {
		t.Fatal(stderr)
	}
	token = strings.TrimSpace(token)
	if status, _ := call(t, "POST", a+"/api/v1/incidents", token, `{"title":"Live across replicas"}`); status != 201 {
		t.Fatal(status)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b+"/api/v1/incidents/INC-1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The stream is open once the server has answered; give the replica's
	// subscription a moment, then write through the other one.
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if status, _ := call(t, "POST", a+"/api/v1/incidents/INC-1/events", token, `{"text":"Written on replica A"}`); status != 201 {
		t.Fatal(status)
	}
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("stream closed before the entry arrived")
			}
			if strings.Contains(line, "Written on replica A") {
				if d := time.Since(start); d > 2*time.Second {
					t.Fatalf("the entry took %v to reach the other replica", d)
				}
				return
			}
		case <-ctx.Done():
			t.Fatal("the entry written on replica A never reached a stream on replica B")
		}
	}
}
