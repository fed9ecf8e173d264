package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"qinqing/configs"
)

// Keys of values kept in the gin context.
const (
	ctxRequestID = "request_id"
	ctxPrincipal = "principal"
)

// maxBody is the largest JSON body accepted (docs/design.md#api-conventions).
const maxBody = 1 << 20

func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if id == "" || len(id) > 64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "request_id", c.GetString(ctxRequestID), "panic", v)
			s.writeProblem(c, errPanic)
		}
	}()
	c.Next()
}

type panicError struct{}

func (panicError) Error() string { return "panic in handler" }

var errPanic error = panicError{}

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	c.Next()
}

// bodyLimit caps request bodies; reading past the cap fails with
// *http.MaxBytesError, which the problem table answers with 413.
func bodyLimit(c *gin.Context) {
	if c.Request.ContentLength > maxBody {
		p := toProblem(errTooLarge)
		p.Instance = c.Request.URL.Path
		c.Header("Content-Type", "application/problem+json")
		c.AbortWithStatusJSON(p.Status, p)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	c.Next()
}

// timeout bounds the work of one request, database calls included.
func (s *Server) timeout(c *gin.Context) {
	if s.cfg.RequestTimeout <= 0 {
		c.Next()
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// httpMetrics are the Prometheus series of the HTTP layer.
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qinqing_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "qinqing_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.metrics.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
	s.metrics.latency.WithLabelValues(route, c.Request.Method).Observe(time.Since(start).Seconds())
}

// limiter is a token bucket per account. It lives in each instance's
// memory: with N instances behind a balancer an account gets up to N times
// the rate, which the operator sizes for (documented in README).
type limiter struct {
	cfg   configs.RateLimit
	clock func() time.Time
	mu    sync.Mutex
	keys  map[string]*limiterEntry
	sweep time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(cfg configs.RateLimit, clock func() time.Time) *limiter {
	return &limiter{cfg: cfg, clock: clock, keys: map[string]*limiterEntry{}}
}

// allow takes a token for key; when none is left it returns how long to wait.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l.cfg.RPS <= 0 {
		return true, 0
	}
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		for k, e := range l.keys {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(l.keys, k)
			}
		}
		l.sweep = now
	}
	e, ok := l.keys[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(rate.Limit(l.cfg.RPS), max(1, l.cfg.Burst))}
		l.keys[key] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (s *Server) rateLimit(c *gin.Context) {
	p := principalOf(c)
	key := c.ClientIP()
	if p != nil {
		key = "account:" + strconv.FormatUint(p.account.ID, 10)
	}
	if ok, wait := s.limiter.allow(key); !ok {
		s.writeProblem(c, retryAfter(errRateLimited, int(math.Ceil(wait.Seconds()))))
		return
	}
	c.Next()
}
