package api_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"

	"whistle/internal/demo"
	"whistle/internal/errs"
	"whistle/internal/lifecycle"
)

// apiTestPagination walks every page of the centre's list and of a
// street's inbox: no case twice, none missing, in order.
func apiTestPagination(e *apiEnv) {
	t := e.t
	counts, err := e.app.Store.CountByState(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	total, open := 0, 0
	for st, n := range counts {
		total += int(n)
		if st != string(lifecycle.Closed) {
			open += int(n)
		}
	}
	for _, q := range []struct {
		query string
		want  int
	}{{"limit=37", total}, {"limit=23&sort=due", open}, {"limit=50&open=true", open}} {
		seen := map[int64]bool{}
		cursor := ""
		var prev *lifecycle.Case
		for page := 0; ; page++ {
			if page > 100 {
				t.Fatalf("%s: too many pages", q.query)
			}
			p := e.apiList(e.agent, q.query+"&cursor="+cursor)
			for i := range p.Cases {
				c := &p.Cases[i]
				if seen[c.ID] {
					t.Fatalf("%s: case %d on two pages", q.query, c.ID)
				}
				seen[c.ID] = true
				if prev != nil && !strings.Contains(q.query, "sort=due") && (c.CreatedAt.After(prev.CreatedAt) || c.CreatedAt.Equal(prev.CreatedAt) && c.ID > prev.ID) {
					t.Fatalf("%s: case %d (%v) after case %d (%v)", q.query, c.ID, c.CreatedAt, prev.ID, prev.CreatedAt)
				}
				prev = c
			}
			if p.Next == "" {
				break
			}
			cursor = p.Next
		}
		if len(seen) != q.want {
			t.Fatalf("%s: %d cases over all pages, want %d", q.query, len(seen), q.want)
		}
	}
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/cases?cursor=garbage", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/cases?limit=0", nil), 422, errs.Invalid)
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/cases?state=lost", nil), 422, errs.Invalid)
}

