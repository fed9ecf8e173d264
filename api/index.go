package api

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/configs"
	"qinqing/index"
	"qinqing/model"
	"qinqing/workflow"
)

// Index runs (工商联) and the published index (public), docs/index-method.md.

// groupOrder is the order peer groups are shown in.
var groupOrder = []string{model.GroupCounty, model.GroupCity, model.GroupTown}

// round rounds x to places decimals, for display; reports keep full precision.
func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

func roundPtr(x *float64, places int) *float64 {
	if x == nil {
		return nil
	}
	v := round(*x, places)
	return &v
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type runView struct {
	ID          string  `json:"id"`
	Period      string  `json:"period"`
	Version     int     `json:"version"`
	Status      string  `json:"status"`
	StatusLabel string  `json:"status_label"`
	Method      string  `json:"method"`
	MethodLabel string  `json:"method_label"`
	TreeVersion string  `json:"tree_version"`
	AsOf        string  `json:"as_of"`
	Provisional bool    `json:"provisional"`
	CreatedAt   string  `json:"created_at"`
	CreatedBy   string  `json:"created_by"`
	PublishedAt *string `json:"published_at"`
	PublishedBy *string `json:"published_by"`
}

func (s *Server) runView(r *model.IndexRun) runView {
	return runView{ID: idString(r.ID), Period: r.Period, Version: r.Version, Status: r.Status, StatusLabel: runStatusLabels[r.Status],
		Method: r.Method, MethodLabel: methodLabels[r.Method], TreeVersion: r.TreeVersion, AsOf: s.ts(r.AsOf),
		Provisional: r.Provisional, CreatedAt: s.ts(r.CreatedAt), CreatedBy: idString(r.CreatedBy),
		PublishedAt: s.optTS(r.PublishedAt), PublishedBy: optID(r.PublishedBy)}
}

// runDetailView is a run for 工商联: the ranking and every value gathered.
type runDetailView struct {
	runView
	Indicators []nodeRefView    `json:"indicators"`
	Groups     []groupView      `json:"groups"`
	Values     []leafValuesView `json:"values"`
}

type nodeRefView struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

type groupView struct {
	Group string         `json:"group"`
	Label string         `json:"label"`
	Units []unitRankView `json:"units"`
}

type unitRankView struct {
	Code     string      `json:"code"`
	Name     string      `json:"name"`
	Total    *float64    `json:"total"`
	Rank     *int        `json:"rank"`
	N        int         `json:"n"`
	Note     *string     `json:"note"`
	Coverage float64     `json:"coverage"`
	Level1   []scoreView `json:"level1"`
}

type scoreView struct {
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Score       *float64 `json:"score"`
	Rank        *int     `json:"rank"`
	N           int      `json:"n"`
	Missing     bool     `json:"missing"`
	Reason      *string  `json:"reason"`
	ReasonLabel *string  `json:"reason_label"`
	Note        *string  `json:"note"`
}

type leafValuesView struct {
	Code   string          `json:"code"`
	Name   string          `json:"name"`
	Source string          `json:"source"`
	Unit   string          `json:"unit"`
	Units  []unitValueView `json:"units"`
}

type unitValueView struct {
	UnitCode    string   `json:"unit_code"`
	Value       *float64 `json:"value"`
	Missing     bool     `json:"missing"`
	Reason      *string  `json:"reason"`
	N           int      `json:"n"`
	Numerator   float64  `json:"numerator"`
	Denominator float64  `json:"denominator"`
}

// loadedRun is a run with its documents decoded.
type loadedRun struct {
	run    *model.IndexRun
	tree   configs.IndicatorTree
	report index.Report
	units  map[string]index.UnitReport
}

func loadRun(r *model.IndexRun) (*loadedRun, error) {
	tree, err := r.Tree()
	if err != nil {
		return nil, err
	}
	rep, err := r.Report()
	if err != nil {
		return nil, err
	}
	lr := &loadedRun{run: r, tree: tree, report: rep, units: map[string]index.UnitReport{}}
	for _, u := range rep.Units {
		lr.units[u.Code] = u
	}
	return lr, nil
}

func (lr *loadedRun) level1() []nodeRefView {
	out := make([]nodeRefView, len(lr.tree.Nodes))
	for i, n := range lr.tree.Nodes {
		out[i] = nodeRefView{Code: n.Code, Name: n.Name, Weight: n.Weight}
	}
	return out
}

func scoreOf(code, name string, ns index.NodeScore) scoreView {
	v := scoreView{Code: code, Name: name, Score: roundPtr(ns.Score, 2), Rank: ns.Rank, N: ns.N, Missing: ns.Missing,
		Reason: strPtr(ns.Reason), Note: strPtr(ns.Note)}
	if l, ok := reasonLabels[ns.Reason]; ok {
		v.ReasonLabel = &l
	}
	return v
}

// groups is the ranking: per peer group, units by rank (unranked last,
// then by code), with their total and level-1 scores.
func (lr *loadedRun) groups() []groupView {
	byGroup := map[string][]index.UnitReport{}
	for _, u := range lr.report.Units {
		byGroup[u.Group] = append(byGroup[u.Group], u)
	}
	out := []groupView{}
	for _, g := range groupOrder {
		units := byGroup[g]
		if len(units) == 0 {
			continue
		}
		sortByRank(units)
		gv := groupView{Group: g, Label: groupLabels[g], Units: make([]unitRankView, len(units))}
		for i, u := range units {
			uv := unitRankView{Code: u.Code, Name: u.Name, Total: roundPtr(u.Total, 2), Rank: u.Rank, N: u.N,
				Note: strPtr(u.Note), Coverage: round(u.Coverage, 4), Level1: make([]scoreView, len(lr.tree.Nodes))}
			for j, n := range lr.tree.Nodes {
				uv.Level1[j] = scoreOf(n.Code, n.Name, u.Scores[n.Code])
			}
			gv.Units[i] = uv
		}
		out = append(out, gv)
	}
	return out
}

func sortByRank(units []index.UnitReport) {
	slices.SortStableFunc(units, func(a, b index.UnitReport) int {
		switch {
		case a.Rank == nil && b.Rank == nil:
			return cmp.Compare(a.Code, b.Code)
		case a.Rank == nil:
			return 1
		case b.Rank == nil:
			return -1
		}
		return cmp.Or(cmp.Compare(*a.Rank, *b.Rank), cmp.Compare(a.Code, b.Code))
	})
}

func (s *Server) runDetail(lr *loadedRun) (runDetailView, error) {
	in, err := lr.run.Inputs()
	if err != nil {
		return runDetailView{}, err
	}
	out := runDetailView{runView: s.runView(lr.run), Indicators: lr.level1(), Groups: lr.groups(), Values: []leafValuesView{}}
	for _, l := range lr.tree.Leaves() {
		lv := leafValuesView{Code: l.Code, Name: l.Name, Source: l.Source, Unit: l.Unit, Units: make([]unitValueView, 0, len(in.Units))}
		for _, u := range in.Units {
			v := in.Values[l.Code][u.Code]
			uv := unitValueView{UnitCode: u.Code, Missing: v.Missing, Reason: strPtr(v.Reason), N: v.N, Numerator: v.Num, Denominator: v.Den}
			if !v.Missing {
				x := round(v.X, 4)
				uv.Value = &x
			}
			lv.Units = append(lv.Units, uv)
		}
		out.Values = append(out.Values, lv)
	}
	return out, nil
}

// runTimeout bounds the computation of a run, below the HTTP server's
// 60-second write timeout.
const runTimeout = 55 * time.Second

type createRunBody struct {
	Period string `json:"period" validate:"required,max=8"`
}

// createRun computes the index for a period with the tree in force and
// keeps it as a draft (工商联 at the city).
func (s *Server) createRun(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "index_run", "create"); err != nil {
		return err
	}
	var b createRunBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	run, err := s.computeRun(c.Request.Context(), p, b.Period)
	if err != nil {
		return err
	}
	lr, err := loadRun(run)
	if err != nil {
		return err
	}
	out, err := s.runDetail(lr)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/index/runs/"+idString(run.ID))
	c.JSON(http.StatusCreated, out)
	return nil
}

