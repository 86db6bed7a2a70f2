package cli

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestLoggerLevel(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want slog.Level
		warn bool
	}{
		{"", slog.LevelInfo, false},
		{"debug", slog.LevelDebug, false},
		{"WARN", slog.LevelWarn, false},
		{"loud", slog.LevelInfo, true},
	} {
		var stderr strings.Builder
		env := &Env{Stderr: &stderr, Getenv: func(k string) string {
			if k == "HINDSIGHT_LOG_LEVEL" {
				return tc.env
			}
			return ""
		}}
		log := newLogger(env)
		if !log.Enabled(context.Background(), tc.want) || log.Enabled(context.Background(), tc.want-1) {
			t.Errorf("HINDSIGHT_LOG_LEVEL=%q: the logger does not log from %s", tc.env, tc.want)
		}
		if got := strings.Contains(stderr.String(), "HINDSIGHT_LOG_LEVEL must be"); got != tc.warn {
			t.Errorf("HINDSIGHT_LOG_LEVEL=%q: warned %v, want %v: %s", tc.env, got, tc.warn, stderr.String())
		}
	}
}