// apiTestConcurrentActs: ten handlers' clicks on "sign" at once sign once.
func apiTestConcurrentActs(e *apiEnv) {
	t := e.t
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, e.apiPhone()))
	e.apiAct(e.agent, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	tok := e.apiToken(e.handlerA)
	const n = 10
	status := make([]int, n)
	codes := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequestWithContext(e.ctx, "POST", fmt.Sprintf("%s/api/v1/cases/%d/sign", e.srv.URL, c.ID), strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				codes[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			status[i], codes[i] = resp.StatusCode, string(b)
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for i := range n {
		switch {
		case status[i] == 200:
			ok++
		case status[i] == 409 && (strings.Contains(codes[i], `"code":"invalid_transition"`) || strings.Contains(codes[i], `"code":"conflict"`)):
		default:
			t.Fatalf("sign %d: %d %s", i, status[i], codes[i])
		}
	}
	if ok != 1 {
		t.Fatalf("%d signs succeeded, want 1", ok)
	}
	evs := e.apiEvents(e.agent, c.ID)
	if len(evs) != 3 || evs[2].Action != lifecycle.ActSign {
		t.Fatalf("%d events after concurrent signs", len(evs))
	}
	if got := e.apiGet(e.agent, c.ID); got.Version != 3 || got.State != lifecycle.Signed {
		t.Fatalf("after concurrent signs: version %d state %s", got.Version, got.State)
	}
}

// apiTestPortalAndReturn: a citizen submits on the web, the centre accepts
// and dispatches, the street returns it, the centre re-dispatches to
// another street; the citizen follows along.
func apiTestPortalAndReturn(e *apiEnv) {
	t := e.t
	phone := e.apiPhone()
	in := e.apiCaseIn(e.gridA, phone)
	in["channel"] = "phone" // overridden: the portal is the web channel
	var sub struct {
		Number string          `json:"number"`
		State  lifecycle.State `json:"state"`
	}
	apiWant(t, e.apiDo("", "POST", "/api/v1/public/cases", in), 201, &sub)
	if sub.State != lifecycle.Submitted || sub.Number == "" {
		t.Fatalf("portal submission: %+v", sub)
	}
	p := e.apiList(e.agent, "phone="+phone)
	if len(p.Cases) != 1 || p.Cases[0].Channel != "web" || p.Cases[0].Number != sub.Number {
		t.Fatalf("portal case as the centre sees it: %+v", p.Cases)
	}
	id := p.Cases[0].ID
	apiRefused(t, e.apiDo(e.agent, "POST", fmt.Sprintf("/api/v1/cases/%d/dispatch", id), map[string]any{"unit_id": e.streetA.ID}), 409, errs.InvalidTransition)
	if r := e.apiAct(e.agent, id, "accept", nil); r.Case.State != lifecycle.Received || r.Case.DispatchBy.IsZero() {
		t.Fatalf("accepted: %+v", r.Case)
	}
	e.apiAct(e.agent, id, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	e.apiAct(e.handlerA, id, "request-return", map[string]any{"reason": "不属于本街道"})
	apiRefused(t, e.apiDo(e.handlerA, "POST", fmt.Sprintf("/api/v1/cases/%d/request-return", id), map[string]any{"reason": "again"}), 409, errs.ReturnPending)
	apiRefused(t, e.apiDo(e.dispatcher, "POST", fmt.Sprintf("/api/v1/cases/%d/approve-return", id), map[string]any{"unit_id": e.streetA.ID}), 422, errs.SameUnit)
	r := e.apiAct(e.dispatcher, id, "approve-return", map[string]any{"unit_id": e.streetB.ID})
	if r.Case.State != lifecycle.Dispatched || r.Case.LeadUnitID != e.streetB.ID || r.Case.Returns != 1 || r.Case.ReturnPending {
		t.Fatalf("re-dispatched: %+v", r.Case)
	}
	// The old street lost it, the new one has it.
	apiRefused(t, e.apiDo(e.handlerA, "GET", fmt.Sprintf("/api/v1/cases/%d", id), nil), 404, errs.NotFound)
	e.apiAct(e.handlerB, id, "sign", nil)

	var pub struct {
		Timeline []struct {
			Text string `json:"text"`
		} `json:"timeline"`
	}
	apiWant(t, e.apiDo("", "POST", "/api/v1/public/lookup", map[string]string{"number": sub.Number, "phone": phone}), 200, &pub)
	var got []string
	for _, l := range pub.Timeline {
		got = append(got, l.Text)
	}
	want := []string{"您的诉求已提交", "热线中心已受理", "已派至 " + e.streetA.Name + " 办理", "已改派至 " + e.streetB.Name + " 办理", "承办单位已签收"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("citizen timeline %q, want %q", got, want)
	}
	// The portal refuses what the API refuses.
	bad := e.apiCaseIn(e.gridA, "0")
	apiRefused(t, e.apiDo("", "POST", "/api/v1/public/cases", bad), 422, errs.InvalidPhone)
	bad = e.apiCaseIn(e.gridA, phone)
	bad["attachments"] = []int64{1}
	if r := e.apiDo("", "POST", "/api/v1/public/cases", bad); r.Status != 201 {
		t.Fatalf("portal with attachments (ignored): %v", r)
	}
}

// apiTestReopenLimit: with the default limit of 2, the third unsatisfied
// callback cannot reopen the case.
func apiTestReopenLimit(e *apiEnv) {
	t := e.t
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, e.apiPhone()))
	e.apiAct(e.agent, c.ID, "dispatch", map[string]any{"unit_id": e.streetA.ID})
	round := func() {
		e.apiAct(e.handlerA, c.ID, "sign", nil)
		e.apiAct(e.handlerA, c.ID, "contact", map[string]any{"means": "phone"})
		e.apiAct(e.handlerA, c.ID, "reply", map[string]any{"result": "explained", "note": "已解释政策"})
	}
	unsatisfied := map[string]any{"resolved": false, "satisfaction": "unsatisfied", "reopen": true}
	for i := 1; i <= 2; i++ {
		round()
		if r := e.apiAct(e.agent, c.ID, "callback", unsatisfied); r.Case.ReopenCount != i || r.Case.State != lifecycle.Dispatched {
			t.Fatalf("reopen %d: count %d state %s", i, r.Case.ReopenCount, r.Case.State)
		}
	}
	round()
	snap := e.apiSnapshot(c.ID)
	apiRefused(t, e.apiDo(e.agent, "POST", fmt.Sprintf("/api/v1/cases/%d/callback", c.ID), unsatisfied), 409, errs.ReopenLimit)
	e.apiUnchanged(c.ID, snap, "a refused third reopen")
	if r := e.apiAct(e.agent, c.ID, "callback", map[string]any{"resolved": false, "satisfaction": "unsatisfied"}); r.Case.State != lifecycle.Closed {
		t.Fatalf("closing callback: state %s", r.Case.State)
	}
}

// apiTestSessions: logout ends a session, the cookie works like the bearer
// token, cross-site writes with the cookie are refused, and failed logins
// are rate-limited.
func apiTestSessions(e *apiEnv) {
	t := e.t
	login := func() (string, *http.Cookie) {
		r := e.apiDo("", "POST", "/api/v1/auth/login", map[string]string{"username": e.dispatcher, "password": demo.DemoPassword})
		var out struct {
			Token string `json:"token"`
		}
		apiWant(t, r, 200, &out)
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == "whistle_session" {
				if c.Value != out.Token || !c.HttpOnly {
					t.Fatalf("session cookie %+v", c)
				}
				return out.Token, c
			}
		}
		t.Fatal("no session cookie")
		return "", nil
	}
	tok, cookie := login()
	cookieHdr := cookie.Name + "=" + cookie.Value
	apiWant(t, e.apiDo("", "GET", "/api/v1/me", nil, "Cookie", cookieHdr), 200, nil)
	// A cross-site form post riding on the cookie is refused and writes nothing.
	c := e.apiCreate(e.agent, e.apiCaseIn(e.gridA, e.apiPhone()))
	snap := e.apiSnapshot(c.ID)
	r := e.apiDo("", "POST", fmt.Sprintf("/api/v1/cases/%d/note", c.ID), map[string]string{"note": "csrf"},
		"Cookie", cookieHdr, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	apiRefused(t, r, 403, errs.Forbidden)
	e.apiUnchanged(c.ID, snap, "a cross-site post")
	// Logout ends the session for the token and the cookie.
	if r := e.apiDo("", "POST", "/api/v1/auth/logout", nil, "Authorization", "Bearer "+tok); r.Status != 204 {
		t.Fatalf("logout: %v", r)
	}
	apiRefused(t, e.apiDo("", "GET", "/api/v1/me", nil, "Authorization", "Bearer "+tok), 401, errs.Unauthenticated)
	apiRefused(t, e.apiDo("", "GET", "/api/v1/me", nil, "Cookie", cookieHdr), 401, errs.Unauthenticated)
	// Five failures, then the sixth attempt is refused even with the right password.
	for range 5 {
		apiRefused(t, e.apiDo("", "POST", "/api/v1/auth/login", map[string]string{"username": "sup-city", "password": "wrong-password"}), 401, errs.BadCredentials)
	}
	apiRefused(t, e.apiDo("", "POST", "/api/v1/auth/login", map[string]string{"username": "sup-city", "password": demo.DemoPassword}), 429, errs.RateLimited)
}

// apiTestMultipart uploads a photo the way a browser form does.
func apiTestMultipart(e *apiEnv) {
	t := e.t
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "photo.gif")
	if err != nil {
		t.Fatal(err)
	}
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	fw.Write(gif)
	mw.Close()
	var att struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
	}
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/attachments", body.Bytes(), "Content-Type", mw.FormDataContentType()), 201, &att)
	// A GIF is stored as a PNG of its first frame (issue #11: uploads are
	// re-encoded).
	if att.Name != "photo.png" || att.ContentType != "image/png" || att.Size == 0 {
		t.Fatalf("multipart upload: %+v", att)
	}
	r := e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/attachments/%d", att.ID), nil)
	if r.Status != 200 || !bytes.HasPrefix(r.Body, []byte("\x89PNG\r\n\x1a\n")) || int64(len(r.Body)) != att.Size {
		t.Fatalf("download: %d, %d bytes", r.Status, len(r.Body))
	}
	body.Reset()
	mw = multipart.NewWriter(&body)
	mw.WriteField("other", "x")
	mw.Close()
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/attachments", body.Bytes(), "Content-Type", mw.FormDataContentType()), 422, errs.FieldRequired)
}
