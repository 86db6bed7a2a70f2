package postmortem

import (
	"bytes"
	"strings"
)

// A field of front matter, in the order written.
type fmField struct {
	key, value string
	line       int
}

// splitFrontMatter cuts a leading YAML (---) or TOML (+++) block off src.
// It returns its fields, the rest of the document and the line the rest
// starts on. Without a closing delimiter there is no front matter: a
// leading "---" is then a thematic break.
func splitFrontMatter(src []byte) ([]fmField, []byte, int) {
	var delim string
	switch {
	case bytes.HasPrefix(src, []byte("---")):
		delim = "---"
	case bytes.HasPrefix(src, []byte("+++")):
		delim = "+++"
	default:
		return nil, src, 1
	}
	lines := strings.SplitAfter(string(src), "\n")
	if strings.TrimSpace(lines[0]) != delim {
		return nil, src, 1
	}
	off := len(lines[0])
	for i := 1; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == delim || (delim == "---" && l == "...") {
			body := src[off+len(lines[i]):]
			if delim == "+++" {
				return parseTOML(lines[1:i]), body, i + 2
			}
			return parseYAML(lines[1:i]), body, i + 2
		}
		off += len(lines[i])
	}
	return nil, src, 1
}

// parseYAML reads the flat YAML people put in front matter: "key: value",
// quoted values, "[a, b]" lists, "- item" lists and "|" or ">" blocks.
// Nested maps are kept as their text.
func parseYAML(lines []string) []fmField {
	var out []fmField
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r\n")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := fmField{key: strings.TrimSpace(key), line: i + 2}
		value = strings.TrimSpace(value)
		// What is indented below the key belongs to it.
		var block []string
		for i+1 < len(lines) {
			next := strings.TrimRight(lines[i+1], "\r\n")
			if next != "" && next[0] != ' ' && next[0] != '\t' {
				break
			}
			block = append(block, next)
			i++
		}
		switch {
		case value == "|" || value == "|-" || value == ">" || value == ">-":
			sep := "\n"
			if value[0] == '>' {
				sep = " "
			}
			f.value = strings.TrimSpace(strings.Join(dedentLines(block), sep))
		case value == "" && len(block) > 0:
			var items []string
			for _, b := range block {
				b = strings.TrimSpace(b)
				if item, ok := strings.CutPrefix(b, "- "); ok {
					items = append(items, unquote(item))
				} else if b != "" {
					items = append(items, b)
				}
			}
			f.value = strings.Join(items, ", ")
		default:
			f.value = yamlScalar(value)
		}
		out = append(out, f)
	}
	return out
}

func dedentLines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimSpace(l)
	}
	return out
}

// yamlScalar reads a flow value: "quoted", 'quoted', [a, b] or plain with
// an optional # comment.
func yamlScalar(v string) string {
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		parts := strings.Split(v[1:len(v)-1], ",")
		for i, p := range parts {
			parts[i] = unquote(strings.TrimSpace(p))
		}
		return strings.Join(parts, ", ")
	}
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		return unquote(v)
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		inner := v[1 : len(v)-1]
		if v[0] == '"' {
			inner = strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\n`, "\n", `\t`, "\t").Replace(inner)
		} else {
			inner = strings.ReplaceAll(inner, "''", "'")
		}
		return inner
	}
	return v
}

// parseTOML reads top-level "key = value" lines; keys of a [table] are
// named "table.key".
func parseTOML(lines []string) []fmField {
	var out []fmField
	table := ""
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			table = strings.Trim(line, "[] ") + "."
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out = append(out, fmField{key: table + unquote(strings.TrimSpace(key)), value: yamlScalar(strings.TrimSpace(value)), line: i + 2})
	}
	return out
}

// frontMatter applies the known fields and keeps the others, as a list
// under the title.
func (im *importer) frontMatter(fields []fmField) {
	var kept []string
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		key := strings.ToLower(strings.NewReplacer("_", " ", "-", " ").Replace(f.key))
		switch key {
		case "title", "name":
			im.titleFromFrontMatter = true
			im.setTitle(f.value, f.line)
			continue
		case "timezone", "tz", "time zone", "zone":
			if loc, err := LoadLocation(f.value); err == nil {
				im.docZone = loc
				continue
			}
		}
		if l := classifyLabel(key); l != labelNone && im.applyLabel(l, f.value, f.line, meaningPreamble) {
			continue
		}
		kept = append(kept, listItem("- **"+f.key+":**", f.value))
	}
	if len(kept) > 0 {
		im.keep("", strings.Join(kept, "\n"))
	}
}
