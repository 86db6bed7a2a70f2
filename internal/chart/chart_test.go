package chart_test

import (
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"

	"hindsight/internal/chart"
)

// elements parses svg as XML, failing on malformed markup, and counts its
// elements by name.
func elements(t *testing.T, svg string) map[string]int {
	t.Helper()
	n := map[string]int{}
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n[se.Name.Local]++
			for _, a := range se.Attr {
				if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") {
					t.Errorf("attribute %s breaks the Content-Security-Policy", a.Name.Local)
				}
			}
		}
	}
}

func bars() chart.Chart {
	return chart.Chart{ID: "sev", Title: "Incidents <per> month", Kind: chart.StackedBars, Unit: "incidents",
		Labels: []string{"2024-01", "2024-02", "2024-03"},
		Series: []chart.Series{{Name: "SEV1", Values: []float64{1, 0, 2}}, {Name: "SEV2 & co", Values: []float64{3, 0, 1}}}}
}

func TestStackedBars(t *testing.T) {
	c := bars()
	svg := string(c.SVG())
	n := elements(t, svg)
	if n["script"] != 0 || n["style"] != 0 {
		t.Fatal("no script or style element may be used")
	}
	if n["pattern"] != 2 {
		t.Errorf("%d patterns, want one per series", n["pattern"])
	}
	// 4 non-zero segments, 2 legend swatches, 2 pattern backgrounds... count titled segments instead.
	for _, want := range []string{
		"<title>2024-01, SEV1: 1 incidents</title>", "<title>2024-01, SEV2 &amp; co: 3 incidents</title>",
		"<title>2024-03, SEV1: 2 incidents</title>", `fill="url(#sev-p0)"`, `fill="url(#sev-p1)"`,
		`<title id="sev-title">Incidents &lt;per&gt; month</title>`, `aria-labelledby="sev-title sev-desc"`, `role="img"`,
		">SEV2 &amp; co</text>",   // legend
		`fill="#111827">4</text>`, // total above January's bar
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %s", want)
		}
	}
	if strings.Contains(svg, "2024-02, SEV1") {
		t.Error("a zero segment is drawn")
	}
	// Largest stack 4: the axis goes to 5 in steps of 1.
	for _, tick := range []string{">0</text>", ">1</text>", ">3</text>", ">5</text>"} {
		if !strings.Contains(svg, tick) {
			t.Errorf("no axis label %s", tick)
		}
	}
}

func TestLines(t *testing.T) {
	nan := math.NaN()
	c := chart.Chart{ID: "mttr", Title: "MTTR", Kind: chart.Lines, Unit: "hours",
		Labels: []string{"a", "b", "c", "d", "e"},
		Series: []chart.Series{{Name: "MTTR", Values: []float64{2, 3, nan, 4, 5}}, {Name: "MTTD", Values: []float64{0.5, nan, nan, nan, 1}}}}
	svg := string(c.SVG())
	n := elements(t, svg)
	// MTTR: a-b and d-e; MTTD: no two neighbours, so no line at all.
	if n["polyline"] != 2 {
		t.Errorf("%d polylines, want 2: lines break at missing values", n["polyline"])
	}
	if got := strings.Count(svg, "<title>"); got != 4+2 {
		t.Errorf("%d point titles, want one per point", got)
	}
	if !strings.Contains(svg, `stroke-dasharray="8 4"`) || !strings.Contains(svg, "<circle") || !strings.Contains(svg, "<rect") {
		t.Error("the second series needs its own dash and marker shape")
	}
	if !strings.Contains(svg, "<title>d, MTTR: 4 hours</title>") {
		t.Error("point title missing")
	}
}

// Grid lines are labelled as finely as their step needs: an axis to 0.2
// in steps of 0.05 must not read 0, 0.1, 0.1, 0.2, 0.2.
func TestAxisLabelsDiffer(t *testing.T) {
	for _, tc := range []struct {
		max  float64
		want []string
	}{
		{0.17, []string{"0", "0.05", "0.1", "0.15", "0.2"}},
		{1.7, []string{"0", "0.5", "1", "1.5", "2"}},
		{0.9, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{33, []string{"0", "10", "20", "30", "40", "50"}},
	} {
		c := chart.Chart{ID: "r", Title: "Rate", Kind: chart.Lines, Unit: "share",
			Labels: []string{"a", "b"}, Series: []chart.Series{{Name: "r", Values: []float64{tc.max / 2, tc.max}}}}
		svg := string(c.SVG())
		var got []string
		for _, m := range axisLabel.FindAllStringSubmatch(svg, -1) {
			got = append(got, m[1])
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("largest value %v: axis labels %q, want %q", tc.max, got, tc.want)
		}
	}
}

// axisLabel matches the labels of the y axis, written at its left.
var axisLabel = regexp.MustCompile(`<text x="\d+" y="[0-9.]+" text-anchor="end" fill="#374151">([^<]*)</text>`)

func TestEmptyChart(t *testing.T) {
	c := chart.Chart{ID: "none", Title: "Nothing", Kind: chart.StackedBars, Unit: "incidents"}
	elements(t, string(c.SVG()))
	c.Kind = chart.Lines
	elements(t, string(c.SVG()))
}

func TestTable(t *testing.T) {
	c := bars()
	c.TableOnly = []chart.Series{{Name: "rate", Values: []float64{0.25, math.NaN(), 1}}}
	tb := c.Table()
	if strings.Join(tb.Header, "|") != "|SEV1|SEV2 & co|rate" || len(tb.Rows) != 3 {
		t.Fatalf("%+v", tb)
	}
	if strings.Join(tb.Rows[1], "|") != "2024-02|0|0|–" || strings.Join(tb.Rows[0], "|") != "2024-01|1|3|0.3" {
		t.Fatalf("rows %q", tb.Rows)
	}
	h := string(tb.HTML())
	elements(t, h)
	for _, want := range []string{"<caption>Incidents &lt;per&gt; month</caption>", `<th scope="col">SEV2 &amp; co</th>`, `<th scope="row">2024-01</th>`} {
		if !strings.Contains(h, want) {
			t.Errorf("table lacks %s:\n%s", want, h)
		}
	}
}
