package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a child process serving HTTP: `hindsight serve` or the
// ceiling. Its log goes to a file, which never blocks it the way a pipe
// nobody reads fast enough would.
type server struct {
	name string
	cmd  *exec.Cmd
	log  string // path of its stderr
	url  string // base URL, read from its log
	exit chan error
}

// urlInLog finds where a server listens in its log line
// `... msg="hindsight listening" url=http://127.0.0.1:PORT ...`.
var urlInLog = regexp.MustCompile(`url=(http://[0-9.:\[\]]+)`)

// startServer starts bin with args, its log in dir, and waits until it
// says where it listens.
func startServer(ctx context.Context, name, dir, bin string, env []string, args ...string) (*server, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, log: logPath, exit: make(chan error, 1)}
	go func() { s.exit <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(logPath)
		if m := urlInLog.FindSubmatch(b); m != nil {
			s.url = string(m[1])
			return s, nil
		}
		select {
		case err := <-s.exit:
			return nil, fmt.Errorf("%s exited before listening (%v): %s", name, err, s.tail())
		case <-ctx.Done():
			s.kill()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, fmt.Errorf("%s did not say where it listens within 30s: %s", name, s.tail())
		}
	}
}

// peakRSS is the most memory the process has held, in bytes: VmHWM of
// /proc/PID/status. It is 0 where /proc is missing.
func (s *server) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// cpuTime is the CPU time (user and system) the process has used, from
// /proc/PID/stat; 0 where /proc is missing.
func (s *server) cpuTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields
	// from its end. utime and stime are fields 14 and 15 of the line.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

// selfCPUTime is the CPU time this process has used.
func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stop asks the server to shut down as an operator would (SIGTERM: it
// finishes the requests in flight and commits what is queued) and waits
// for it, killing it after a while.
func (s *server) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-s.exit:
		s.exit <- err
		if err != nil {
			return fmt.Errorf("%s exited with %v: %s", s.name, err, s.tail())
		}
		return nil
	case <-time.After(30 * time.Second):
		s.kill()
		return fmt.Errorf("%s did not stop within 30s of SIGTERM", s.name)
	}
}

// kill ends the process at once; for failures only.
func (s *server) kill() {
	s.cmd.Process.Kill()
}

// tail is the end of the server's log, for error messages.
func (s *server) tail() string {
	b, _ := os.ReadFile(s.log)
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// childEnv is this process's environment without Hindsight's settings,
// so that only the flags the benchmark gives count.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HINDSIGHT_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// createToken makes a webhook token with the real command line, which
// also creates and migrates the database.
func createToken(bin, dsn string) (string, error) {
	cmd := exec.Command(bin, "token", "create", "--db", dsn, "--name", "ingestbench", "--role", "webhook")
	cmd.Env = childEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hindsight token create: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return strings.TrimSpace(string(out)), nil
}

// buildHindsight builds the hindsight command into dir, for runs that
// were not given a binary.
func buildHindsight(dir string) (string, error) {
	bin := filepath.Join(dir, "hindsight")
	out, err := exec.Command("go", "build", "-o", bin, "hindsight/cmd/hindsight").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build hindsight/cmd/hindsight: %v: %s", err, out)
	}
	return bin, nil
}

// loadAverage is the first line of /proc/loadavg: the 1, 5 and 15 minute
// load averages, for telling a busy machine's figures from a quiet one's.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
