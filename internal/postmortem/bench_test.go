package postmortem

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"hindsight/internal/incident"
)

// BenchmarkExport renders an incident with 5,000 highlighted timeline
// entries over four days.
func BenchmarkExport(b *testing.B) {
	d := richIncident()
	start := *d.StartedAt
	d.Events = make([]incident.Event, 5000)
	for i := range d.Events {
		d.Events[i] = incident.Event{ID: int64(i + 1), At: start.Add(time.Duration(i) * time.Minute),
			Kind: incident.KindNote, Text: fmt.Sprintf("Entry %d: shard %d rebalanced after the queue drained.", i, i%64),
			Source: incident.SourceManual, Highlight: true}
	}
	end := start.Add(5000 * time.Minute)
	d.ResolvedAt = &end
	r := newTestRenderer(b)
	for _, tmpl := range []string{"default", "sre"} {
		b.Run(tmpl, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Render(io.Discard, d, tmpl, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImport reads a postmortem of about 1 MiB: a long timeline in
// bullets and a table, action items, and sections it keeps as they are.
func BenchmarkImport(b *testing.B) {
	src := largeDocument(1 << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Import(src, importNow); err != nil {
			b.Fatal(err)
		}
	}
}

// largeDocument writes a postmortem of at least size bytes.
func largeDocument(size int) []byte {
	var sb strings.Builder
	sb.WriteString("---\ntitle: Regional storage outage\ndate: 2024-03-14\nseverity: SEV1\n---\n\n")
	sb.WriteString("## Issue Summary\n\n- **Duration:** The outage occurred from March 14, 2024, 10:00 PM to March 17, 2024, 6:00 AM (UTC).\n")
	sb.WriteString("- **Impact:** Writes to the EU region failed for most tenants.\n\n## Timeline\n\n")
	at := time.Date(2024, 3, 14, 22, 0, 0, 0, time.UTC)
	for i := 0; sb.Len() < size*6/10; i++ {
		at = at.Add(20 * time.Second)
		if i%500 == 0 {
			fmt.Fprintf(&sb, "\n### %s\n\n", at.Format("January 2, 2006"))
		}
		fmt.Fprintf(&sb, "- %s Storage node %d reported degraded writes; **operator** checked `node-%d` and moved on.\n", at.Format("15:04:05"), i%300, i)
		if i%200 == 0 {
			sb.WriteString("- Customer support collected more reports from affected tenants.\n")
		}
	}
	sb.WriteString("\n## Timeline of the recovery\n\n| Time (UTC) | Event | Who |\n| --- | --- | --- |\n")
	for i := 0; sb.Len() < size*8/10; i++ {
		at = at.Add(30 * time.Second)
		fmt.Fprintf(&sb, "| %s | Rebalanced shard %d onto healthy nodes. | ops |\n", at.Format("2006-01-02 15:04:05"), i)
	}
	sb.WriteString("\n## Action Items\n\n")
	for i := 0; sb.Len() < size*9/10; i++ {
		fmt.Fprintf(&sb, "- [ ] Harden storage node %d against slow disks (owner: team-%d; due: 2024-04-%02d)\n", i, i%7, 1+i%28)
	}
	sb.WriteString("\n## Appendix\n\n")
	for sb.Len() < size {
		sb.WriteString("The storage cluster keeps three replicas of every shard across two availability zones.\n\n")
	}
	return []byte(sb.String())
}

// The benchmark document is a fair one: it imports into a storable
// incident with thousands of entries and tasks.
func TestLargeDocument(t *testing.T) {
	src := largeDocument(1 << 20)
	d, _ := mustImport(t, src)
	if len(d.Events) < 5000 || len(d.Tasks) < 500 || !strings.Contains(d.Extra, "## Appendix") {
		t.Fatalf("%d events, %d tasks from %d bytes", len(d.Events), len(d.Tasks), len(src))
	}
	if d.StartedAt == nil || d.ResolvedAt == nil || d.ResolvedAt.Sub(*d.StartedAt) != 56*time.Hour {
		t.Errorf("started %v resolved %v", d.StartedAt, d.ResolvedAt)
	}
}
