package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// assets are the files of static/, served at URLs that carry a hash of
// their content ("/static/app.3f2a9c1b.css"), so that browsers may keep
// them for a year and still never use a stale one.
type assets struct {
	byURL  map[string]asset  // "/static/app.3f2a9c1b.css" -> file
	byName map[string]string // "app.css" -> "/static/app.3f2a9c1b.css"
}

type asset struct {
	name string
	body []byte
	typ  string
}

func loadAssets(files fs.FS) (*assets, error) {
	a := &assets{byURL: map[string]asset{}, byName: map[string]string{}}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		url := "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		typ := mime.TypeByExtension(ext)
		if typ == "" {
			typ = "application/octet-stream"
		}
		a.byURL[url] = asset{name: name, body: body, typ: typ}
		a.byName[name] = url
		return nil
	})
	return a, err
}

// url returns the hashed URL of the static file name, panicking on an
// unknown one, which the page tests catch.
func (a *assets) url(name string) string {
	u, ok := a.byName[name]
	if !ok {
		panic("no static file " + name)
	}
	return u
}

// serveStatic answers the hashed asset URLs, with caching for a year.
func (s *Server) serveStatic(c *gin.Context) {
	a := s.pages.assets
	if s.cfg.Dev {
		var err error
		if a, err = loadAssets(s.files); err != nil {
			s.writeError(c, err)
			return
		}
	}
	f, ok := a.byURL[c.Request.URL.Path]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", f.typ)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		c.Writer.Write(f.body)
	}
}

// serveFavicon answers browsers that ask for /favicon.ico regardless.
func (s *Server) serveFavicon(c *gin.Context) {
	c.Redirect(http.StatusMovedPermanently, s.pages.assets.url("favicon.svg"))
}