// computeRun computes the index of period with the tree in force and keeps
// it as a draft: the use case of POST /index/runs and of the console's
// 测算 button (the caller has passed mayEver).
func (s *Server) computeRun(ctx context.Context, p *principal, period string) (*model.IndexRun, error) {
	if msg := s.periodProblem(period); msg != "" {
		return nil, workflow.Invalid("period", msg)
	}
	if err := s.allow(p, "index_run", "create", ""); err != nil {
		return nil, err
	}
	per, err := model.ParsePeriod(period, s.cal.Location())
	if err != nil {
		return nil, workflow.Invalid("period", err.Error())
	}
	// A run reads a whole period of cases: it gets its own time budget
	// instead of QINQING_REQUEST_TIMEOUT, within the server's write timeout,
	// and a client that goes away does not cancel it (the draft is then
	// found with GET /index/runs).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runTimeout)
	defer cancel()
	return s.store.CreateRun(ctx, per, p.account.ID)
}

// findRun loads the run of the path's id for act (工商联 at the city).
func (s *Server) findRun(c *gin.Context, act string) (*model.IndexRun, error) {
	if err := s.mayEver(principalOf(c), "index_run", act); err != nil {
		return nil, err
	}
	if err := s.allow(principalOf(c), "index_run", act, ""); err != nil {
		return nil, err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return nil, err
	}
	return s.store.FindRun(c.Request.Context(), id)
}

