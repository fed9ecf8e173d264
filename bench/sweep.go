package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"qinqing/model"
)

// ---- N: the concurrency sweep ------------------------------------------------------

// rowN runs C (filing), T (a transition) and R (an enterprise reading its
// own request by id) at each concurrency of -sweep (1, 4, 16, 64 clients),
// each against its raw ceiling at the same concurrency, in interleaved
// pairs. One table line per operation and concurrency.
func (e *env) rowN(ctx context.Context) ([]rowResult, error) {
	var levels []int
	for _, f := range strings.Split(e.o.sweep, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-sweep %q: want client counts like 1,4,16,64", e.o.sweep)
		}
		levels = append(levels, n)
	}
	maxC := 0
	for _, n := range levels {
		maxC = max(maxC, n)
	}
	if maxC > e.o.enterprises {
		return nil, fmt.Errorf("-sweep up to %d clients needs as many enterprises (seeded %d)", maxC, e.o.enterprises)
	}
	saved := e.o.duration
	e.o.duration = e.o.sweepDuration
	defer func() { e.o.duration = saved }()
	cl, err := e.newCreateLoad(maxC)
	if err != nil {
		return nil, err
	}
	tl, err := e.newTransitionLoad()
	if err != nil {
		return nil, err
	}
	rl, err := e.newReadLoad(maxC, cl)
	if err != nil {
		return nil, err
	}
	type opDef struct {
		name, what string
		target     float64 // at 4..max clients; 0: none
		service    func(c int) run
		ceiling    func(c int) run
		// blind, when set, runs after each ceiling: T's blind ceiling,
		// reported beside the one that does the same necessary work.
		blind func(c int) run
	}
	sqlite := e.o.driver == "sqlite"
	readTarget := 0.0
	if sqlite {
		readTarget = 0.30
	}
	ops := []opDef{
		{"C", "create (POST /requests, Idempotency-Key) vs raw tx{INSERT request; INSERT event; INSERT key}", e.target(0.60, 0.40),
			cl.service, func(c int) run { return cl.ceiling(ctx, c) }, nil},
		{"T", "transition (supervise) vs raw tx{SELECT row; UPDATE … WHERE version=?; INSERT event}", tTarget,
			tl.service, func(c int) run { return tl.ceiling(ctx, c, true) }, func(c int) run { return tl.ceiling(ctx, c, false) }},
		{"R", "read own request (GET /requests/{id}) vs raw SELECT * … WHERE id=? AND enterprise_id=?", readTarget,
			rl.service, func(c int) run { return rl.ceiling(ctx, c) }, nil},
	}
	var out []rowResult
	for _, op := range ops {
		for _, c := range levels {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			name := fmt.Sprintf("N %s×%d", op.name, c)
			res := rowResult{name: name, what: op.what, ratioLabel: "of raw"}
			fmt.Printf("\n-- %s (%s clients)\n", name, strconv.Itoa(c))
			var blind []run
			as, bs := pairsOf(e.o.sweepPairs, e.profiler(fmt.Sprintf("N-%s-%d", op.name, c)),
				func() run { return op.service(c) }, func() run {
					r := op.ceiling(c)
					if op.blind != nil {
						b := op.blind(c)
						blind = append(blind, b)
						fmt.Printf("          blind ceiling tx{UPDATE; INSERT} %s\n", describe(b))
					}
					return r
				})
			res.ratios = ratios(as, bs)
			res.absolute = absRuns("service", as) + "; " + absRuns("raw", bs)
			if op.blind != nil {
				res.absolute += "; " + absRuns("raw blind", blind) +
					fmt.Sprintf(" (service %.2f of the blind ceiling)", median(ratios(as, blind)))
			}
			switch {
			case op.target == 0 || c < 4:
				res.noTarget = true
				res.target = "–"
				if op.target > 0 {
					res.target = fmt.Sprintf("– (≥ %.2f from 4 clients)", op.target)
				}
			default:
				res.target = fmt.Sprintf("≥ %.2f", op.target)
				res.met = median(res.ratios) >= op.target
			}
			if msg := ranOK(as, bs, blind); msg != "" {
				res.failed = msg
			}
			out = append(out, res)
		}
	}
	cl.check("N C events = requests")
	return out, e.raceCheck()
}

// readLoad: each worker is an enterprise reading one of its own requests
// by id, through the service and raw.
type readLoad struct {
	e     *env
	toks  []string
	ents  []uint64
	ids   []uint64
	query string
}

func (e *env) newReadLoad(n int, cl *createLoad) (*readLoad, error) {
	l := &readLoad{e: e, toks: cl.toks, ents: make([]uint64, n), ids: make([]uint64, n),
		query: "SELECT * FROM requests WHERE id = ? AND enterprise_id = ?"}
	for w := 0; w < n; w++ {
		l.ents[w] = cl.ents[w].ID
		var r model.Request
		if err := e.db.Select("id").Where("enterprise_id = ?", l.ents[w]).Order("id").Take(&r).Error; err != nil {
			return nil, fmt.Errorf("a request of enterprise %d: %w", l.ents[w], err)
		}
		l.ids[w] = r.ID
	}
	return l, nil
}

func (l *readLoad) service(c int) run {
	e := l.e
	return closedLoop(c, e.o.duration, 1<<30, func(w, i int) (outcome, error) {
		st, b, err := e.cl.do("GET", fmt.Sprintf("%s/api/v1/requests/%d", e.svcURL(w), l.ids[w]), l.toks[w], nil)
		return expect(st, b, err, 200, 0)
	})
}

func (l *readLoad) ceiling(ctx context.Context, c int) run {
	e := l.e
	return closedLoop(c, e.o.duration, 1<<30, func(w, i int) (outcome, error) {
		rows, err := e.rawDB(w).QueryContext(ctx, l.query, l.ids[w], l.ents[w])
		if err != nil {
			return opError, err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return opError, err
		}
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(sql.RawBytes)
		}
		n := 0
		for rows.Next() {
			n++
			if err := rows.Scan(vals...); err != nil {
				return opError, err
			}
		}
		if err := rows.Err(); err != nil {
			return opError, err
		}
		if n != 1 {
			return opError, fmt.Errorf("raw read of request %d: %d rows", l.ids[w], n)
		}
		return opOK, nil
	})
}
