package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/web"
)

func runToken(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("usage: hindsight token create --name NAME [--role admin|editor|viewer|webhook|feed]")
	}
	fs, dsn := flags(env, "token create")
	name := fs.String("name", "", "what the token is for, e.g. alertmanager or ci")
	role := fs.String("role", "editor", "admin, editor, viewer, webhook, or feed (reads the task calendar feed only)")
	if err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	return withStore(ctx, *dsn, func(st *store.Store) error {
		secret, _, err := st.CreateToken(ctx, *name, incident.Role(*role))
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, secret)
		return nil
	})
}

func runUser(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("usage: hindsight user create --email E --role admin|editor|viewer --password-stdin")
	}
	fs, dsn := flags(env, "user create")
	email := fs.String("email", "", "the user's email address, used to sign in")
	role := fs.String("role", "editor", "admin, editor or viewer")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	if !*fromStdin {
		return usagef("give the password on standard input with --password-stdin (never on the command line)")
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("read password from standard input: nothing was given")
	}
	hash, err := web.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		return err
	}
	return withStore(ctx, *dsn, func(st *store.Store) error {
		u, err := st.CreateUser(ctx, *email, incident.Role(*role), hash)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "created %s user %s\n", u.Role, u.Email)
		return nil
	})
}

func runBackup(ctx context.Context, env *Env, args []string) error {
	fs, dsn := flags(env, "backup")
	if err := parse(fs, args, 1); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("usage: hindsight backup OUT.db (%v)", err)
	}
	out := fs.Arg(0)
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists already; choose a new file name", out)
	}
	// Ctrl-C stops the copy and removes what it wrote so far.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return withStore(ctx, *dsn, func(st *store.Store) error {
		if err := st.Backup(ctx, out); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "backed up to %s\n", out)
		return nil
	})
}

func runMigrate(ctx context.Context, env *Env, args []string) error {
	fs, dsn := flags(env, "migrate")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	return withStore(ctx, *dsn, func(*store.Store) error {
		fmt.Fprintln(env.Stderr, "database is up to date")
		return nil
	})
}
