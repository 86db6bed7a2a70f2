package postmortem

import (
	"cmp"
	"net/url"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"

	"hindsight/internal/incident"
)

// actionsSection reads corrective and preventive actions from lists,
// checklists and tables. "Improvements" (a heading or a label) gives
// improvements, anything else tasks.
func (im *importer) actionsSection(sec *section) {
	for _, sub := range im.subsections(sec) {
		if sub.meaning != meaningActions {
			im.section(sub)
			continue
		}
		kind := incident.TaskTask
		if l := strings.ToLower(sub.title); strings.Contains(l, "improvement") || strings.Contains(l, "fixes") {
			kind = incident.TaskImprovement
		}
		for _, n := range sub.nodes {
			switch n := n.(type) {
			case *ast.List:
				im.taskList(n, sub, kind)
			case *east.Table:
				im.taskTable(n, sub, kind)
			default:
				im.keep(sub.heading, im.s.block(n))
			}
		}
	}
}

// taskList reads one task per item; an item labelled "Improvements/Fixes:"
// or "Tasks to Address the Issue:" gives its nested items that kind.
func (im *importer) taskList(list ast.Node, sec *section, kind incident.TaskKind) {
	var kept []string
	for item := list.FirstChild(); item != nil; item = item.NextSibling() {
		first := item.FirstChild()
		if !isTextBlock(first) {
			// A task that starts with a block of its own ("> 5% errors
			// must page", a table), below its marker.
			if first == nil || !im.addTask(im.s.blocks(first, nil), "", kind, nil, im.lineOf(item)) {
				kept = append(kept, im.s.block(item))
			}
			continue
		}
		if name, valueAt, ok := im.s.label(first); ok {
			if l := classifyLabel(name); l == labelImprovements || l == labelTasks {
				k := incident.TaskTask
				if l == labelImprovements {
					k = incident.TaskImprovement
				}
				if v := im.s.rawFrom(first, valueAt, " "); v != "" {
					im.addTask(v, "", k, nil, im.lineOf(item))
				}
				for c := first.NextSibling(); c != nil; c = c.NextSibling() {
					if c.Kind() == ast.KindList {
						im.taskList(c, sec, k)
					} else {
						im.keep(sec.heading, im.s.block(c))
					}
				}
				continue
			}
		}
		// A checklist item: its box says whether it is done.
		from := im.s.start(first)
		var status incident.TaskStatus
		if box, ok := first.FirstChild().(*east.TaskCheckBox); ok {
			status = incident.TaskOpen
			if box.IsChecked {
				status = incident.TaskDone
			}
			if next := box.NextSibling(); next != nil {
				from = next.Pos()
			}
		}
		title := unescapeBlockStart(im.s.rawFrom(first, from, " "))
		more := ""
		if c := first.NextSibling(); c != nil {
			more = im.s.blocks(c, nil)
		}
		if !im.addTask(title, more, kind, &status, im.lineOf(item)) {
			kept = append(kept, im.s.block(item))
		}
	}
	im.keep(sec.heading, strings.Join(kept, "\n"))
}

// addTask adds a task from the first paragraph of an item (its trailing
// "(owner: ...; due: ...)" read as fields) and the blocks after it.
func (im *importer) addTask(title, more string, kind incident.TaskKind, status *incident.TaskStatus, line int) bool {
	return im.addTaskWith(title, taskMeta{}, more, kind, status, line)
}

// addTaskWith is addTask with fields read elsewhere (a table's columns),
// which win over those of the title's trailing group.
func (im *importer) addTaskWith(title string, given taskMeta, more string, kind incident.TaskKind, status *incident.TaskStatus, line int) bool {
	title, meta := im.splitTaskMeta(title)
	meta.fill(given)
	if title == "" {
		return false
	}
	if more != "" {
		title += "\n\n" + more
	}
	t := incident.Task{Title: title, Kind: kind, Owner: meta.owner, Priority: meta.priority,
		Status: meta.status, ExternalURL: meta.link}
	if meta.kind != "" {
		t.Kind = meta.kind
	}
	if t.Status == "" && status != nil {
		t.Status = *status
	}
	if t.Status == "" {
		t.Status = incident.TaskOpen
	}
	im.d.Tasks = append(im.d.Tasks, t)
	im.taskLines = append(im.taskLines, line)
	if meta.due != nil {
		im.dues = append(im.dues, pendingDue{task: len(im.d.Tasks) - 1, st: *meta.due, line: line})
	}
	return true
}

// A pendingDue is a due date waiting for the document's year.
type pendingDue struct {
	task int
	st   stamp
	line int
}

