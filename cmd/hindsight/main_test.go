package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var binary string

// TestMain builds the real binary once; the tests drive it as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hindsight-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hindsight")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hindsight runs a command to completion and returns its stdout, stderr and
// exit code.
func hindsight(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "HINDSIGHT_DB=") // only what the test says
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// startServe starts `hindsight serve` on a free port and returns its base
// URL, read from its log, and the running command.
func startServe(t *testing.T, args ...string) (string, *exec.Cmd, *logTail) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	tail := &logTail{lines: make(chan string, 1000)}
	go tail.read(stderr)
	re := regexp.MustCompile(`url=(http://\S+)`)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case line := <-tail.lines:
			tail.all = append(tail.all, line)
			if m := re.FindStringSubmatch(line); m != nil {
				return m[1], cmd, tail
			}
		case <-deadline:
			t.Fatalf("serve did not say where it listens; log:\n%s", strings.Join(tail.all, "\n"))
		}
	}
}

type logTail struct {
	lines chan string
	all   []string
}

func (l *logTail) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l.lines <- sc.Text()
	}
	close(l.lines)
}

// rest drains the log until the process closes it.
func (l *logTail) rest() string {
	for line := range l.lines {
		l.all = append(l.all, line)
	}
	return strings.Join(l.all, "\n")
}

func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestUserJourney(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hindsight.db")

	token, stderr, code := hindsight(t, "", "token", "create", "--db", db, "--name", "me", "--role", "admin")
	token = strings.TrimSpace(token)
	if code != 0 || !strings.HasPrefix(token, "hst_") || strings.Contains(token, "\n") {
		t.Fatalf("token create: exit %d, stdout %q, stderr %s", code, token, stderr)
	}
	if _, stderr, code := hindsight(t, "correct horse battery staple\n", "user", "create", "--db", db, "--email", "ic@example.com", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("user create: %d %s", code, stderr)
	}

	base, cmd, log := startServe(t, "--db", db)
	status, inc := call(t, "POST", base+"/api/v1/incidents", token, `{"title":"API server overloaded","severity":"SEV2"}`)
	if status != 201 || inc["ref"] != "INC-1" {
		t.Fatalf("create incident: %d %v", status, inc)
	}
	status, _ = call(t, "POST", base+"/api/v1/incidents/INC-1/events", token, `{"text":"Rolled back the cache configuration","kind":"mitigation"}`)
	if status != 201 {
		t.Fatalf("add event: %d", status)
	}

	// A second command works while serve runs on the same database.
	if _, stderr, code := hindsight(t, "", "token", "create", "--db", db, "--name", "am", "--role", "webhook"); code != 0 {
		t.Fatalf("token create beside serve: %d %s", code, stderr)
	}
	backup := filepath.Join(dir, "backup.db")
	if _, stderr, code := hindsight(t, "", "backup", "--db", db, backup); code != 0 {
		t.Fatalf("backup beside serve: %d %s", code, stderr)
	}

	status, detail := call(t, "GET", base+"/api/v1/incidents/INC-1", token, "")
	if status != 200 || len(detail["events"].([]any)) != 1 {
		t.Fatalf("get: %d %v", status, detail)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	logs := log.rest()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, logs)
	}
	if !strings.Contains(logs, "status=201") || strings.Contains(logs, token) {
		t.Fatalf("request log must list requests and never a token:\n%s", logs)
	}

	// The backup is a database serve can open, with the incident in it.
	base, _, _ = startServe(t, "--db", backup)
	if status, got := call(t, "GET", base+"/api/v1/incidents/INC-1", token, ""); status != 200 || got["title"] != "API server overloaded" {
		t.Fatalf("backup: %d %v", status, got)
	}
}

func TestCommandErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"UnknownCommand", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"TokenWithoutName", []string{"token", "create", "--db", db}, 1, "name is required"},
		{"TokenBadRole", []string{"token", "create", "--db", db, "--name", "x", "--role", "root"}, 1, "role must be one of"},
		{"UserWithoutStdinFlag", []string{"user", "create", "--db", db, "--email", "a@b.c"}, 2, "--password-stdin"},
		{"BackupNoArg", []string{"backup", "--db", db}, 2, "usage: hindsight backup OUT.db"},
		{"UnknownFlag", []string{"migrate", "--db", db, "--nope"}, 2, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := hindsight(t, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || out != "" {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tc.code, out, stderr, tc.want)
			}
		})
	}
	t.Run("MigrateCreatesDatabase", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "sub", "new.db")
		if _, stderr, code := hindsight(t, "", "migrate", "--db", fresh); code != 0 {
			t.Fatalf("migrate: %d %s", code, stderr)
		}
		if _, err := os.Stat(fresh); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPostmortemCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	src := filepath.Join("..", "..", "..", "shared", "fixtures", "postmortems", "api-cache-outage.md")
	want, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("the example postmortem lies in shared/fixtures beside the repository: %v", err)
	}
	ref, stderr, code := hindsight(t, "", "import", "--db", db, src)
	if code != 0 || strings.TrimSpace(ref) != "INC-1" {
		t.Fatalf("import: exit %d, stdout %q, stderr %s", code, ref, stderr)
	}
	out, stderr, code := hindsight(t, "", "export", "--db", db, "INC-1")
	if code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	lines := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if strings.TrimSpace(l) != "" {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if lines(out) != lines(string(want)) {
		t.Fatalf("import then export changed the document:\n%s", out)
	}
	if _, stderr, code := hindsight(t, string(want), "import", "--db", db, "-"); code != 0 {
		t.Fatalf("import from stdin: %d %s", code, stderr)
	}
	out, _, code = hindsight(t, "", "check", "--db", db, "INC-1")
	if code != 0 && code != 1 || !strings.Contains(out, "task_without_owner") {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	// A declared incident with nothing written yet lacks the essentials.
	if _, stderr, code := hindsight(t, "", "token", "create", "--db", db, "--name", "x"); code != 0 {
		t.Fatal(stderr)
	}
	empty := filepath.Join(t.TempDir(), "empty.md")
	os.WriteFile(empty, []byte("# Postmortem: Nothing yet\n"), 0o644)
	if _, stderr, code := hindsight(t, "", "import", "--db", db, empty); code != 0 {
		t.Fatalf("import of a bare document: %d %s", code, stderr)
	}
	out, _, code = hindsight(t, "", "check", "--db", db, "INC-3")
	if code != 1 || !strings.Contains(out, "missing_impact") {
		t.Fatalf("check of an empty postmortem: exit %d (want 1)\n%s", code, out)
	}
	if _, stderr, code := hindsight(t, "", "export", "--db", db, "--template", "nope", "INC-1"); code != 1 || !strings.Contains(stderr, "nope") {
		t.Fatalf("unknown template: exit %d %s", code, stderr)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "broken.md.tmpl"), []byte("# {{ .Title \n"), 0o644)
	if _, stderr, code := hindsight(t, "", "export", "--db", db, "--templates", bad, "INC-1"); code != 1 || !strings.Contains(stderr, "broken.md.tmpl:2: unclosed action") {
		t.Fatalf("a broken template must be refused with its file and line: exit %d %s", code, stderr)
	}
}
