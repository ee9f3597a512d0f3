package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"whistle/internal/events"
	"whistle/internal/store"
)

// Guard decides which webhook destinations may be called. Webhook URLs are
// entered by administrators, but a URL is still a way to make the server
// call somewhere (SSRF): by default loopback, private, link-local (cloud
// metadata at 169.254.169.254), unspecified and multicast addresses are
// refused — checked on the address actually dialled, after DNS, so a name
// that resolves (or re-resolves) to such an address is refused too.
// AllowPrivate (flag --webhook-allow-private) lets an intranet receiver, and
// the tests' loopback receiver, through.
type Guard struct{ AllowPrivate bool }

// ErrBlocked is a destination the guard refuses.
var ErrBlocked = errors.New("delivery: webhook destination address not allowed")

// CheckURL validates a webhook URL: http or https, a host, no user info.
func (g Guard) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Hostname() == "" || len(raw) > 2000 {
		return errors.New("delivery: a webhook URL is http:// or https://, with a host and no user info")
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !g.allowed(ip) {
		return ErrBlocked
	}
	return nil
}

func (g Guard) allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsUnspecified() || ip.IsMulticast() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	if ip.IsLoopback() || ip.IsPrivate() {
		return g.AllowPrivate
	}
	return true
}

// control refuses a connection to an address the guard does not allow.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return ErrBlocked
	}
	if !g.allowed(ap.Addr()) {
		return ErrBlocked
	}
	return nil
}

// WebhookSender posts signed events.
type WebhookSender struct {
	Client *http.Client
	Now    func() time.Time
}

// NewWebhookSender returns a sender whose connections pass g, with a
// per-attempt timeout; redirects are not followed (a redirect could lead
// past the guard's intent, and the receiver should be configured with its
// final URL).
func NewWebhookSender(g Guard, timeout time.Duration) *WebhookSender {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: g.control}
	tr := &http.Transport{DialContext: d.DialContext, Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 60 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second, ResponseHeaderTimeout: timeout}
	return &WebhookSender{Client: &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Send posts body to the subscription's URL with the signature headers; a
// 2xx answer is delivered, anything else is tried again later.
func (s *WebhookSender) Send(ctx context.Context, sub store.Subscription, env events.Envelope, body []byte) (int, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ts := now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Whistle-Webhook/1")
	req.Header.Set(events.HeaderEventID, env.ID)
	req.Header.Set(events.HeaderEventType, env.Type)
	req.Header.Set(events.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(events.HeaderSignature, events.Sign([]byte(sub.Secret), ts, body))
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
