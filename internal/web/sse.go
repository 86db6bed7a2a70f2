package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// keepAlive is how often an idle stream sends a comment, so that proxies
// and load balancers do not close it.
const keepAlive = 25 * time.Second

// streamMessage is what the API stream sends for each change: the change,
// and the changed object when there is one to load.
type streamMessage struct {
	Kind     string             `json:"kind"`
	Incident string             `json:"incident"`
	ID       int64              `json:"id,omitempty"`
	Event    *incident.Event    `json:"event,omitempty"`
	Task     *incident.Task     `json:"task,omitempty"`
	Current  *incident.Incident `json:"current,omitempty"`
}

// streamChanges answers with a text/event-stream of the incident's
// changes until the client goes away or the server shuts down. write sends
// one change.
func (s *Server) streamChanges(c *gin.Context, inc *incident.Incident, write func(Change) error) error {
	changes, cancel := s.broker.Subscribe(inc.ID)
	defer cancel()
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events on at once
	c.Status(http.StatusOK)
	// Reconnect quickly after a dropped connection; the page reloads what
	// it shows when it does.
	fmt.Fprintf(c.Writer, "retry: 2000\n: %s\n\n", inc.Ref)
	c.Writer.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	done := c.Request.Context().Done()
	for {
		select {
		case <-done:
			return nil
		case <-tick.C:
			if _, err := fmt.Fprint(c.Writer, ": keep-alive\n\n"); err != nil {
				return nil
			}
		case ch, ok := <-changes:
			if !ok {
				return nil // shutting down
			}
			if err := write(ch); err != nil {
				return nil
			}
		}
		c.Writer.Flush()
	}
}

func writeEvent(c *gin.Context, name string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.Writer, "event: %s\ndata: %s\n\n", name, b)
	return err
}

// apiStream is GET /api/v1/incidents/{ref}/stream: each change as a JSON
// message with the changed timeline entry, task or incident.
func (s *Server) apiStream(c *gin.Context) error {
	inc, err := s.store.Incident(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	return s.streamChanges(c, inc, func(ch Change) error {
		ctx := c.Request.Context()
		m := streamMessage{Kind: ch.Kind, Incident: inc.Ref, ID: ch.ID}
		switch ch.Kind {
		case ChangeEventNew, ChangeEventEdit:
			if e, err := s.store.Event(ctx, inc.ID, ch.ID); err == nil {
				m.Event = e
			}
		case ChangeTaskNew, ChangeTaskEdit:
			if t, err := s.store.Task(ctx, ch.ID); err == nil {
				m.Task = t
			}
		case ChangeIncident:
			if cur, err := s.store.Incident(ctx, inc.Ref); err == nil {
				m.Current = cur
			}
		}
		return writeEvent(c, ch.Kind, m)
	})
}

// pageStream is the incident page's own stream: it only says that
// something changed; the page then fetches itself again and merges what
// differs, which covers every kind of change with one code path.
func (s *Server) pageStream(c *gin.Context) error {
	inc, err := s.store.Incident(c.Request.Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	return s.streamChanges(c, inc, func(ch Change) error {
		return writeEvent(c, "change", ch)
	})
}

// requireReader lets through readers signed in by token or by session: the
// API stream serves programs and pages alike.
func (s *Server) requireReader(c *gin.Context) {
	if bearerToken(c) != "" {
		s.require(incident.Role.CanRead)(c)
		return
	}
	u, err := s.loadSession(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if u == nil {
		s.writeError(c, incident.Errorf(incident.EUNAUTHORIZED, "authentication required: send Authorization: Bearer TOKEN"))
		return
	}
	if !u.Role.CanRead() {
		s.writeError(c, incident.Errorf(incident.EFORBIDDEN, "role %s may not do this", u.Role))
		return
	}
	c.Set(userKey, u)
	c.Next()
}
