package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"qinqing/model"
)

// The galera row (-db galera): creates (row C) and transitions (row T)
// with two instances of the service on the local three-node Galera cluster
// (deploy/galera/cluster.sh start), instance a preferring node 1 and b
// node 2, the load generator's workers alternating between them, against
// the raw ceiling through the same two nodes in the same run; then the
// same rows with one instance on one MariaDB server (-dsn, default
// 127.0.0.1:3306), for the single-node figure beside it.
//
//	go run ./bench -db galera [-galera-ports 3311,3312,3313] [-dsn root@tcp(127.0.0.1:3306)/test] [-requests 10000]

// galeraMain runs the galera row and prints its table.
func galeraMain(ctx context.Context, o options) (int, error) {
	if o.requests == 1000000 { // the default of the other rows: too long to seed through Galera here
		o.requests, o.leads, o.enterprises = 10000, 1000, 200
	}
	ports := strings.Split(o.galeraPorts, ",")
	if len(ports) < 2 {
		return 1, fmt.Errorf("-galera-ports needs at least two nodes")
	}
	o.secret = make([]byte, 32)
	_, _ = rand.Read(o.secret)
	host, _ := os.Hostname()
	fmt.Printf("qinqing bench — %s, db=galera (nodes %s) beside one server, GOMAXPROCS=%d, host %s, %s\n",
		time.Now().Format(time.RFC3339), o.galeraPorts, runtimeProcs(), host, strings.TrimSpace(cpuModel()))
	fmt.Printf("pairs=%d duration=%s c=%d requests=%d smoke=%v\n", o.pairs, o.duration, o.conc, o.requests, o.smoke)

	type target struct {
		name string
		res  []rowResult
	}
	var targets []target
	code := 0
	for _, galera := range []bool{true, false} {
		name := "single node"
		if galera {
			name = "galera, 2 instances on 3 nodes"
		}
		fmt.Printf("\n=== %s\n", name)
		res, failed, err := galeraTarget(ctx, o, ports, galera)
		if err != nil {
			return 1, fmt.Errorf("%s: %w", name, err)
		}
		if failed {
			code = 1
		}
		targets = append(targets, target{name, res})
	}
	fmt.Printf("\n## galera row (%s)\n\n| row | galera: 2 instances, 3 nodes (median ratio, min–max) | single node (median ratio, min–max) | absolute, galera | absolute, single node |\n|---|---|---|---|---|\n",
		time.Now().Format("2006-01-02"))
	for i := range targets[0].res {
		g, s := targets[0].res[i], targets[1].res[i]
		cell := func(r rowResult) string {
			if r.failed != "" {
				return "failed: " + r.failed
			}
			lo, hi, unstable := r.spread()
			u := ""
			if unstable {
				u = " unstable"
			}
			return fmt.Sprintf("%.2f %s (%.2f–%.2f%s)", median(r.ratios), r.ratioLabel, lo, hi, u)
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", g.name, cell(g), cell(s), g.absolute, s.absolute)
	}
	if code != 0 {
		fmt.Println("\nRESULT: FAILED (a correctness check failed or a row did not run)")
	} else {
		fmt.Println("\nRESULT: every row ran and every correctness check passed")
	}
	return code, nil
}

// galeraTarget seeds a scratch database (on the cluster, or on the single
// server), starts the instances and runs rows C and T.
func galeraTarget(ctx context.Context, o options, ports []string, galera bool) ([]rowResult, bool, error) {
	o.driver = "mysql"
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "qq_bench_" + hex.EncodeToString(b[:])
	const params = "charset=utf8mb4&collation=utf8mb4_unicode_ci&parseTime=true&loc=UTC&time_zone=%27%2B00%3A00%27"
	rootDSN := "root@tcp(127.0.0.1:" + ports[0] + ")/"
	if !galera {
		rootDSN = o.dsn
		if rootDSN == "" {
			rootDSN = "root@tcp(127.0.0.1:3306)/"
		}
		rootDSN = rootDSN[:strings.LastIndex(rootDSN, "/")+1]
	}
	root, err := sql.Open("mysql", rootDSN)
	if err != nil {
		return nil, false, err
	}
	defer root.Close()
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return nil, false, fmt.Errorf("create the scratch database (is the cluster up? deploy/galera/cluster.sh start): %w", err)
	}
	defer func() { _, _ = root.Exec("DROP DATABASE IF EXISTS " + name) }()
	dsnFor := func(first int) string {
		if !galera {
			return rootDSN + name + "?" + params
		}
		addrs := make([]string, len(ports))
		for i := range ports {
			addrs[i] = "127.0.0.1:" + ports[(first+i)%len(ports)]
		}
		return strings.Replace(rootDSN, "127.0.0.1:"+ports[0], strings.Join(addrs, ","), 1) + name + "?" + params
	}
	e, closeA, err := start(ctx, o, dsnFor(0))
	if err != nil {
		return nil, false, err
	}
	defer closeA()
	stores := []*model.Store{e.store}
	if galera {
		other, closeB, err := start(ctx, o, dsnFor(1))
		if err != nil {
			return nil, false, err
		}
		defer closeB()
		e.bases, e.raws = []string{e.base, other.base}, []*sql.DB{e.raw, other.raw}
		stores = append(stores, other.store)
	}
	hash, err := model.DefaultHasher().Hash(e.password)
	if err != nil {
		return nil, false, err
	}
	t0 := time.Now()
	e.seed, err = e.store.Seed(ctx, model.SeedOptions{Requests: o.requests, Leads: o.leads, Enterprises: o.enterprises,
		PasswordHash: hash, Seed: 42})
	if err != nil {
		return nil, false, err
	}
	fmt.Printf("seeded %d requests, %d request events in %s\n", e.seed.Requests, e.seed.RequestEvents, time.Since(t0).Round(time.Millisecond))
	for _, t := range []string{"requests", "events", "accounts", "enterprises"} {
		_, _ = e.raw.ExecContext(ctx, "ANALYZE TABLE "+t)
	}
	var out []rowResult
	for _, r := range []struct {
		name string
		fn   func(context.Context) (rowResult, error)
	}{{"C", e.rowC}, {"T", e.rowT}} {
		fmt.Printf("\n== row %s\n", r.name)
		res, err := r.fn(ctx)
		if err != nil {
			res.name, res.failed = r.name, err.Error()
			fmt.Printf("  row %s failed: %v\n", r.name, err)
		}
		out = append(out, res)
	}
	if galera {
		for i, st := range stores {
			conflicts, lost := st.TxRetries()
			fmt.Printf("  instance %d: transactions run again after a certification conflict %d, after a lost connection %d\n", i+1, conflicts, lost)
		}
	}
	failed := false
	for _, c := range e.checks {
		failed = failed || !c.ok
	}
	for _, r := range out {
		failed = failed || r.failed != ""
	}
	return out, failed, nil
}
