package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"qinqing/api"
	"qinqing/configs"
	"qinqing/model"
)

// runAudit is `qinqing audit verify`: it walks every timeline's hash chain
// in the configured database (streaming, case by case) and prints the
// report as JSON. A broken chain is an error (exit status 1). It changes
// nothing: the database must already be migrated by the service.
func runAudit(ctx context.Context, cfg configs.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "verify" {
		return fmt.Errorf("usage: qinqing [-config FILE] audit verify")
	}
	db, err := model.Open(cfg.DB.Driver, cfg.DB.DSN, model.ConnOptions{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	// Verifying reads events only: no reference data, no migration.
	store := model.NewStore(db, nil, model.StoreOptions(cfg), time.Now)
	defer store.Close()
	rep, err := store.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	out, _ := json.MarshalIndent(api.AuditView(rep), "", "  ")
	fmt.Fprintln(stdout, string(out))
	if !rep.OK {
		b := rep.FirstBroken
		return fmt.Errorf("audit chain broken: %d event(s); first: %s %d, event %d (%s)",
			rep.BrokenEvents, b.CaseKind, b.CaseID, b.EventID, b.Reason)
	}
	return nil
}
