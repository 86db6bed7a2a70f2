package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"hindsight"
	"hindsight/internal/incident"
	"hindsight/internal/postmortem"
	"hindsight/internal/store"
)

func runImport(ctx context.Context, env *Env, args []string) error {
	fs, dsn := flags(env, "import")
	taskDue := fs.String("task-due", envOr(env, "HINDSIGHT_TASK_DUE", incident.DefaultDuePolicy().String()),
		"default due dates of the tasks, by severity, as serve's --task-due (env HINDSIGHT_TASK_DUE)")
	tz := fs.String("digest-tz", envOr(env, "HINDSIGHT_DIGEST_TZ", "UTC"), "time zone whose days default due dates end, as serve's --digest-tz (env HINDSIGHT_DIGEST_TZ)")
	if err := parse(fs, args, 1); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("usage: hindsight import FILE.md (or - for standard input) (%v)", err)
	}
	due, err := incident.ParseDuePolicy(*taskDue)
	if err != nil {
		return usagef("--task-due: %s", incident.ErrorMessage(err))
	}
	zone, err := time.LoadLocation(*tz)
	if err != nil {
		return usagef("--digest-tz: unknown time zone %q", *tz)
	}
	var src []byte
	if name := fs.Arg(0); name == "-" {
		src, err = io.ReadAll(io.LimitReader(env.Stdin, postmortem.MaxImportSize+1))
	} else {
		src, err = readLimited(name, postmortem.MaxImportSize+1)
	}
	if err != nil {
		return err
	}
	d, warnings, err := postmortem.Import(src, time.Now())
	if err != nil {
		return err
	}
	if err := withStore(ctx, *dsn, func(st *store.Store) error {
		st.TaskDue, st.DueZone = due, zone // as serve gives tasks created through the API
		return st.CreateIncident(ctx, d)
	}); err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	fmt.Fprintln(env.Stdout, d.Ref)
	return nil
}

// readLimited reads at most n bytes of a file: enough for the importer to
// tell a document is too long without reading a huge one whole.
func readLimited(name string, n int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

func runExport(ctx context.Context, env *Env, args []string) error {
	fs, dsn := flags(env, "export")
	name := fs.String("template", "default", "template: default, sre, or one of --templates")
	dir := fs.String("templates", env.Getenv("HINDSIGHT_TEMPLATES"), "directory of your own templates, NAME.md.tmpl (env HINDSIGHT_TEMPLATES)")
	tz := fs.String("tz", "UTC", "time zone of the times in the document, e.g. Europe/Berlin")
	if err := parse(fs, args, 1); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("usage: hindsight export REF [--template NAME] [--tz ZONE] (%v)", err)
	}
	r, err := postmortem.NewRenderer(hindsight.Files, *dir)
	if err != nil {
		return err
	}
	loc, err := postmortem.LoadLocation(*tz)
	if err != nil {
		return err
	}
	d, err := loadDetail(ctx, *dsn, fs.Arg(0))
	if err != nil {
		return err
	}
	b, err := r.Markdown(d, *name, loc)
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(b)
	return err
}

// loadDetail reads one incident with everything that hangs off it.
func loadDetail(ctx context.Context, dsn, ref string) (d *incident.Detail, err error) {
	err = withStore(ctx, dsn, func(st *store.Store) error {
		d, err = st.IncidentDetail(ctx, ref)
		return err
	})
	return d, err
}

// errIncomplete makes check exit 1 after the findings are printed.
var errIncomplete = errors.New("the postmortem has error-level findings")

func runCheck(ctx context.Context, env *Env, args []string) error {
	fs, dsn := flags(env, "check")
	if err := parse(fs, args, 1); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("usage: hindsight check REF (%v)", err)
	}
	d, err := loadDetail(ctx, *dsn, fs.Arg(0))
	if err != nil {
		return err
	}
	findings := postmortem.Check(d)
	for _, f := range findings {
		fmt.Fprintf(env.Stdout, "%-7s %-24s %s\n", f.Severity, f.Code, f.Message)
	}
	if postmortem.HasErrors(findings) {
		return errIncomplete
	}
	if len(findings) == 0 {
		fmt.Fprintf(env.Stdout, "%s: the postmortem is complete\n", d.Ref)
	}
	return nil
}
