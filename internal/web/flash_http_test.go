package web_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// The public tracking page (and any other) shows no text from the URL.
func TestForeignFlashNotShown(t *testing.T) {
	_, srv := bareNode(t, slog.New(slog.DiscardHandler))
	for _, p := range []string{"/portal/track", "/portal", "/login"} {
		res, err := http.Get(srv.URL + p + "?flash=%E8%AF%B7%E6%8B%A8%E6%89%93400-123-4567&fs=abc")
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, res)
		if strings.Contains(b, "400-123-4567") || strings.Contains(b, `class="flash"`) {
			t.Errorf("%s shows the URL's flash", p)
		}
	}
}
