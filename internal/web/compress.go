package web

import (
	"compress/gzip"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// minCompress is the smallest body worth compressing: below it the gzip
// header and the CPU cost more than the bytes saved.
const minCompress = 1024

// compressible lists the media types gzip shrinks.
var compressible = map[string]bool{
	"text/html": true, "application/json": true, "text/markdown": true, "text/csv": true,
	"text/calendar": true, "text/plain": true,
}

var gzipPool = sync.Pool{New: func() any {
	// The fastest level: it adds about 1 ms to the 20 ms of the page of
	// an incident of 2,000 entries (BenchmarkIncidentPage2000), and still
	// makes pages a twentieth of their size.
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// compress gzips pages and API answers for clients that take gzip. The
// page of an incident with thousands of entries is megabytes of HTML, and
// every viewer fetches it again at every change; gzipped it is a tenth.
// Webhook answers are small, the live stream must reach the browser as it
// is written, and static files are served with ranges and validators of
// their own: those pass untouched.
func compress(c *gin.Context) {
	r := c.Request
	p := r.URL.Path
	if strings.HasPrefix(p, hooksPrefix) || strings.HasPrefix(p, "/static/") || strings.HasSuffix(p, "/stream") {
		c.Next()
		return
	}
	c.Writer.Header().Add("Vary", "Accept-Encoding") // for caches, whichever was asked
	if r.Header.Get("Range") != "" || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		c.Next()
		return
	}
	w := &gzipWriter{ResponseWriter: c.Writer}
	c.Writer = w
	defer func() {
		if v := recover(); v != nil {
			// Cut short: no gzip trailer, so that the client sees the
			// body broken rather than complete.
			w.gz = nil
			panic(v)
		}
		w.close()
	}()
	c.Next()
}

// acceptsGzip reads an Accept-Encoding header: gzip listed with a q above
// zero, or none.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// gzipWriter decides at the first write of a body whether to compress it:
// by its media type, and its size when the handler wrote it at once.
type gzipWriter struct {
	gin.ResponseWriter
	gz      *gzip.Writer
	decided bool
}

func (w *gzipWriter) decide(first int) {
	if w.decided {
		return
	}
	w.decided = true
	h := w.Header()
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if !compressible[mt] || h.Get("Content-Encoding") != "" || first < minCompress || w.Status() == http.StatusPartialContent {
		return
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", "gzip")
	w.gz = gzipPool.Get().(*gzip.Writer)
	w.gz.Reset(w.ResponseWriter)
}

func (w *gzipWriter) Write(b []byte) (int, error) {
	w.decide(len(b))
	if w.gz == nil {
		return w.ResponseWriter.Write(b)
	}
	w.ResponseWriter.WriteHeaderNow()
	return w.gz.Write(b)
}

func (w *gzipWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *gzipWriter) Flush() {
	if w.gz != nil {
		_ = w.gz.Flush()
	}
	w.ResponseWriter.Flush()
}

// close ends the gzip stream, if there is one.
func (w *gzipWriter) close() {
	if w.gz == nil {
		return
	}
	_ = w.gz.Close()
	w.gz.Reset(nil)
	gzipPool.Put(w.gz)
	w.gz = nil
}
