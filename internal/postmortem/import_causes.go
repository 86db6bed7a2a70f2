package postmortem

import (
	"strings"

	"github.com/yuin/goldmark/ast"

	"hindsight/internal/incident"
)

// causesSection reads root causes and contributing factors: list items
// become root causes, a paragraph the one-sentence cause of the summary,
// labelled items go where their label says ("**Resolution:**").
func (im *importer) causesSection(sec *section) {
	for _, sub := range im.subsections(sec) {
		switch {
		case sub.meaning != meaningRootCause && sub.meaning != meaningTrigger:
			im.section(sub)
		case len(sub.nodes) > 0 && sub.nodes[0].Kind() == ast.KindHeading:
			// A heading of the author's own, with its blocks.
			im.keepSection(sub)
		default:
			im.causeBlocks(sub)
		}
	}
}

func (im *importer) causeBlocks(sec *section) {
	primary := !strings.Contains(strings.ToLower(sec.title), "contributing")
	for _, n := range sec.nodes {
		switch n := n.(type) {
		case *ast.List:
			for item := n.FirstChild(); item != nil; item = item.NextSibling() {
				if im.labelledItem(item, sec.meaning) {
					continue
				}
				if md := im.itemContent(item); md != "" {
					im.addCause(md, primary)
				}
			}
		case *ast.Paragraph:
			if im.labelledParagraph(n, sec) {
				continue
			}
			if !setText(&im.d.RootCause, im.s.block(n)) {
				im.keep(sec.heading, im.s.block(n))
			}
		default:
			im.keep(sec.heading, im.s.block(n))
		}
	}
}

// itemContent returns the Markdown of a list item without its marker.
func (im *importer) itemContent(item ast.Node) string {
	first := item.FirstChild()
	if first == nil {
		return ""
	}
	if !isTextBlock(first) {
		return im.s.blocks(first, nil)
	}
	md := im.s.rawJoin(first, 0, len(im.s.src), "\n")
	if more := first.NextSibling(); more != nil {
		md += "\n\n" + im.s.blocks(more, nil)
	}
	return strings.TrimSpace(md)
}

func (im *importer) addCause(md string, primary bool) {
	if md = strings.TrimSpace(md); md == "" {
		return
	}
	for _, rc := range im.d.RootCauses {
		if rc.Description == md {
			return
		}
	}
	im.d.RootCauses = append(im.d.RootCauses, incident.RootCause{
		Description: md, Category: guessCategory(md), Primary: primary, Evidence: []int64{},
	})
}
