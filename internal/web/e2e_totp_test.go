package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"whistle/internal/auth"
)

// TestTOTPInTheBrowser: in headless Chromium, a dispatcher turns two-step
// verification on from the account page (the header's link), confirms it
// with the code an app would show, sees the recovery codes, signs out, and
// signs in again in two steps: password, then code.
func TestTOTPInTheBrowser(t *testing.T) {
	e := newE2E(t)
	e.login("dispatcher")
	u := e.logins["dispatcher"]
	e.navigating(chromedp.Click(chromedp.ID("nav-account")))
	e.navigating(chromedp.Click(chromedp.ID("totp-begin")))
	secret := e.text("#totp-secret")
	if uri := e.text("#totp-uri"); !strings.HasPrefix(uri, "otpauth://totp/Whistle:"+u.Username) {
		t.Errorf("uri %q", uri)
	}
	code := func(at time.Time) string {
		c, err := auth.TOTPCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	e.do(chromedp.SendKeys(chromedp.ID("totp-code"), code(time.Now())))
	e.navigating(chromedp.Click(chromedp.CSS("form[action='/account/totp/confirm'] button[type=submit]")))
	e.do(chromedp.WaitVisible(chromedp.ID("totp-recovery")))
	if n := strings.Count(e.text("#totp-recovery ul"), "-"); n != 8 {
		t.Errorf("%d recovery codes shown", n)
	}
	e.logout()

	e.do(chromedp.SendKeys(chromedp.ID("username"), u.Username),
		chromedp.SendKeys(chromedp.ID("password"), "whistle-demo"),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("login-totp")))
	e.do(chromedp.SendKeys(chromedp.ID("totp"), code(time.Now().Add(30*time.Second))),
		chromedp.Click(chromedp.CSS("#login-totp button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header .who form[action='/logout']")))
}