// taskTable reads a table of action items: a title column (item, action,
// task, ...) and owner, due, status, priority, type and link columns.
// Other columns join the title as "(Header: value)".
func (im *importer) taskTable(t *east.Table, sec *section, kind incident.TaskKind) {
	header, rows := im.tableCells(t)
	const (
		other = iota
		title
		owner
		due
		status
		priority
		typ
		link
	)
	roles := make([]int, len(header))
	for i, h := range header {
		l := strings.ToLower(h)
		switch {
		case hasAnyWord(l, "owner", "owners", "assignee", "assigned", "who", "dri", "responsible"):
			roles[i] = owner
		case hasAnyWord(l, "due", "deadline", "eta", "target", "by"):
			roles[i] = due
		case hasAnyWord(l, "status", "state", "done", "complete", "completed"):
			roles[i] = status
		case hasAnyWord(l, "priority", "prio", "pri"):
			roles[i] = priority
		case hasAnyWord(l, "type", "kind", "category"):
			roles[i] = typ
		case hasAnyWord(l, "link", "ticket", "issue", "url", "jira", "tracking", "reference", "bug"):
			roles[i] = link
		case hasAnyWord(l, "item", "action", "task", "title", "description", "what", "improvement", "follow", "todo"):
			if indexOf(roles, title) < 0 {
				roles[i] = title
			}
		}
	}
	if indexOf(roles, title) < 0 {
		for i, r := range roles {
			if r == other {
				roles[i] = title
				break
			}
		}
	}
	tc := indexOf(roles, title)
	if tc < 0 {
		im.keep(sec.heading, im.s.block(t))
		return
	}
	var kept []string
	for _, row := range rows {
		text := strings.TrimSpace(row.cells[tc])
		var extra []string
		var st *incident.TaskStatus
		k := kind
		var meta taskMeta
		for i, cell := range row.cells {
			cell = strings.TrimSpace(cell)
			if cell == "" || i == tc {
				continue
			}
			plain := plainText(cell)
			read := true
			switch roles[i] {
			case owner:
				read = meta.read("owner: " + plain)
			case due:
				read = meta.read("due: " + plain)
			case priority:
				read = meta.read("priority: " + plain)
			case status:
				var s incident.TaskStatus
				if s, read = parseTaskStatus(plain); read {
					st = &s
				}
			case typ:
				var tk incident.TaskKind
				if tk, read = parseTaskKind(plain); read {
					k = tk
				}
			case link:
				read = meta.read("link: " + cell)
			default:
				extra = append(extra, header[i]+": "+cell)
				continue
			}
			if !read {
				// Kept where a reader sees it, not in another field.
				extra = append(extra, header[i]+": "+cell)
				if text != "" {
					im.warn(row.line, "%s %q is not one Hindsight reads: kept in the task's title", header[i], plain)
				}
			}
		}
		var b strings.Builder // a row may have thousands of columns
		b.WriteString(text)
		for _, e := range extra {
			b.WriteString(" (" + e + ")")
		}
		if text == "" || !im.addTaskWith(b.String(), meta, "", k, st, row.line) {
			kept = append(kept, row.md)
		}
	}
	if len(kept) > 0 {
		im.keep(sec.heading, im.tableHead(t)+"\n"+strings.Join(kept, "\n"))
	}
}

// taskMeta is what a trailing "(owner: ana; due: 2024-02-01; status:
// done)" says about a task.
type taskMeta struct {
	owner    string
	due      *stamp
	status   incident.TaskStatus
	priority incident.Priority
	link     string
	kind     incident.TaskKind
	ok       bool // every part of the group was a field
}

// splitTaskMeta cuts a trailing group of task fields off a title: "(@ana,
// due 2024-02-01)", "_(owner: ana; status: done)_". A group that holds
// anything else is part of the title.
func (im *importer) splitTaskMeta(title string) (string, taskMeta) {
	title = strings.TrimSpace(title)
	var meta taskMeta
	body, wrap := title, ""
	for _, w := range []string{"_", "*"} {
		if strings.HasSuffix(body, ")"+w) {
			body, wrap = strings.TrimSuffix(body, w), w
			break
		}
	}
	if !strings.HasSuffix(body, ")") {
		return title, meta
	}
	depth, open := 0, -1
	for i := len(body) - 1; i >= 0; i-- {
		switch body[i] {
		case ')':
			depth++
		case '(':
			depth--
		}
		if depth == 0 {
			open = i
			break
		}
	}
	if open < 0 || (wrap != "" && (open == 0 || body[open-1:open] != wrap)) {
		return title, meta
	}
	// Split at ";" as Hindsight writes the group, so that an owner or a
	// link may hold a comma; a group without one at "," first ("(owner:
	// bob, due 2024-03-01)": not an owner "bob, due 2024-03-01"), then
	// whole ("(owner: Ana, Bob)").
	inner := body[open+1 : len(body)-1]
	seps := []string{";", ","}
	if !strings.Contains(inner, ";") {
		seps = []string{",", ";"}
	}
	if meta = readTaskMeta(inner, seps[0]); !meta.ok {
		if meta = readTaskMeta(inner, seps[1]); !meta.ok {
			return title, taskMeta{}
		}
	}
	cut := open
	if wrap != "" {
		cut--
	}
	return strings.TrimSpace(body[:cut]), meta
}

