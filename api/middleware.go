package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"qinqing/configs"
	"qinqing/model"
	"qinqing/policy"
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
			s.log.Error("请求处理中发生 panic，已恢复", "request_id", c.GetString(ctxRequestID), "panic", v)
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
// *http.MaxBytesError, which the problem table answers with 413. An upload
// (POST /api/v1/files) may carry the configured file size and its
// multipart framing.
func (s *Server) bodyLimit(c *gin.Context) {
	limit, tooLarge := int64(maxBody), errTooLarge
	if c.Request.Method == http.MethodPost && (c.Request.URL.Path == "/api/v1/files" || consoleUpload(c.Request)) {
		limit, tooLarge = s.cfg.Files.MaxSize+uploadOverhead, tooLargeFile(s.cfg.Files.MaxSize)
	}
	if c.Request.ContentLength > limit {
		p := toProblem(tooLarge)
		p.Instance = c.Request.URL.Path
		c.Header("Content-Type", "application/problem+json")
		c.AbortWithStatusJSON(p.Status, p)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// timeout bounds the work of one request, database calls included.
func (s *Server) timeout(c *gin.Context) {
	if s.cfg.RequestTimeout <= 0 {
		c.Next()
		return
	}
	limit := s.cfg.RequestTimeout
	if isLedgerRoute(c.FullPath()) && s.cfg.ExportTimeout > 0 {
		limit = s.cfg.ExportTimeout
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), limit)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	if c.Request.ContentLength != 0 && c.Request.Body != nil && c.Request.Body != http.NoBody {
		// A body that arrives too slowly ends in 408 when the request's time
		// is up, not later at the server's ReadTimeout; once read, the
		// deadline is lifted so that net/http's watch for a closed
		// connection does not trip over it.
		rc := http.NewResponseController(c.Writer)
		dl, _ := ctx.Deadline()
		if rc.SetReadDeadline(dl) == nil {
			c.Request.Body = &deadlineBody{ReadCloser: c.Request.Body, rc: rc}
		}
	}
	c.Next()
}

// deadlineBody reports a read that hit the request's deadline as
// errBodyTimeout (408) and lifts the deadline at the end of the body.
type deadlineBody struct {
	io.ReadCloser
	rc *http.ResponseController
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var ne net.Error
	switch {
	case err == io.EOF:
		_ = b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		err = errBodyTimeout
	}
	return n, err
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

// metricsAccess guards /metrics, whose counters (requests per route,
// leads overdue) are not for every caller: with metrics_token set, the
// request must carry it as a bearer token; without, it must come from the
// loopback address directly (no forwarding header: a reverse proxy on the
// same host would otherwise pass every outside request off as local).
func (s *Server) metricsAccess(c *gin.Context) {
	if tok := s.cfg.MetricsToken; tok != "" {
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="qinqing-metrics"`)
			s.writeProblem(c, refuse(errUnauthenticated, "指标接口需要 QINQING_METRICS_TOKEN 令牌"))
			return
		}
		c.Next()
		return
	}
	ip := net.ParseIP(c.RemoteIP())
	if ip == nil || !ip.IsLoopback() || c.GetHeader("X-Forwarded-For") != "" || c.GetHeader("X-Real-IP") != "" ||
		c.GetHeader("Forwarded") != "" {
		s.writeProblem(c, refuse(policy.ErrForbidden, "指标接口仅限本机访问，或配置 QINQING_METRICS_TOKEN 后凭令牌访问"))
		return
	}
	c.Next()
}

// limiter is a token bucket per account (per address before sign-in).
// On the embedded single-process default it lives in memory; on MySQL,
// MariaDB or Galera, which several instances may share, the bucket is in
// the database (model.RateLimiter, taken in chunks so a busy account costs
// one write per chunk), so N instances do not give an account N times the
// rate. Should the database fail to answer, the request goes through: a
// limit must not refuse work the database could do.
type limiter struct {
	cfg    configs.RateLimit
	clock  func() time.Time
	shared *model.RateLimiter
	log    *slog.Logger
	mu     sync.Mutex
	keys   map[string]*limiterEntry
	sweep  time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(cfg configs.RateLimit, st *model.Store, clock func() time.Time, log *slog.Logger) *limiter {
	l := &limiter{cfg: cfg, clock: clock, log: log, keys: map[string]*limiterEntry{}}
	if st.Shared() && cfg.RPS > 0 {
		l.shared = model.NewRateLimiter(st, cfg.RPS, max(1, cfg.Burst))
	}
	return l
}

// allow takes a token for key; when none is left it returns how long to wait.
func (l *limiter) allow(ctx context.Context, key string) (bool, time.Duration) {
	if l.cfg.RPS <= 0 {
		return true, 0
	}
	if l.shared != nil {
		ok, wait, err := l.shared.Allow(ctx, key)
		if err != nil {
			l.log.Warn("限流计数不可用，请求放行", "key", key, "err", err)
			return true, 0
		}
		return ok, wait
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
	if ok, wait := s.limiter.allow(c.Request.Context(), key); !ok {
		s.writeProblem(c, retryAfter(errRateLimited, int(math.Ceil(wait.Seconds()))))
		return
	}
	c.Next()
}
