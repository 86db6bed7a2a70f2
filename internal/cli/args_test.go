package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// run runs one command in-process and returns its stdout, stderr and exit
// code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb strings.Builder
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(string) string { return "" }}
	code := Main(context.Background(), env, args)
	return out.String(), errb.String(), code
}

// The usage lines and DESIGN.md write the flags after the argument
// ("hindsight export REF [--template NAME]"); a user who types them that
// way must not be told their command is wrong.
func TestFlagsAfterArgument(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	doc := filepath.Join("..", "..", "..", "shared", "fixtures", "postmortems", "api-cache-outage.md")
	if out, errs, code := run(t, "import", "--db", db, doc); code != 0 || strings.TrimSpace(out) != "INC-1" {
		t.Fatalf("import: code %d, stdout %q, stderr %q", code, out, errs)
	}
	t.Run("ExportTemplateAfterRef", func(t *testing.T) {
		out, errs, code := run(t, "export", "INC-1", "--template", "sre", "--db", db)
		if code != 0 || !strings.Contains(out, "## Action Items") {
			t.Errorf("code %d, stderr %q", code, errs)
		}
	})
	t.Run("ImportDBAfterFile", func(t *testing.T) {
		out, errs, code := run(t, "import", doc, "--db", db)
		if code != 0 || strings.TrimSpace(out) != "INC-2" {
			t.Errorf("code %d, stdout %q, stderr %q", code, out, errs)
		}
	})
	// A second argument is still refused, however the flags are placed,
	// and the user is told which arguments were too many.
	t.Run("ErrTooManyArguments", func(t *testing.T) {
		_, errs, code := run(t, "check", "INC-1", "--db", db, "INC-2")
		if code != 2 || !strings.Contains(errs, "usage: hindsight check REF") || !strings.Contains(errs, "got 2: INC-1 INC-2") {
			t.Errorf("code %d, stderr %q", code, errs)
		}
	})
	// After "--" nothing is a flag, so a file whose name starts with a
	// dash can still be imported: here it does not exist, which is a
	// failure to read it (exit 1), not a usage error (exit 2).
	t.Run("DoubleDashEndsFlags", func(t *testing.T) {
		_, errs, code := run(t, "import", "--db", db, "--", "--template")
		if code != 1 || !strings.Contains(errs, "--template") {
			t.Errorf("code %d, stderr %q", code, errs)
		}
	})
}

// -h asks for help: every command prints its flags and exits 0, so that
// scripts and users do not take the help for a failure.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"migrate", "-h"}, {"serve", "-h"}, {"import", "-h"}, {"export", "-h"},
		{"check", "-h"}, {"backup", "-h"}, {"token", "create", "-h"}, {"user", "create", "-h"},
		{"export", "INC-1", "-h"},
	} {
		_, errs, code := run(t, args...)
		if code != 0 || !strings.Contains(errs, "-db") {
			t.Errorf("%s: exit %d, stderr %q", strings.Join(args, " "), code, strings.TrimSpace(errs))
		}
	}
}
