package postmortem

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"hindsight/internal/incident"
)

// A timeline table of 80,000 columns, under the web's 1 MiB limit, costs
// memory in proportion to its size: the columns joined to an entry's text
// once took memory and time quadratic in their number (7 s). Bytes allocated, unlike time, do not depend on the machine's load.
func TestWideTableImportsInLinearTime(t *testing.T) {
	cols := 80000
	doc := "# T\n\n## Timeline\n\n| Time | Event " + strings.Repeat("|a", cols) + "|\n|-|-" + strings.Repeat("|-", cols) +
		"|\n|10:00|x" + strings.Repeat("|x", cols) + "|\n"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := Import([]byte(doc), importNow)
	runtime.ReadMemStats(&after)
	// The row becomes one entry with its columns, longer than an entry
	// may be: refused, naming its line.
	if incident.ErrorField(err) != "events[0].text" || !strings.HasPrefix(incident.ErrorMessage(err), "line 7: text is 560001 characters long") {
		t.Fatalf("Import: %v, want the entry of the row refused as too long", err)
	}
	// About 200 MB, most of it goldmark's nodes for 160,000 cells.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
		t.Errorf("importing a %d-byte document allocated %d MB", len(doc), alloc>>20)
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
