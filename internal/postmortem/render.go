package postmortem

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"hindsight/internal/incident"
)

// DefaultTemplate is the template used when none is named: the layout of
// the example postmortem in DESIGN.md section 6.
const DefaultTemplate = "default"

// builtinDir holds the built-in templates in the embedded files.
const builtinDir = "templates/postmortem"

// templateExt ends the name of every postmortem template file.
const templateExt = ".md.tmpl"

// Renderer renders postmortems with the built-in templates and the user's.
// It is safe for concurrent use.
type Renderer struct {
	templates map[string]*template.Template
}

// TemplateError is a template that cannot be used, with the file and line
// at fault.
type TemplateError struct {
	File string
	Line int // 0 when the error names none
	Err  error
}

func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, templateMessage(e.Err))
	}
	return fmt.Sprintf("%s: %s", e.File, templateMessage(e.Err))
}

func (e *TemplateError) Unwrap() error { return e.Err }

// text/template reports "template: NAME:LINE:COL: MESSAGE"; the file and
// line are pulled out so that the message leads with the path a user can
// open.
var templateErrLine = regexp.MustCompile(`^template: [^:]*:(\d+):(?:\d+:)? ?(.*)$`)

func templateMessage(err error) string {
	if m := templateErrLine.FindStringSubmatch(err.Error()); m != nil {
		return m[2]
	}
	return strings.TrimPrefix(err.Error(), "template: ")
}

func templateError(file string, err error) *TemplateError {
	te := &TemplateError{File: file, Err: err}
	if m := templateErrLine.FindStringSubmatch(err.Error()); m != nil {
		te.Line, _ = strconv.Atoi(m[1])
	}
	return te
}

// NewRenderer parses the built-in templates under templates/postmortem in
// fsys (hindsight.Files) and, when userDir is not empty, the *.md.tmpl
// files of that directory; a user template named like a built-in one
// replaces it. Every template is also executed once on a sample incident,
// so that a template that does not parse or that names a field Data does
// not have fails here, at start, with its file and line, and not on a
// request.
func NewRenderer(fsys fs.FS, userDir string) (*Renderer, error) {
	r := &Renderer{templates: map[string]*template.Template{}}
	names, err := fs.Glob(fsys, builtinDir+"/*"+templateExt)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no postmortem templates in %s of the embedded files", builtinDir)
	}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if err := r.add(name, strings.TrimSuffix(path.Base(name), templateExt), string(b)); err != nil {
			return nil, err
		}
	}
	if userDir != "" {
		files, err := filepath.Glob(filepath.Join(userDir, "*"+templateExt))
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(userDir); err != nil {
			return nil, fmt.Errorf("postmortem templates: %w", err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("postmortem templates: %w", err)
			}
			if err := r.add(file, strings.TrimSuffix(filepath.Base(file), templateExt), string(b)); err != nil {
				return nil, err
			}
		}
	}
	if r.templates[DefaultTemplate] == nil {
		return nil, fmt.Errorf("no %q postmortem template", DefaultTemplate)
	}
	return r, nil
}

func (r *Renderer) add(file, name, text string) error {
	t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return templateError(file, err)
	}
	if err := t.Execute(io.Discard, NewData(sampleIncident(), time.UTC)); err != nil {
		return templateError(file, err)
	}
	r.templates[name] = t
	return nil
}

// Names returns the names of the templates: DefaultTemplate first, for a
// form's select box, then the others sorted.
func (r *Renderer) Names() []string {
	names := make([]string, 0, len(r.templates))
	for n := range r.templates {
		if n != DefaultTemplate {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return append([]string{DefaultTemplate}, names...)
}

// Render writes the postmortem of d in Markdown with the template name
// ("" for DefaultTemplate), every time in loc (UTC when nil). An unknown
// template is an EINVALID error about the field "template". Nothing is
// written when rendering fails.
func (r *Renderer) Render(w io.Writer, d *incident.Detail, name string, loc *time.Location) error {
	if name == "" {
		name = DefaultTemplate
	}
	t, ok := r.templates[name]
	if !ok {
		return incident.FieldError(incident.EINVALID, "template", "unknown postmortem template %q: known are %s",
			name, strings.Join(r.Names(), ", "))
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, NewData(d, loc)); err != nil {
		var ee template.ExecError
		if errors.As(err, &ee) {
			return fmt.Errorf("postmortem template %s: %w", name, err)
		}
		return err
	}
	_, err := w.Write(tidy(buf.Bytes()))
	return err
}

// Markdown is Render into a byte slice, for callers that need the whole
// postmortem before answering (the HTML preview, a download).
func (r *Renderer) Markdown(d *incident.Detail, name string, loc *time.Location) ([]byte, error) {
	var buf bytes.Buffer
	if err := r.Render(&buf, d, name, loc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FileName is the name a downloaded postmortem is saved under:
// "INC-7-postmortem.md".
func FileName(d *incident.Detail) string {
	if d.Ref == "" {
		return "postmortem.md"
	}
	return d.Ref + "-postmortem.md"
}

// tidy gives the output the blank lines markdownlint asks for: templates
// may leave runs of blank lines where optional parts are empty, which are
// cut to one, outside fenced code blocks, whose lines stay as written.
func tidy(md []byte) []byte {
	lines := strings.Split(string(md), "\n")
	out := make([]string, 0, len(lines))
	fence := ""
	blank := true // drops blank lines at the start
	for _, line := range lines {
		trimmed := strings.TrimLeft(line, " ")
		if fence == "" {
			if f := fenceOf(trimmed); f != "" {
				fence = f
			}
		} else if strings.HasPrefix(trimmed, fence) && strings.TrimSpace(strings.TrimLeft(trimmed, fence[:1])) == "" {
			fence = ""
			out = append(out, line)
			blank = false
			continue
		}
		if fence == "" && strings.TrimSpace(line) == "" {
			if blank {
				continue
			}
			blank = true
			out = append(out, "")
			continue
		}
		blank = false
		out = append(out, line)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

// fenceOf returns the fence a line opens (``` or ~~~, three or more), or "".
func fenceOf(line string) string {
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(line) && line[n] == c {
			n++
		}
		if n >= 3 {
			return line[:n]
		}
	}
	return ""
}
