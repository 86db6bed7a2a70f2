// Package chart draws small charts as SVG on the server, for pages that
// must work without JavaScript and under a strict Content-Security-Policy:
// no script, no style element or attribute, only presentation attributes.
//
// Every chart can be read without colour: each series has its own fill
// pattern (bars) or dash and marker shape (lines), named in a legend. Each
// bar segment and point carries a <title> with its number, which browsers
// show on hover, and Table gives the same numbers for a table beside the
// chart (and for screen readers).
package chart

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Kind is the way a chart draws its series.
type Kind int

const (
	// StackedBars stacks the series' values in one bar per label.
	StackedBars Kind = iota
	// Lines draws one line per series, broken where a value is missing.
	Lines
)

// Series is one named row of values, one per label; NaN marks a value
// that is missing (no incident that month had both milestones).
type Series struct {
	Name   string
	Values []float64
}

// Chart is the data of one chart and how to label it.
type Chart struct {
	// ID is unique on the page: the SVG's pattern and title ids start with it.
	ID     string
	Title  string
	Kind   Kind
	Labels []string // along the x axis, e.g. months
	Series []Series
	// TableOnly series appear in the table but are not drawn, such as a
	// rate beside the counts it is computed from.
	TableOnly []Series
	// Unit names what the y axis counts, e.g. "incidents" or "hours".
	Unit string
	// Format writes a value; default: up to one decimal.
	Format func(float64) string
}

// Size of the drawing, in SVG user units; the SVG scales to its container.
const (
	width        = 640
	height       = 320
	marginLeft   = 52
	marginRight  = 16
	marginTop    = 16
	marginBottom = 84 // x labels and the legend
	plotW        = width - marginLeft - marginRight
	plotH        = height - marginTop - marginBottom
)

// palette pairs each series with a colour and, for readers who cannot tell
// the colours apart, a pattern (bars) and a dash and marker (lines).
var palette = []struct {
	color, dash, marker string
}{
	{"#1b4f8a", "", "circle"},
	{"#c2410c", "8 4", "square"},
	{"#047857", "2 3", "triangle"},
	{"#6d28d9", "10 3 2 3", "diamond"},
	{"#4b5563", "4 2", "cross"},
	{"#b45309", "1 2", "circle"},
}

func (c *Chart) format(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if c.Format != nil {
		return c.Format(v)
	}
	return FormatNumber(v)
}

// FormatNumber writes v with at most one decimal, and none when it is whole.
func FormatNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// SVG draws the chart.
func (c *Chart) SVG() template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc" font-family="sans-serif" font-size="11">`,
		width, height, esc(c.ID), esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, esc(c.ID), esc(c.Title))
	fmt.Fprintf(&b, `<desc id="%s-desc">%s. The numbers are in the table beside the chart.</desc>`, esc(c.ID), esc(c.describe()))
	c.defs(&b)
	top := c.axisMax()
	c.grid(&b, top)
	switch c.Kind {
	case Lines:
		c.lines(&b, top)
	default:
		c.bars(&b, top)
	}
	c.xLabels(&b)
	c.legend(&b)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text in it went through esc
}

func (c *Chart) describe() string {
	names := make([]string, len(c.Series))
	for i, s := range c.Series {
		names[i] = s.Name
	}
	kind := "Stacked bars"
	if c.Kind == Lines {
		kind = "Lines"
	}
	span := ""
	if n := len(c.Labels); n > 0 {
		span = fmt.Sprintf(" from %s to %s", c.Labels[0], c.Labels[n-1])
	}
	return fmt.Sprintf("%s of %s (%s)%s", kind, strings.Join(names, ", "), c.Unit, span)
}

func (c *Chart) patternID(i int) string { return fmt.Sprintf("%s-p%d", c.ID, i) }

// defs defines one fill pattern per series: solid, diagonal lines, dots,
// cross-hatch, horizontal lines, vertical lines.
func (c *Chart) defs(b *strings.Builder) {
	if c.Kind != StackedBars {
		return
	}
	b.WriteString(`<defs>`)
	for i := range c.Series {
		p := palette[i%len(palette)]
		id := template.HTMLEscapeString(c.patternID(i))
		fmt.Fprintf(b, `<pattern id="%s" width="8" height="8" patternUnits="userSpaceOnUse">`, id)
		switch i % len(palette) {
		case 0:
			fmt.Fprintf(b, `<rect width="8" height="8" fill="%s"/>`, p.color)
		case 1:
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#fff"/><path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="%s" stroke-width="2.5"/>`, p.color)
		case 2:
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#fff"/><circle cx="4" cy="4" r="2.2" fill="%s"/>`, p.color)
		case 3:
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#fff"/><path d="M0,0 l8,8 M8,0 l-8,8" stroke="%s" stroke-width="1.5"/>`, p.color)
		case 4:
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#fff"/><path d="M0,2 h8 M0,6 h8" stroke="%s" stroke-width="2"/>`, p.color)
		default:
			fmt.Fprintf(b, `<rect width="8" height="8" fill="#fff"/><path d="M2,0 v8 M6,0 v8" stroke="%s" stroke-width="2"/>`, p.color)
		}
		b.WriteString(`</pattern>`)
	}
	b.WriteString(`</defs>`)
}

