package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// favicon serves the embedded icon (browsers ask for /favicon.ico on
// every page).
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	b, err := files.ReadFile("static/favicon.ico")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/x-icon")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}

// compressed is a response body kept plain and gzipped, with its ETag.
type compressed struct {
	etag     string
	plain, z []byte
	at       time.Time // when it was built
}

// compress makes a compressed body of b.
func compress(b []byte) (*compressed, error) {
	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return &compressed{etag: `"` + hex.EncodeToString(sum[:12]) + `"`, plain: b, z: z.Bytes(), at: time.Now()}, nil
}

// serve writes c: 304 when the client holds it already, gzipped when the
// client accepts gzip, plain otherwise; caches keep the two apart (Vary).
func (c *compressed) serve(w http.ResponseWriter, r *http.Request, contentType, cacheControl string) {
	h := w.Header()
	h.Set("Vary", "Accept-Encoding")
	h.Set("ETag", c.etag)
	h.Set("Cache-Control", cacheControl)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, c.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	body := c.plain
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = c.z
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed without
// q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		return q > 0
	}
	return false
}

// geoCache keeps the boundary documents by level and catalogue generation
// (a boundary import reloads this node's catalogue), for at most geoMaxAge
// (another node may have imported).
const geoMaxAge = 5 * time.Minute

type geoCache struct {
	mu   sync.Mutex
	docs map[string]*compressed
}

func (g *geoCache) get(key string, build func() ([]byte, error)) (*compressed, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.docs[key]; ok && time.Since(c.at) < geoMaxAge {
		return c, nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	c, err := compress(b)
	if err != nil {
		return nil, err
	}
	if g.docs == nil || len(g.docs) > 16 {
		g.docs = map[string]*compressed{}
	}
	g.docs[key] = c
	return c, nil
}
