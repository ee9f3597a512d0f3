package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Every page has an icon; the boundaries go gzipped to clients that take
// gzip, plain to others, and a client holding them gets 304.
func TestFaviconAndCompressedBoundaries(t *testing.T) {
	s := newSite(t)
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	res, err := raw.Get(s.base + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, res); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/x-icon" || !strings.HasPrefix(b, "\x00\x00\x01\x00") {
		t.Fatalf("/favicon.ico: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, _ = raw.Get(s.base + "/portal")
	if !strings.Contains(body(t, res), `<link rel="icon" href="/favicon.ico"`) {
		t.Error("the layout has no icon link")
	}

	get := func(header ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.base+"/geo/boundaries.json?level=street", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	plainRes, plain := get()
	if plainRes.StatusCode != 200 || plainRes.Header.Get("Content-Encoding") != "" || !bytes.HasPrefix(plain, []byte(`{"type":"FeatureCollection"`)) {
		t.Fatalf("plain: status %d, encoding %q", plainRes.StatusCode, plainRes.Header.Get("Content-Encoding"))
	}
	etag := plainRes.Header.Get("ETag")
	if etag == "" || plainRes.Header.Get("Vary") != "Accept-Encoding" || !strings.Contains(plainRes.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("headers: ETag %q, Vary %q, Cache-Control %q", etag, plainRes.Header.Get("Vary"), plainRes.Header.Get("Cache-Control"))
	}
	zres, zb := get("Accept-Encoding", "gzip, deflate, br")
	if zres.Header.Get("Content-Encoding") != "gzip" || zres.Header.Get("ETag") != etag || len(zb) >= len(plain)/2 {
		t.Fatalf("gzip: encoding %q, %d bytes of %d, ETag %q", zres.Header.Get("Content-Encoding"), len(zb), len(plain), zres.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zb))
	if err != nil {
		t.Fatal(err)
	}
	unz, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unz, plain) {
		t.Fatalf("gunzipped body differs from the plain one (%v)", err)
	}
	if res, _ := get("Accept-Encoding", "gzip;q=0, identity"); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still gets gzip")
	}
	if res, b := get("If-None-Match", etag, "Accept-Encoding", "gzip"); res.StatusCode != 304 || len(b) != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", res.StatusCode, len(b))
	}
}
