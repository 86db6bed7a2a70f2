package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"hindsight/internal/alerts"
	"hindsight/internal/incident"
)

// ceilingEnv, set to an address, makes this program the ceiling server
// instead of the benchmark. The benchmark starts itself that way, so that
// the ceiling runs in a process of its own, as Hindsight does. With
// decodeEnv set too, it is the decoding server instead.
const (
	ceilingEnv = "INGESTBENCH_CEILING_ADDR"
	decodeEnv  = "INGESTBENCH_CEILING_DECODE"
)

// serveCeiling answers every webhook post with 200 once it has read the
// body, and does nothing else: the fastest a gin server on this machine
// can take the benchmark's load, which Hindsight's figures are set
// against. It logs where it listens the way `hindsight serve` does.
//
// With decodeEnv set, it also decodes the notification as Hindsight does
// and answers as Hindsight would, and still stores nothing: what
// Hindsight's figures would be if its database cost nothing.
func serveCeiling(addr string) error {
	decode := os.Getenv(decodeEnv) != ""
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/hooks/alertmanager", func(c *gin.Context) {
		if !decode {
			if _, err := io.Copy(io.Discard, c.Request.Body); err != nil {
				c.Status(http.StatusBadRequest)
				return
			}
			c.Status(http.StatusOK)
			return
		}
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		b, err := alerts.ParseAlertmanager(body, alerts.Rules{})
		if err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
			return
		}
		c.JSON(http.StatusOK, &incident.IngestResult{Received: b.Size(), Added: b.Size(), IncidentRef: "INC-1", IncidentID: 1})
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Fprintf(os.Stderr, "msg=\"ceiling listening\" url=http://%s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
