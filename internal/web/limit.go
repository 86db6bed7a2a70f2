package web

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"hindsight/internal/incident"
)

// queryLimit reads the limit query parameter of a list: def when absent,
// and from 1 to incident.MaxPageLen.
func queryLimit(c *gin.Context, def int) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > incident.MaxPageLen {
		return 0, incident.FieldError(incident.EINVALID, "limit", "limit must be a whole number from 1 to %d", incident.MaxPageLen)
	}
	return n, nil
}
