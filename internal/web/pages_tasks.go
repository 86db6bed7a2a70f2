package web

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// tasksPage is /tasks: the follow-up tasks of every incident.
type tasksPage struct {
	Layout
	Owner      string
	Status     string
	Overdue    bool
	Tasks      []taskView
	Owners     []string
	TaskStates []incident.TaskStatus
	Return     string // this page with its filters, for the status forms
}

func (s *Server) tasksPage(c *gin.Context) error {
	p := &tasksPage{Layout: Layout{Title: "Follow-ups", Nav: "tasks"}, Owner: c.Query("owner"), Status: c.Query("status"),
		Overdue: c.Query("overdue") != "", TaskStates: taskStates, Return: c.Request.URL.RequestURI()}
	s.fillLayout(c, &p.Layout)
	now := s.cfg.Now()
	f := incident.TaskFilter{Owner: p.Owner, Status: incident.TaskStatus(p.Status), Overdue: p.Overdue, Now: now}
	if f.Status != "" && !f.Status.Valid() {
		return incident.FieldError(incident.EINVALID, "status", "status must be one of open, in_progress, done, wont_do")
	}
	ctx := c.Request.Context()
	tasks, err := s.store.ListTasks(ctx, f)
	if err != nil {
		return err
	}
	all := tasks
	if f != (incident.TaskFilter{Now: now}) {
		if all, err = s.store.ListTasks(ctx, incident.TaskFilter{Now: now}); err != nil {
			return err
		}
	}
	for _, t := range all {
		if t.Owner != "" && !slices.Contains(p.Owners, t.Owner) {
			p.Owners = append(p.Owners, t.Owner)
		}
	}
	slices.Sort(p.Owners)
	// Unfinished first, the most urgent on top.
	slices.SortStableFunc(tasks, func(a, b incident.Task) int {
		if fa, fb := a.Status.Finished(), b.Status.Finished(); fa != fb {
			if fa {
				return 1
			}
			return -1
		}
		switch {
		case a.DueAt == nil && b.DueAt == nil:
			return 0
		case a.DueAt == nil:
			return 1
		case b.DueAt == nil:
			return -1
		}
		return a.DueAt.Compare(*b.DueAt)
	})
	for _, t := range tasks {
		p.Tasks = append(p.Tasks, viewTask(t, now, p.Zone))
	}
	return s.render(c, http.StatusOK, "tasks", p)
}