// readRun reads and decodes the run of the path for 工商联 (no query
// parameters accepted).
func (s *Server) readRun(c *gin.Context) (*loadedRun, error) {
	if err := s.query(c).err(); err != nil {
		return nil, err
	}
	return s.loadPathRun(c)
}

// loadPathRun reads and decodes the run of the path for 工商联, whatever
// the query (the console's pages carry their own parameters).
func (s *Server) loadPathRun(c *gin.Context) (*loadedRun, error) {
	run, err := s.findRun(c, "read")
	if err != nil {
		return nil, err
	}
	return loadRun(run)
}

func (s *Server) getRun(c *gin.Context) error {
	lr, err := s.readRun(c)
	if err != nil {
		return err
	}
	out, err := s.runDetail(lr)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// getRunRegion is a region's report in any run, drafts included, so that
// 工商联 can review a draft before publishing it.
func (s *Server) getRunRegion(c *gin.Context) error {
	lr, err := s.readRun(c)
	if err != nil {
		return err
	}
	out, err := s.regionReport(lr, c.Param("code"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// publishRun publishes a draft; a published run never changes.
func (s *Server) publishRun(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "index_run", "publish"); err != nil {
		return err
	}
	id, err := parsePathID(c.Param("id"))
	if err != nil {
		return err
	}
	run, err := s.publish(c.Request.Context(), p, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.runView(run))
	return nil
}

// publish publishes the draft run id: the use case of POST
// /index/runs/{id}/publish and of the console's 发布 button (the caller has
// passed mayEver).
func (s *Server) publish(ctx context.Context, p *principal, id uint64) (*model.IndexRun, error) {
	if err := s.allow(p, "index_run", "publish", ""); err != nil {
		return nil, err
	}
	run, err := s.store.PublishRun(ctx, id, p.account.ID)
	if err != nil {
		return nil, notConfirmedDetail(err)
	}
	return run, nil
}

type runListView = listView[runView]

// listRuns lists the runs of a period (or all), newest first.
func (s *Server) listRuns(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "index_run", "read"); err != nil {
		return err
	}
	q := s.query(c, "period", "status")
	period, status := q.str("period", 8), q.str("status", 16)
	if period != "" {
		if _, err := model.ParsePeriod(period, s.cal.Location()); err != nil {
			q.errs.Add("period", "期间格式应为 2026、2026-Q3 或 2026-11")
		}
	}
	if status != "" && status != model.RunDraft && status != model.RunPublished {
		q.errs.Add("status", "应为 draft 或 published")
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	if err := s.allow(p, "index_run", "read", ""); err != nil {
		return err
	}
	runs, next, err := s.store.ListRuns(c.Request.Context(), period, status, page)
	if err != nil {
		return err
	}
	out := make([]runView, len(runs))
	for i := range runs {
		out[i] = s.runView(&runs[i])
	}
	c.JSON(http.StatusOK, newList(out, next))
	return nil
}

// The published index (no login).

// publishedRun loads the latest published run of the path's period; a
// malformed period, or one without a published run, is not found (drafts
// are never shown).
func (s *Server) publishedRun(c *gin.Context) (*loadedRun, error) {
	if err := s.query(c).err(); err != nil {
		return nil, err
	}
	period := c.Param("period")
	if _, err := model.ParsePeriod(period, s.cal.Location()); err != nil {
		return nil, model.ErrNotFound
	}
	run, err := s.store.LatestPublished(c.Request.Context(), period)
	if err != nil {
		return nil, err
	}
	return loadRun(run)
}

type indexView struct {
	Period      string        `json:"period"`
	RunID       string        `json:"run_id"`
	Version     int           `json:"version"`
	Method      string        `json:"method"`
	MethodLabel string        `json:"method_label"`
	TreeVersion string        `json:"tree_version"`
	AsOf        string        `json:"as_of"`
	Provisional bool          `json:"provisional"`
	PublishedAt string        `json:"published_at"`
	Indicators  []nodeRefView `json:"indicators"`
	Groups      []groupView   `json:"groups"`
}

func (s *Server) publishedHeader(lr *loadedRun) indexView {
	r := lr.run
	v := indexView{Period: r.Period, RunID: idString(r.ID), Version: r.Version, Method: r.Method, MethodLabel: methodLabels[r.Method],
		TreeVersion: r.TreeVersion, AsOf: s.ts(r.AsOf), Provisional: r.Provisional, Indicators: lr.level1()}
	if r.PublishedAt != nil {
		v.PublishedAt = s.ts(*r.PublishedAt)
	}
	return v
}

// getIndex answers the published index of a period: every evaluated unit
// with its total and level-1 scores and ranks, per peer group.
func (s *Server) getIndex(c *gin.Context) error {
	lr, err := s.publishedRun(c)
	if err != nil {
		return err
	}
	out := s.publishedHeader(lr)
	out.Groups = lr.groups()
	c.JSON(http.StatusOK, out)
	return nil
}

// getIndexRegion answers one unit's report in the published index.
func (s *Server) getIndexRegion(c *gin.Context) error {
	lr, err := s.publishedRun(c)
	if err != nil {
		return err
	}
	out, err := s.regionReport(lr, c.Param("code"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

type regionRefView struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Group      string `json:"group"`
	GroupLabel string `json:"group_label"`
}

type unitRefView struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type nodeScoreView struct {
	scoreView
	Level           int      `json:"level"`
	ParentCode      *string  `json:"parent_code"`
	Weight          float64  `json:"weight"`
	Leaf            bool     `json:"leaf"`
	Source          *string  `json:"source"`
	SourceLabel     *string  `json:"source_label"`
	Direction       *string  `json:"direction"`
	Unit            *string  `json:"unit"`
	Owner           *string  `json:"owner"`
	OwnerName       *string  `json:"owner_name"`
	Coverage        float64  `json:"coverage"`
	Raw             *float64 `json:"raw"`
	Cases           int      `json:"cases"`
	EffectiveWeight *float64 `json:"effective_weight"`
}

type strengthView struct {
	Code  string  `json:"code"`
	Name  string  `json:"name"`
	Level int     `json:"level"`
	Score float64 `json:"score"`
	Rank  int     `json:"rank"`
	N     int     `json:"n"`
}

type promoteView struct {
	Code  string  `json:"code"`
	Name  string  `json:"name"`
	Unit  string  `json:"unit"`
	Raw   float64 `json:"raw"`
	Score float64 `json:"score"`
	Rank  int     `json:"rank"`
	N     int     `json:"n"`
}

type rectifyView struct {
	Code              string        `json:"code"`
	Name              string        `json:"name"`
	Kind              string        `json:"kind"`
	KindLabel         string        `json:"kind_label"`
	Unit              *string       `json:"unit"`
	Owner             *string       `json:"owner"`
	OwnerName         *string       `json:"owner_name"`
	Reason            *string       `json:"reason"`
	ReasonLabel       *string       `json:"reason_label"`
	Raw               *float64      `json:"raw"`
	Score             *float64      `json:"score"`
	Rank              *int          `json:"rank"`
	N                 *int          `json:"n"`
	ScoreGap          *float64      `json:"score_gap"`
	BestRaw           *float64      `json:"best_raw"`
	RawGap            *float64      `json:"raw_gap"`
	Benchmarks        []unitRefView `json:"benchmarks"`
	Weight            *float64      `json:"weight"`
	WeightedShortfall *float64      `json:"weighted_shortfall"`
}

type regionReportView struct {
	Period      string          `json:"period"`
	RunID       string          `json:"run_id"`
	Version     int             `json:"version"`
	Status      string          `json:"status"`
	Method      string          `json:"method"`
	MethodLabel string          `json:"method_label"`
	TreeVersion string          `json:"tree_version"`
	AsOf        string          `json:"as_of"`
	Provisional bool            `json:"provisional"`
	PublishedAt *string         `json:"published_at"`
	Region      regionRefView   `json:"region"`
	Total       *float64        `json:"total"`
	Rank        *int            `json:"rank"`
	N           int             `json:"n"`
	Note        *string         `json:"note"`
	Coverage    float64         `json:"coverage"`
	Scores      []nodeScoreView `json:"scores"`
	Strengths   []strengthView  `json:"strengths"`
	Weaknesses  []strengthView  `json:"weaknesses"`
	Promote     []promoteView   `json:"promote"`
	Rectify     []rectifyView   `json:"rectify"`
}

// treeNode is a node of the tree with its place in it.
type treeNode struct {
	configs.Indicator
	level  int
	parent string
}

func flatten(t configs.IndicatorTree) []treeNode {
	var out []treeNode
	var walk func(nodes []configs.Indicator, level int, parent string)
	walk = func(nodes []configs.Indicator, level int, parent string) {
		for _, n := range nodes {
			out = append(out, treeNode{Indicator: n, level: level, parent: parent})
			walk(n.Children, level+1, n.Code)
		}
	}
	walk(t.Nodes, 1, "")
	return out
}

// regionReport is unit code's report in lr: every node's score and rank
// among its peers, its strengths and weaknesses and its two-way list.
func (s *Server) regionReport(lr *loadedRun, code string) (regionReportView, error) {
	u, ok := lr.units[code]
	if !ok {
		return regionReportView{}, model.ErrNotFound
	}
	ref := s.ref
	unitName := map[string]string{}
	for _, x := range lr.report.Units {
		unitName[x.Code] = x.Name
	}
	nodes := flatten(lr.tree)
	byCode := map[string]treeNode{}
	for _, n := range nodes {
		byCode[n.Code] = n
	}
	r := lr.run
	out := regionReportView{Period: r.Period, RunID: idString(r.ID), Version: r.Version, Status: r.Status, Method: r.Method,
		MethodLabel: methodLabels[r.Method], TreeVersion: r.TreeVersion, AsOf: s.ts(r.AsOf), Provisional: r.Provisional,
		PublishedAt: s.optTS(r.PublishedAt),
		Region:      regionRefView{Code: u.Code, Name: u.Name, Group: u.Group, GroupLabel: groupLabels[u.Group]},
		Total:       roundPtr(u.Total, 2), Rank: u.Rank, N: u.N, Note: strPtr(u.Note), Coverage: round(u.Coverage, 4),
		Scores: make([]nodeScoreView, 0, len(nodes)), Strengths: []strengthView{}, Weaknesses: []strengthView{},
		Promote: []promoteView{}, Rectify: []rectifyView{}}
	for _, n := range nodes {
		ns := u.Scores[n.Code]
		v := nodeScoreView{scoreView: scoreOf(n.Code, n.Name, ns), Level: n.level, ParentCode: strPtr(n.parent), Weight: n.Weight,
			Leaf: n.IsLeaf(), Coverage: round(ns.Coverage, 4), Raw: roundPtr(ns.Raw, 4), Cases: ns.Cases}
		if n.IsLeaf() {
			v.Source, v.Direction, v.Unit, v.Owner = strPtr(n.Source), strPtr(n.Direction), strPtr(n.Unit), strPtr(n.Owner)
			if l, ok := sourceLabels[n.Source]; ok {
				v.SourceLabel = &l
			}
			if n.Owner != "" {
				v.OwnerName = strPtr(deptLabel(ref, n.Owner))
			}
			if w, ok := u.EffectiveWeights[n.Code]; ok {
				v.EffectiveWeight = roundPtr(&w, 4)
			}
		}
		out.Scores = append(out.Scores, v)
	}
	sw := func(codes []string) []strengthView {
		list := make([]strengthView, 0, len(codes))
		for _, c := range codes {
			ns := u.Scores[c]
			if ns.Score == nil || ns.Rank == nil {
				continue
			}
			list = append(list, strengthView{Code: c, Name: byCode[c].Name, Level: byCode[c].level,
				Score: round(*ns.Score, 2), Rank: *ns.Rank, N: ns.N})
		}
		return list
	}
	out.Strengths, out.Weaknesses = sw(u.Strengths), sw(u.Weaknesses)
	for _, p := range u.Promote {
		out.Promote = append(out.Promote, promoteView{Code: p.Code, Name: p.Name, Unit: p.Unit, Raw: round(p.Raw, 4),
			Score: round(p.Score, 2), Rank: p.Rank, N: p.N})
	}
	for _, it := range u.Rectify {
		v := rectifyView{Code: it.Code, Name: it.Name, Kind: it.Kind, KindLabel: rectifyKindLabels[it.Kind], Unit: strPtr(it.Unit),
			Owner: strPtr(it.Owner), Reason: strPtr(it.Reason), Raw: roundPtr(it.Raw, 4), Score: roundPtr(it.Score, 2),
			ScoreGap: roundPtr(it.ScoreGap, 2), BestRaw: roundPtr(it.BestRaw, 4), RawGap: roundPtr(it.RawGap, 4),
			Weight: roundPtr(it.Weight, 4), WeightedShortfall: roundPtr(it.WeightedShortfall, 2), Benchmarks: []unitRefView{}}
		if it.Owner != "" {
			v.OwnerName = strPtr(deptLabel(ref, it.Owner))
		}
		if l, ok := reasonLabels[it.Reason]; ok {
			v.ReasonLabel = &l
		}
		if it.Kind == index.RectifyGap {
			rank, n := it.Rank, it.N
			v.Rank, v.N = &rank, &n
		}
		for _, b := range it.Benchmarks {
			v.Benchmarks = append(v.Benchmarks, unitRefView{Code: b, Name: unitName[b]})
		}
		out.Rectify = append(out.Rectify, v)
	}
	return out, nil
}
