package postmortem

import (
	"bytes"
	"html"
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// preview renders Markdown for the browser: GitHub Flavored Markdown, and
// no raw HTML (goldmark's default replaces it with a comment). Table
// alignment is written as an align attribute, which the policy allows,
// rather than as a style, which it does not.
var preview = goldmark.New(goldmark.WithExtensions(
	extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
	extension.Strikethrough, extension.Linkify, extension.TaskList,
))

// previewPolicy is what the preview may contain: bluemonday's policy for
// user content, plus the disabled checkboxes of task lists. The raw HTML
// goldmark drops is the first guard; this is the second, for whatever a
// renderer bug or a crafted link lets through.
var previewPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowElements("input")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	return p
})

// RenderHTML renders a postmortem's Markdown as the HTML the browser pages
// show: GitHub Flavored Markdown, raw HTML left out, sanitized.
func RenderHTML(markdown []byte) ([]byte, error) {
	if tooCostly(markdown) != "" {
		// Too slow for the parser: shown as the text it is.
		return []byte("<pre>" + html.EscapeString(string(markdown)) + "</pre>\n"), nil
	}
	var buf bytes.Buffer
	if err := preview.Convert(markdown, &buf); err != nil {
		return nil, err
	}
	return previewPolicy().SanitizeBytes(buf.Bytes()), nil
}
