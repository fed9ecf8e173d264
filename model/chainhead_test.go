package model

import (
	"context"
	"testing"

	"qinqing/workflow"
)

// TestTransitionsChainThroughTheRow: a request's transitions take the
// previous hash from the row (chain_head) once a transition recorded it,
// and the chain verifies; a chain_head edited in the database does not
// hide anything: the next event's link is broken and verification says so.
func TestTransitionsChainThroughTheRow(t *testing.T) {
	for driver, db := range testDBs(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			s, _ := newTestStore(t, db, "", nil)
			ids := fileN(t, s, 2, 2) // filed and assigned
			unitScope := Scope{Role: workflow.RoleDepartment, DepartmentCode: "scjg", Regions: []string{"330203"}}
			unit := Actor{AccountID: 91, Role: workflow.RoleDepartment, RegionCode: "330203", DepartmentCode: "scjg"}
			for _, id := range ids {
				if _, err := s.TransitionRequest(ctx, unitScope, unit, id, workflow.Command{Action: workflow.Claim}, nil, Guard{Grant: AllRegions()}); err != nil {
					t.Fatal(err)
				}
			}
			var r Request
			if err := s.db.Take(&r, ids[0]).Error; err != nil {
				t.Fatal(err)
			}
			var newest Event
			if err := s.db.Where("case_kind = ? AND case_id = ?", "request", ids[0]).Order("id DESC").Take(&newest).Error; err != nil {
				t.Fatal(err)
			}
			if r.ChainHead == nil || *r.ChainHead != newest.Hash {
				t.Fatalf("chain_head %v, want the newest event's hash %s", r.ChainHead, newest.Hash)
			}
			if rep, err := s.VerifyAudit(ctx); err != nil || !rep.OK {
				t.Fatalf("audit: %+v %v", rep, err)
			}
			if err := s.db.Model(&Request{}).Where("id = ?", ids[1]).Update("chain_head", "0000").Error; err != nil {
				t.Fatal(err)
			}
			respond := workflow.Command{Action: workflow.Respond, Present: []string{"response"}, Response: "已协调解决。"}
			if _, err := s.TransitionRequest(ctx, unitScope, unit, ids[1], respond, nil, Guard{Grant: AllRegions()}); err != nil {
				t.Fatal(err)
			}
			rep, err := s.VerifyAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.FirstBroken == nil || rep.FirstBroken.CaseID != ids[1] || rep.FirstBroken.Reason != "chain_broken" {
				t.Fatalf("audit after chain_head was edited: %+v %+v, want chain_broken at request %d", rep, rep.FirstBroken, ids[1])
			}
		})
	}
}
