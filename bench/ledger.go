package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"qinqing/model"
)

// ---- X: the ledgers (台账) -----------------------------------------------------------

// rowX downloads the request ledger of the whole city as 工商联 of the city
// (every request of the database in one workbook) and the lead ledger as
// the city's inspector, one at a time: the time until the last byte, the
// first byte, the size, and the process's peak RSS over the export (the
// server runs in this process; the client discards the bytes as they
// come). There is no ceiling: the figure to watch is that the peak does not
// grow with the rows.
func (e *env) rowX(ctx context.Context) (rowResult, error) {
	res := rowResult{name: "X", what: "台账 exports: GET /requests/export.xlsx as the city's 工商联 (every request), /leads/export.xlsx as the city's inspector",
		noTarget: true, target: "report time and peak RSS (streamed: the peak does not grow with the rows)"}
	hc := &http.Client{Timeout: 15 * time.Minute}
	var parts []string
	for _, x := range []struct{ kind, path, label string }{
		{"acfic", "/api/v1/requests/export.xlsx", "诉求台账"},
		{"insp", "/api/v1/leads/export.xlsx", "线索台账"},
	} {
		tok, err := e.login(e.user(x.kind, e.root()))
		if err != nil {
			return res, err
		}
		req, err := http.NewRequestWithContext(ctx, "GET", e.base+x.path, nil)
		if err != nil {
			return res, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resetHWM()
		before := vmRSS()
		start := time.Now()
		r, err := hc.Do(req)
		if err != nil {
			return res, err
		}
		first := time.Since(start)
		n, err := io.Copy(io.Discard, r.Body)
		r.Body.Close()
		took := time.Since(start)
		if err != nil {
			return res, err
		}
		if r.StatusCode != http.StatusOK {
			return res, fmt.Errorf("%s: HTTP %d", x.path, r.StatusCode)
		}
		rows, _ := strconv.ParseInt(r.Trailer.Get("X-Ledger-Rows"), 10, 64) // a trailer: read after the body
		peak := vmHWM()
		fmt.Printf("  %s %s: %d rows, %.1f MiB in %s (first byte %s); RSS %s before, peak %s\n",
			x.label, x.path, rows, float64(n)/(1<<20), took.Round(time.Millisecond), first.Round(time.Millisecond), before, peak)
		parts = append(parts, fmt.Sprintf("%s %d rows %.1f MiB in %s, RSS %s → peak %s",
			x.label, rows, float64(n)/(1<<20), took.Round(100*time.Millisecond), before, peak))
		if x.kind == "acfic" {
			var all int64
			if err := e.db.WithContext(ctx).Model(&model.Request{}).Count(&all).Error; err != nil {
				return res, err
			}
			e.check("the city's request ledger holds every request once", rows == all, "%d rows, %d requests", rows, all)
		} else {
			e.check("the city inspector's lead ledger is not empty", rows > 0, "%d rows", rows)
		}
	}
	res.absolute = parts[0] + "; " + parts[1]
	return res, nil
}