// axisMax is the top of the y axis: the largest value (or stack), rounded
// up to 1, 2 or 5 times a power of ten.
func (c *Chart) axisMax() float64 {
	top := 0.0
	for j := range c.Labels {
		sum := 0.0
		for _, s := range c.Series {
			v := value(s, j)
			if math.IsNaN(v) {
				continue
			}
			if c.Kind == StackedBars {
				sum += v
			} else {
				sum = math.Max(sum, v)
			}
		}
		top = math.Max(top, sum)
	}
	if top <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(top)))
	for _, m := range []float64{1, 2, 5, 10} {
		if top <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func value(s Series, j int) float64 {
	if j >= len(s.Values) {
		return math.NaN()
	}
	return s.Values[j]
}

func y(v, top float64) float64 { return marginTop + plotH - v/top*plotH }

func (c *Chart) grid(b *strings.Builder, top float64) {
	// Steps of 1, 2, 2.5 or 5 times a power of ten: the axis top is 1, 2
	// or 5 times one, and 2 divides best in four.
	ticks := 5
	if lead := top / math.Pow(10, math.Floor(math.Log10(top))); math.Abs(lead-2) < 1e-9 {
		ticks = 4
	}
	step := top / float64(ticks)
	for i := 0; i <= ticks; i++ {
		v := step * float64(i)
		yy := y(v, top)
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d1d5db" stroke-width="1"/>`, marginLeft, width-marginRight, yy, yy)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" fill="#374151">%s</text>`, marginLeft-6, yy+4, template.HTMLEscapeString(c.tickLabel(v, step)))
	}
	fmt.Fprintf(b, `<text x="12" y="%d" transform="rotate(-90 12 %d)" text-anchor="middle" fill="#374151">%s</text>`,
		marginTop+plotH/2, marginTop+plotH/2, template.HTMLEscapeString(c.Unit))
}

// tickLabel writes the value of a grid line with as many decimals as the
// step between lines needs, so that no two lines read the same: 0.05,
// 0.1, 0.15, where the one decimal of values would give 0.1 twice.
func (c *Chart) tickLabel(v, step float64) string {
	if c.Format != nil {
		return c.Format(v)
	}
	p := 1.0
	for range 6 {
		if math.Abs(step*p-math.Round(step*p)) < 1e-9*p {
			break
		}
		p *= 10
	}
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}

// slot returns the x of the centre of label j and the width of its slot.
func (c *Chart) slot(j int) (float64, float64) {
	w := float64(plotW) / float64(max(1, len(c.Labels)))
	return marginLeft + w*(float64(j)+0.5), w
}

func (c *Chart) bars(b *strings.Builder, top float64) {
	esc := template.HTMLEscapeString
	for j, label := range c.Labels {
		cx, w := c.slot(j)
		bw := math.Max(2, w*0.7)
		base := 0.0
		for i, s := range c.Series {
			v := value(s, j)
			if math.IsNaN(v) || v <= 0 {
				continue
			}
			y0, y1 := y(base, top), y(base+v, top)
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#%s)" stroke="#111827" stroke-width="0.8"><title>%s, %s: %s %s</title></rect>`,
				cx-bw/2, y1, bw, y0-y1, esc(c.patternID(i)), esc(label), esc(s.Name), esc(c.format(v)), esc(c.Unit))
			base += v
		}
		if base > 0 && len(c.Labels) <= 24 {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#111827">%s</text>`, cx, y(base, top)-3, esc(c.format(base)))
		}
	}
}