// readTaskMeta reads a group of task fields separated by sep; ok is set
// when every part is a field.
func readTaskMeta(inner, sep string) taskMeta {
	var meta taskMeta
	for _, part := range strings.Split(inner, sep) {
		if !meta.read(strings.TrimSpace(part)) {
			return taskMeta{}
		}
	}
	meta.ok = true
	return meta
}

// fill sets the fields that other sets.
func (m *taskMeta) fill(other taskMeta) {
	m.owner = cmp.Or(other.owner, m.owner)
	if other.due != nil {
		m.due = other.due
	}
	m.status = cmp.Or(other.status, m.status)
	m.priority = cmp.Or(other.priority, m.priority)
	m.link = cmp.Or(other.link, m.link)
	m.kind = cmp.Or(other.kind, m.kind)
}

// read applies one part of a task's field group; it reports false for a
// part that is not a task field.
func (m *taskMeta) read(part string) bool {
	if part == "" {
		return false
	}
	if strings.HasPrefix(part, "@") && !strings.ContainsAny(part, " \t") && len(part) > 1 {
		m.owner = part[1:]
		return true
	}
	key, value, ok := strings.Cut(part, ":")
	if !ok {
		// "due 2024-02-01", "by Feb 1", "P1", "done"
		if k, v, ok := strings.Cut(part, " "); ok && (strings.EqualFold(k, "due") || strings.EqualFold(k, "by")) {
			key, value = "due", v
		} else if p, ok := parsePriority(part); ok {
			m.priority = p
			return true
		} else if s, ok := parseTaskStatus(part); ok {
			m.status = s
			return true
		} else {
			return false
		}
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(key)) {
	case "owner", "owners", "assignee", "assigned to", "who", "dri":
		if len(value) > incident.MaxNameLen {
			return false
		}
		m.owner = strings.TrimPrefix(value, "@")
	case "due", "due date", "deadline", "by", "eta":
		for _, st := range findStamps(value) {
			if st.hasDate {
				m.due = &st
				return true
			}
		}
		return false
	case "status", "state":
		s, ok := parseTaskStatus(value)
		if !ok {
			return false
		}
		m.status = s
	case "priority", "prio":
		p, ok := parsePriority(value)
		if !ok {
			return false
		}
		m.priority = p
	case "link", "ticket", "issue", "url":
		u := linkIn(value)
		if u == "" {
			return false
		}
		m.link = u
	case "type", "kind":
		k, ok := parseTaskKind(value)
		if !ok {
			return false
		}
		m.kind = k
	default:
		return false
	}
	return true
}

func parseTaskStatus(v string) (incident.TaskStatus, bool) {
	v = strings.Trim(strings.TrimSpace(v), "*_`")
	// "✅ Done": a check mark before the word says nothing more.
	if rest := strings.TrimLeft(v, "✅✔✓☑\ufe0f "); rest != v && rest != "" {
		v = rest
	}
	switch strings.ToLower(v) {
	case "done", "complete", "completed", "closed", "fixed", "resolved", "finished", "shipped", "✅", "yes", "x", "[x]":
		return incident.TaskDone, true
	case "in progress", "in_progress", "in-progress", "wip", "doing", "ongoing", "started", "in review":
		return incident.TaskInProgress, true
	case "won't do", "wont do", "wont_do", "won't fix", "wontfix", "cancelled", "canceled", "dropped", "rejected":
		return incident.TaskWontDo, true
	case "open", "todo", "to do", "not started", "planned", "pending", "new", "backlog", "no", "[ ]":
		return incident.TaskOpen, true
	}
	return "", false
}

// parsePriority reads P0 to P4 and, as parseSeverity reads severities,
// the words trackers use: critical, high, medium, low.
func parsePriority(v string) (incident.Priority, bool) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "P0", "P1", "CRITICAL", "BLOCKER", "HIGHEST", "URGENT":
		return "P1", true
	case "P2", "HIGH", "MAJOR":
		return "P2", true
	case "P3", "MEDIUM", "MODERATE", "NORMAL", "MINOR":
		return "P3", true
	case "P4", "LOW", "LOWEST", "TRIVIAL":
		return "P4", true
	}
	return "", false
}

func parseTaskKind(v string) (incident.TaskKind, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "improvement", "improvements", "fix", "prevent", "prevention", "preventive", "preventative":
		return incident.TaskImprovement, true
	case "task", "tasks", "action", "action item", "follow-up", "mitigate", "repair", "process", "detect":
		return incident.TaskTask, true
	}
	return "", false
}

// linkIn returns the http(s) URL a cell or value holds: a bare URL, an
// autolink or a Markdown link.
func linkIn(md string) string {
	s := parseSource([]byte(md), 1)
	var found string
	_ = ast.Walk(s.root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || found != "" {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			found = string(n.Destination)
		case *ast.AutoLink:
			found = string(n.URL(s.src))
		}
		return ast.WalkContinue, nil
	})
	if found == "" {
		found = strings.Trim(strings.TrimSpace(md), "<>")
	}
	u, err := url.Parse(found)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(found, " \t\n") {
		return ""
	}
	return found
}
