package incident_test

import (
	"maps"
	"testing"
	"time"

	"hindsight/internal/incident"
)

// FuzzParseDuePolicy: the task due policy (serve --task-due) is read from
// a flag or the environment. Whatever it says, it is read or refused with
// a 400-kind error; a policy read is printed (in serve's log, and as the
// flag's default) in a form that reads back to the same policy.
func FuzzParseDuePolicy(f *testing.F) {
	for _, s := range []string{"", "SEV1=14d,SEV2=30d,SEV3=60d,SEV4=90d", "SEV1=7d,SEV2=2w,SEV4=none",
		"sev3 = 36h", "SEV1=0", "SEV2=1.5h", "SEV1=3650d", "SEV1=+5d", "SEV1=-0w", "SEV9=1d", "SEV1", "=,=",
		"SEV1=87600h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := incident.ParseDuePolicy(s)
		if err != nil {
			if incident.ErrorCode(err) != incident.EINVALID {
				t.Fatalf("error of code %q: %v", incident.ErrorCode(err), err)
			}
			return
		}
		for sev, d := range p {
			if !sev.Valid() || d < 0 {
				t.Fatalf("policy %v from %q", p, s)
			}
			if due := p.DefaultDue(sev, time.Date(2024, 1, 25, 10, 0, 0, 0, time.UTC)); due != nil && due.Year() > 2100 {
				t.Fatalf("%s: due in %d", sev, due.Year())
			}
		}
		again, err := incident.ParseDuePolicy(p.String())
		if err != nil || !maps.Equal(again, p) {
			t.Fatalf("%q read as %v, printed as %q, read back as %v, %v", s, p, p.String(), again, err)
		}
	})
}
