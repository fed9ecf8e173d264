// Package api is qinqing's HTTP interface: gin routes, request and response
// types, validation, and the one place that turns errors into RFC 9457
// problem responses.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"qinqing/configs"
	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

// Deps are what the server needs; main builds them.
type Deps struct {
	Store *model.Store
	// Ref is the reference data (regions, departments, categories, limits,
	// the working-day calendar), as the store was built with.
	Ref       *model.Reference
	Authz     *policy.Authorizer
	Config    configs.Config
	Hasher    model.PasswordHasher
	JWTSecret []byte
	Logger    *slog.Logger
	// Registry receives the HTTP metrics and is served on /metrics.
	Registry *prometheus.Registry
	// Clock is the time source, the store's too; time.Now when nil.
	Clock func() time.Time
}

// Server serves the API.
type Server struct {
	store    *model.Store
	ref      *model.Reference
	cal      *workflow.Calendar
	authz    *policy.Authorizer
	cfg      configs.Config
	hashes   *hashGate
	secret   []byte
	log      *slog.Logger
	clock    func() time.Time
	registry *prometheus.Registry
	metrics  *httpMetrics
	limiter  *limiter
	throttle *loginThrottle
	// credBlocks are the addresses whose credentials are refused for now.
	credBlocks *credentialBlocks
	valid      *validatorZH
	console    *console
	engine     *gin.Engine
	// exports holds one token per ledger export under way (exportSlots).
	exports chan struct{}
	// dummyHash is verified against when the username is unknown, so that
	// unknown users and wrong passwords take the same time.
	dummyHash string
}

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	if d.Store == nil || d.Ref == nil || d.Authz == nil || d.Hasher == nil || d.Registry == nil {
		return nil, errors.New("api: store, reference data, calendar, authorizer, hasher and registry are required")
	}
	if len(d.JWTSecret) < 32 {
		return nil, errors.New("api: the JWT secret must be at least 32 bytes")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	m, err := newHTTPMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	v, err := newValidatorZH()
	if err != nil {
		return nil, err
	}
	dummy, err := d.Hasher.Hash("qinqing-timing-equaliser")
	if err != nil {
		return nil, err
	}
	s := &Server{
		store: d.Store, ref: d.Ref, cal: d.Ref.Calendar, authz: d.Authz, cfg: d.Config, secret: d.JWTSecret,
		log: d.Logger, clock: d.Clock, registry: d.Registry, metrics: m,
		limiter: newLimiter(d.Config.RateLimit, d.Store, d.Clock, d.Logger), throttle: newThrottle(d.Store, d.Clock), valid: v, dummyHash: dummy,
		hashes: newHashGate(d.Hasher, d.Config.HashWait), credBlocks: newCredentialBlocks(d.Clock),
		exports: make(chan struct{}, exportSlots),
	}
	if s.console, err = newConsole(s); err != nil {
		return nil, err
	}
	if err := s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

// newThrottle counts sign-in attempts in the database when several
// instances may share it, else in this process's memory.
func newThrottle(st *model.Store, clock func() time.Time) *loginThrottle {
	if st.Shared() {
		return &loginThrottle{counts: st}
	}
	return &loginThrottle{counts: model.NewLocalAttempts(clock)}
}

// now is the current time in UTC at the millisecond precision the
// databases keep, from the clock the store shares.
func (s *Server) now() time.Time { return s.clock().UTC().Truncate(time.Millisecond) }

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Engine returns the gin engine (tests walk its routes).
func (s *Server) Engine() *gin.Engine { return s.engine }