func (c *Chart) lines(b *strings.Builder, top float64) {
	esc := template.HTMLEscapeString
	for i, s := range c.Series {
		p := palette[i%len(palette)]
		dash := ""
		if p.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, p.dash)
		}
		// One polyline per run of values without a gap.
		var run []string
		flush := func() {
			if len(run) > 1 {
				fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, strings.Join(run, " "), p.color, dash)
			}
			run = run[:0]
		}
		for j := range c.Labels {
			v := value(s, j)
			if math.IsNaN(v) {
				flush()
				continue
			}
			cx, _ := c.slot(j)
			run = append(run, fmt.Sprintf("%.1f,%.1f", cx, y(v, top)))
		}
		flush()
		for j, label := range c.Labels {
			v := value(s, j)
			if math.IsNaN(v) {
				continue
			}
			cx, _ := c.slot(j)
			title := fmt.Sprintf("<title>%s, %s: %s %s</title>", esc(label), esc(s.Name), esc(c.format(v)), esc(c.Unit))
			marker(b, p.marker, p.color, cx, y(v, top), title)
		}
	}
}

// marker draws a point of a line in the series' own shape.
func marker(b *strings.Builder, shape, color string, x, y float64, title string) {
	switch shape {
	case "square":
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="8" height="8" fill="%s">%s</rect>`, x-4, y-4, color, title)
	case "triangle":
		fmt.Fprintf(b, `<path d="M%.1f,%.1f l5,9 h-10 z" fill="%s">%s</path>`, x, y-5, color, title)
	case "diamond":
		fmt.Fprintf(b, `<path d="M%.1f,%.1f l5,5 l-5,5 l-5,-5 z" fill="%s">%s</path>`, x, y-5, color, title)
	case "cross":
		fmt.Fprintf(b, `<path d="M%.1f,%.1f l8,8 m0,-8 l-8,8" stroke="%s" stroke-width="2.5">%s</path>`, x-4, y-4, color, title)
	default:
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4.5" fill="%s">%s</circle>`, x, y, color, title)
	}
}

// xLabels writes the labels under the axis, thinned out when there are
// too many to fit.
func (c *Chart) xLabels(b *strings.Builder) {
	every := max(1, (len(c.Labels)+11)/12)
	base := marginTop + plotH
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#111827" stroke-width="1"/>`, marginLeft, width-marginRight, base, base)
	for j, label := range c.Labels {
		if j%every != 0 {
			continue
		}
		cx, _ := c.slot(j)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#374151">%s</text>`, cx, base+16, template.HTMLEscapeString(label))
	}
}

// legend names each series beside a swatch of its pattern, or a sample of
// its line with its marker.
func (c *Chart) legend(b *strings.Builder) {
	esc := template.HTMLEscapeString
	x, yy := float64(marginLeft), float64(height-40)
	for i, s := range c.Series {
		p := palette[i%len(palette)]
		w := 28 + 7*float64(len([]rune(s.Name)))
		if x+w > width-marginRight {
			x, yy = marginLeft, yy+20
		}
		if c.Kind == Lines {
			dash := ""
			if p.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, p.dash)
			}
			fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`, x, x+20, yy, yy, p.color, dash)
			marker(b, p.marker, p.color, x+10, yy, "")
		} else {
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="16" height="12" fill="url(#%s)" stroke="#111827" stroke-width="0.8"/>`, x, yy-6, esc(c.patternID(i)))
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="#111827">%s</text>`, x+24, yy+4, esc(s.Name))
		x += w + 12
	}
}

// Table holds a chart's numbers for a table beside it.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// Table returns the chart's numbers: one row per label, one column per
// series, the table-only series last.
func (c *Chart) Table() Table {
	all := append(append([]Series{}, c.Series...), c.TableOnly...)
	t := Table{Caption: c.Title, Header: []string{""}}
	for _, s := range all {
		t.Header = append(t.Header, s.Name)
	}
	for j, label := range c.Labels {
		row := []string{label}
		for _, s := range all {
			row = append(row, c.format(value(s, j)))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// HTML writes the table as an HTML table with a caption and header cells.
func (t Table) HTML() template.HTML {
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<table class="chart-data"><caption>%s</caption><thead><tr>`, esc(t.Caption))
	for i, h := range t.Header {
		if i == 0 {
			fmt.Fprintf(&b, `<td>%s</td>`, esc(h))
			continue
		}
		fmt.Fprintf(&b, `<th scope="col">%s</th>`, esc(h))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for _, r := range t.Rows {
		b.WriteString(`<tr>`)
		for i, cell := range r {
			if i == 0 {
				fmt.Fprintf(&b, `<th scope="row">%s</th>`, esc(cell))
				continue
			}
			fmt.Fprintf(&b, `<td>%s</td>`, esc(cell))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table>`)
	return template.HTML(b.String())
}
