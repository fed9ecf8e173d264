package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// run is the outcome of one measured run.
type run struct {
	ops       int           // operations that succeeded
	tolerated int           // expected refusals (e.g. a 409 when two workers met on one row)
	errs      int           // unexpected outcomes
	firstErr  string        // the first unexpected outcome
	elapsed   time.Duration // wall time of the run
	cpu       time.Duration // CPU time of the whole process (service, database and load) during the run
	lat       []time.Duration
}

func (r run) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ops) / r.elapsed.Seconds()
}

func (r *run) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	if !sort.SliceIsSorted(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] }) {
		slices.Sort(r.lat)
	}
	i := int(p * float64(len(r.lat)-1))
	return r.lat[i]
}

// outcome of one operation.
type outcome int

const (
	opOK outcome = iota
	opTolerated
	opError
)

// op performs one operation for worker w (its i-th).
type op func(w, i int) (outcome, error)

// closedLoop runs op on c workers until dur has passed or maxOps were
// started: each worker issues its next operation when the previous one ends.
func closedLoop(c int, dur time.Duration, maxOps int, f op) run {
	var started atomic.Int64
	var mu sync.Mutex
	var out run
	deadline := time.Now().Add(dur)
	start := time.Now()
	cpu0 := processCPU()
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			var ok, tol, bad int
			var first string
			for i := 0; time.Now().Before(deadline); i++ {
				if started.Add(1) > int64(maxOps) {
					break
				}
				t := time.Now()
				o, err := f(w, i)
				d := time.Since(t)
				switch o {
				case opOK:
					ok++
					lat = append(lat, d)
				case opTolerated:
					tol++
				default:
					bad++
					if first == "" && err != nil {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			out.ops += ok
			out.tolerated += tol
			out.errs += bad
			if out.firstErr == "" {
				out.firstErr = first
			}
			out.lat = append(out.lat, lat...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	out.cpu = processCPU() - cpu0
	slices.Sort(out.lat)
	return out
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPerOp is the process's CPU time per successful operation.
func (r run) cpuPerOp() time.Duration {
	if r.ops == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.ops)
}

// openLoop issues op at a fixed rate for dur, whatever the answers take
// (no coordinated omission: latency counts from the intended start). At
// most maxInFlight operations run at once; beyond that arrivals count as
// errors.
func openLoop(rate float64, dur time.Duration, maxInFlight int, f op) run {
	if rate <= 0 {
		return run{errs: 1, firstErr: "rate is zero"}
	}
	interval := time.Duration(float64(time.Second) / rate)
	n := int(dur / interval)
	sem := make(chan struct{}, maxInFlight)
	var mu sync.Mutex
	var out run
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		select {
		case sem <- struct{}{}:
		default:
			mu.Lock()
			out.errs++
			if out.firstErr == "" {
				out.firstErr = "too many requests in flight"
			}
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			defer func() { <-sem }()
			o, err := f(i%16, i)
			d := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			switch o {
			case opOK:
				out.ops++
				out.lat = append(out.lat, d)
			case opTolerated:
				out.tolerated++
			default:
				out.errs++
				if out.firstErr == "" && err != nil {
					out.firstErr = err.Error()
				}
			}
		}(i, due)
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	slices.Sort(out.lat)
	return out
}

// client sends HTTP requests to the in-process service (127.0.0.1 only).
type client struct {
	hc *http.Client
}

func newClient() *client {
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute,
		DisableCompression: true, ForceAttemptHTTP2: false}
	return &client{hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// do sends a request and reads the whole answer.
func (c *client) do(method, url, token string, body []byte, hdr ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// expect turns an HTTP answer into an outcome: want is success, tolerate
// (when not 0) an expected refusal.
func expect(status int, body []byte, err error, want, tolerate int) (outcome, error) {
	switch {
	case err != nil:
		return opError, err
	case status == want:
		return opOK, nil
	case tolerate != 0 && status == tolerate:
		return opTolerated, nil
	}
	if len(body) > 300 {
		body = body[:300]
	}
	return opError, fmt.Errorf("HTTP %d: %s", status, body)
}
