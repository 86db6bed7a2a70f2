// Package cli implements the hindsight command line: each subcommand parses
// its flags, opens the database and does one thing.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"hindsight/internal/incident"
	"hindsight/internal/store"
)

// Env carries what a command may touch, so that tests can run commands
// in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve the web pages, the API and the webhooks", runServe},
		{"token", "token create --name NAME [--role admin|editor|viewer|webhook|feed]: print a new API token", runToken},
		{"user", "user create --email E --role admin|editor|viewer --password-stdin: add a user", runUser},
		{"import", "import FILE.md: create an incident from a postmortem in Markdown and print its ref", runImport},
		{"export", "export REF [--template NAME] [--tz ZONE]: print the incident's postmortem in Markdown", runExport},
		{"check", "check REF: list what the postmortem lacks; exit 1 when an error-level finding exists", runCheck},
		{"backup", "backup OUT.db: write a consistent copy of the live SQLite database", runBackup},
		{"migrate", "apply pending database migrations and exit", runMigrate},
	}
}

// Main runs the command line args (without the program name) and returns
// the exit code.
func Main(ctx context.Context, env *Env, args []string) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			var ue usageError
			if errors.As(err, &ue) {
				fmt.Fprintf(env.Stderr, "hindsight %s: %s\n", c.name, ue.msg)
				return 2
			}
			fmt.Fprintf(env.Stderr, "hindsight %s: %s\n", c.name, errorLine(err))
			return 1
		}
		return 0
	}
	fmt.Fprintf(env.Stderr, "hindsight: unknown command %q\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hindsight COMMAND [flags]  (every command takes --db, default $HINDSIGHT_DB or hindsight.db)")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

// errorLine is the one line a failed command prints: the message of a
// domain error, with the field it is about, or the error itself.
func errorLine(err error) string {
	var e *incident.Error
	if errors.As(err, &e) {
		if e.Field != "" && !strings.Contains(e.Message, e.Field) {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// flags returns a flag set with the --db flag every command takes.
func flags(env *Env, name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("hindsight "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	def := env.Getenv("HINDSIGHT_DB")
	if def == "" {
		def = "hindsight.db"
	}
	db := fs.String("db", def, "SQLite file, or a postgres:// URL (env HINDSIGHT_DB)")
	return fs, db
}

// parse parses args, refusing stray positional arguments beyond want.
// The usage lines write flags after the argument ("export REF --template
// sre"), but the flag package stops at the first argument, so parsing
// resumes after each one; "--" still ends the flags.
func parse(fs *flag.FlagSet, args []string, want int) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	// Leave the arguments where the commands read them, in fs.Arg; after
	// "--" nothing is a flag, so this parse cannot fail.
	_ = fs.Parse(append([]string{"--"}, pos...))
	if fs.NArg() != want {
		return usagef("expected %d argument(s), got %d: %s", want, fs.NArg(), strings.Join(fs.Args(), " "))
	}
	return nil
}

// withStore opens the database, runs fn on it and closes it: the life of
// the database in every command but serve.
func withStore(ctx context.Context, dsn string, fn func(*store.Store) error) error {
	st, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

func openStore(ctx context.Context, dsn string) (*store.Store, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return st, nil
}

// newLogger logs to stderr, as text by default or as JSON when
// HINDSIGHT_LOG_FORMAT=json, for log collectors, from the level
// HINDSIGHT_LOG_LEVEL names (info when unset or unknown).
func newLogger(env *Env) *slog.Logger {
	name := env.Getenv("HINDSIGHT_LOG_LEVEL")
	var level slog.Level
	bad := name != "" && level.UnmarshalText([]byte(name)) != nil
	if bad {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	var log *slog.Logger
	if env.Getenv("HINDSIGHT_LOG_FORMAT") == "json" {
		log = slog.New(slog.NewJSONHandler(env.Stderr, opts))
	} else {
		log = slog.New(slog.NewTextHandler(env.Stderr, opts))
	}
	if bad {
		log.Warn("HINDSIGHT_LOG_LEVEL must be debug, info, warn or error; logging at info", "value", name)
	}
	return log
}
