package api

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// Repeats (重复诉求): GET /api/v1/requests/{id}/similar lists the requests
// the caller may see that may be the same matter (workflow.Similarity): of
// the same enterprise, or of the same category in the same region, filed
// in the 90 days before it, most similar first. 工商联 merges a repeat
// into the request that carries the matter on (action merge).

// maxSimilar is how many candidates are shown.
const maxSimilar = 10

// similarScan is how many recent requests of each kind are compared.
const similarScan = 200

type similarView struct {
	ID             string  `json:"id"`
	RefNo          string  `json:"ref_no"`
	Title          string  `json:"title"`
	Status         string  `json:"status"`
	StatusLabel    string  `json:"status_label"`
	CreatedAt      string  `json:"created_at"`
	Score          float64 `json:"score"`
	SameEnterprise bool    `json:"same_enterprise"`
	// Mergeable: the request at the path may be merged into this one (same
	// enterprise, not merged, withdrawn or rejected); whether the caller may
	// merge is GET …/transitions' business.
	Mergeable bool `json:"mergeable"`
}

func (s *Server) similarRequests(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "request", "read"); err != nil {
		return err
	}
	r, err := s.findRequest(c.Request.Context(), p, c.Param("id"), "read")
	if err != nil {
		return err
	}
	out, err := s.similar(c.Request.Context(), p, r)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}

// similar is the repeat candidates of r that p may see.
func (s *Server) similar(ctx context.Context, p *principal, r *model.Request) ([]similarView, error) {
	since := r.CreatedAt.Add(-workflow.RepeatWindowDays * 24 * time.Hour)
	cands, err := s.store.RepeatCandidates(ctx, p.scope, r, since, similarScan)
	if err != nil {
		return nil, err
	}
	out := []similarView{}
	for i := range cands {
		x := &cands[i]
		score := workflow.Similarity(r.Title, r.Content, x.Title, x.Content)
		if score < workflow.RepeatThreshold {
			continue
		}
		st, _ := workflow.Request.State(workflow.Status(x.Status))
		same := x.EnterpriseID == r.EnterpriseID
		out = append(out, similarView{ID: idString(x.ID), RefNo: model.RefNo("QH", x.ID, x.CreatedAt, s.cal.Location()),
			Title: x.Title, Status: x.Status, StatusLabel: st.Label, CreatedAt: s.ts(x.CreatedAt),
			Score: math.Round(score*100) / 100, SameEnterprise: same,
			Mergeable: same && workflow.MergeTarget(workflow.Status(x.Status))})
	}
	slices.SortStableFunc(out, func(a, b similarView) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.CreatedAt, a.CreatedAt))
	})
	return out[:min(len(out), maxSimilar)], nil
}
