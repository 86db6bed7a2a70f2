package postmortem

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
)

// A timeline table of 80,000 columns, under the web's 1 MiB limit, imports
// in well under a second: the columns joined to an entry's text once took
// time quadratic in their number, 7 s here.
func TestWideTableImportsInLinearTime(t *testing.T) {
	cols := 80000
	doc := "# T\n\n## Timeline\n\n| Time | Event " + strings.Repeat("|a", cols) + "|\n|-|-" + strings.Repeat("|-", cols) +
		"|\n|10:00|x" + strings.Repeat("|x", cols) + "|\n"
	start := time.Now()
	d, _, err := Import([]byte(doc), importNow)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 1 || !strings.HasSuffix(d.Events[0].Text, "(a: x)") {
		t.Fatalf("the row did not become one entry with its columns: %d entries", len(d.Events))
	}
	if took > 2*time.Second {
		t.Errorf("importing a %d-byte document took %v", len(doc), took)
	}
}

// More text than an incident keeps outside its fields is refused by the
// import, saying where it stands, rather than accepted and then refused by
// the store as a field named "extra" the author never wrote.
func TestImportRefusesMoreExtraThanKept(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Big\n\n## Appendix\n\n")
	for b.Len() < 1200*1024 {
		b.WriteString("Line of the raw log excerpt the author pasted in for reference.\n")
	}
	_, _, err := Import([]byte(b.String()), importNow)
	var ie *incident.Error
	if !errors.As(err, &ie) || ie.Code != incident.ETOOLARGE {
		t.Fatalf("Import: %v, want a %s error", err, incident.ETOOLARGE)
	}
	if !strings.Contains(ie.Message, `under "Appendix"`) {
		t.Errorf("the error does not say where the text stands: %s", ie.Message)
	}

	// Just under the limit, the store takes what the import returns.
	small := strings.Replace(b.String(), "Line of", "L", -1)[:incident.MaxExtraLen-1000]
	d, _, err := Import([]byte(small), importNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := validDetail(d); err != nil {
		t.Errorf("the store refuses what the import accepted: %v", err)
	}
}
