package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// ---- W: the web console's main pages ----------------------------------------------

var (
	benchCSRF    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	benchRequest = regexp.MustCompile(`href="/requests/(\d+)"`)
)

// rowW times the console's main pages as 工商联 of the city, signed in
// through the sign-in form with a session cookie: 我的待办, the request
// list, a request's page, the deadline board and the statistics page, each
// in its own closed loop. It reports the p95 of each page; there is no ceiling to compare
// with (the API rows have theirs), so no ratio and no target.
func (e *env) rowW(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "W", what: "console pages as 工商联 of the city (session cookie): 我的待办, 诉求 list, a request's page, 期限看板, 统计",
		noTarget: true, target: "report p95 per page"}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", e.base+path, nil)
		if err != nil {
			return 0, "", err
		}
		r, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		return r.StatusCode, string(b), err
	}
	st, body, err := get("/login")
	if err != nil || st != 200 {
		return res, fmt.Errorf("GET /login: %d %v", st, err)
	}
	m := benchCSRF.FindStringSubmatch(body)
	if m == nil {
		return res, fmt.Errorf("no CSRF token on the sign-in page")
	}
	form := url.Values{"csrf": {m[1]}, "username": {e.user("acfic", e.root())}, "password": {e.password}}
	r, err := hc.PostForm(e.base+"/login", form)
	if err != nil {
		return res, err
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther {
		return res, fmt.Errorf("console sign-in: HTTP %d", r.StatusCode)
	}
	st, body, err = get("/requests")
	if err != nil || st != 200 {
		return res, fmt.Errorf("GET /requests: %d %v", st, err)
	}
	id := benchRequest.FindStringSubmatch(body)
	if id == nil {
		return res, fmt.Errorf("the request list shows no request")
	}
	// The statistics page computes thirteen periods' figures when they are
	// not in the figure cache (a cold start): it is loaded until it answers
	// 200 (a 503 when the computation outlasts the request timeout, which
	// goes on and fills the cache), and that time is reported.
	cold := time.Now()
	for {
		st, _, err := get("/stats")
		if err != nil {
			return res, err
		}
		if st == 200 {
			break
		}
		if st != http.StatusServiceUnavailable || time.Since(cold) > 3*time.Minute {
			return res, fmt.Errorf("GET /stats: HTTP %d", st)
		}
	}
	coldStats := time.Since(cold)
	fmt.Printf("  统计 /stats, cold figure cache: %s until 200\n", ms(coldStats))
	pages := []struct{ label, path string }{
		{"我的待办", "/"}, {"诉求", "/requests"}, {"诉求详情", "/requests/" + id[1]}, {"期限看板", "/deadlines"}, {"统计", "/stats"},
	}
	var parts []string
	for _, p := range pages {
		rn := closedLoop(e.o.conc, e.o.duration, 1<<30, func(w, i int) (outcome, error) {
			st, b, err := get(p.path)
			if err == nil && st == 200 && !strings.Contains(b, "退出") {
				return opError, fmt.Errorf("%s: not signed in", p.path)
			}
			return expect(st, []byte(b), err, 200, 0)
		})
		fmt.Printf("  %s %s: %s\n", p.label, p.path, describe(rn))
		if msg := ranOK([]run{rn}); msg != "" {
			return res, fmt.Errorf("%s: %s", p.path, msg)
		}
		parts = append(parts, fmt.Sprintf("%s p95 %s (%.0f/s)", p.label, ms(rn.pct(0.95)), rn.rate()))
	}
	parts = append(parts, "统计 cold "+ms(coldStats))
	res.absolute = strings.Join(parts, "; ")
	return res, nil
}
