package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"qinqing/configs"
	"qinqing/model"
)

// runSeed is `qinqing seed`: it fills the configured database (the same
// QINQING_DB_DRIVER / QINQING_DB_DSN as serve) with a synthetic data set for
// measurements at scale (README "Performance").
//
//	qinqing seed --requests 1000000 --leads 100000 [--months 18] [--enterprises 20000]
func runSeed(ctx context.Context, args []string, config string, lookup func(string) (string, bool), stdout io.Writer) error {
	fs := flag.NewFlagSet("qinqing seed", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { printUsage(stdout) }
	path := fs.String("config", config, "YAML configuration file (as for serve)")
	// A small demo by default; the benchmark's million is -requests 1000000.
	requests := fs.Int("requests", 2000, "enterprise requests to write")
	leads := fs.Int("leads", 200, "leads to write (only when the leads table exists)")
	months := fs.Int("months", 18, "months before now that the data spreads over")
	enterprises := fs.Int("enterprises", 200, "enterprises to write (one enterprise account each)")
	password := fs.String("password", "", "password of every seeded account (default: QINQING_SEED_PASSWORD, else seed-password-1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("seed: unexpected argument %q", fs.Arg(0))
	}
	if *requests < 0 || *leads < 0 || *months <= 0 || *enterprises <= 0 {
		return errors.New("seed: sizes must be positive")
	}
	if *password == "" {
		if p, ok := lookup("QINQING_SEED_PASSWORD"); ok && p != "" {
			*password = p
		} else {
			*password = "seed-password-1"
		}
	}
	cfg, err := configs.Load(configPath(*path, lookup), lookup)
	if err != nil {
		return err
	}
	raw, err := configs.LoadReference()
	if err != nil {
		return err
	}
	ref, err := model.NewReference(raw)
	if err != nil {
		return err
	}
	store, err := model.OpenStore(ctx, cfg, ref, time.Now)
	if err != nil {
		return err
	}
	defer store.Close()
	hash, err := model.DefaultHasher().Hash(*password)
	if err != nil {
		return err
	}
	start := time.Now()
	last := time.Time{}
	fmt.Fprintf(stdout, "seeding %s: %d requests, %d leads, %d enterprises over %d months\n",
		cfg.DB.Driver, *requests, *leads, *enterprises, *months)
	res, err := store.Seed(ctx, model.SeedOptions{Requests: *requests, Leads: *leads, Enterprises: *enterprises,
		Months: *months, PasswordHash: hash, Progress: func(stage string, done, total int) {
			if done == total || time.Since(last) > 2*time.Second {
				last = time.Now()
				fmt.Fprintf(stdout, "  %-13s %9d / %-9d  %6.1fs\n", stage, done, total, time.Since(start).Seconds())
			}
		}})
	if err != nil {
		return err
	}
	if err := store.Analyze(ctx); err != nil {
		return err
	}
	rows := res.Enterprises + res.Stations + res.Accounts + res.Requests + res.RequestEvents + res.Leads + res.LeadEvents
	fmt.Fprintf(stdout, "done in %s (%.0f rows/s)\n", res.Elapsed.Round(time.Millisecond), float64(rows)/res.Elapsed.Seconds())
	fmt.Fprintf(stdout, "  enterprises %d, stations %d, accounts %d (usernames %s-<kind>-<key>, password as given)\n",
		res.Enterprises, res.Stations, res.Accounts, res.Tag)
	fmt.Fprintf(stdout, "  requests %d (ids %d–%d; open %d of which overdue %d, closed %d, rejected/withdrawn %d), events %d\n",
		res.Requests, res.FirstRequestID, res.LastRequestID, res.OpenRequests, res.OverdueRequests, res.ClosedRequests,
		res.RejectedOrWithdrawn, res.RequestEvents)
	if res.LeadsSkipped != "" {
		fmt.Fprintf(stdout, "  leads skipped: %s\n", res.LeadsSkipped)
	} else {
		fmt.Fprintf(stdout, "  leads %d, events %d\n", res.Leads, res.LeadEvents)
	}
	fmt.Fprintf(stdout, "  sign in as e.g. %s or %s\n", model.SeedUsername(res.Tag, "acfic", ref.RegionList[0].Code),
		model.SeedUsername(res.Tag, "ent", "1"))
	return nil
}

// configPath resolves the configuration file as serve does: the flag, else
// QINQING_CONFIG, else configs/config.yaml when present, else the embedded default.
func configPath(path string, lookup func(string) (string, bool)) string {
	if path != "" {
		return path
	}
	if p, ok := lookup("QINQING_CONFIG"); ok && p != "" {
		return p
	}
	if _, err := os.Stat("configs/config.yaml"); err == nil {
		return "configs/config.yaml"
	}
	return ""
}
