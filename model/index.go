package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"qinqing/configs"
	"qinqing/index"
)

// The 亲清健康指数 (docs/index-method.md): the indicator tree in force, the
// values departments submit, the enterprise questionnaire, and index runs
// that gather every leaf value for every evaluated unit, score them with
// package index and keep the result.

// StoredTree is an indicator tree uploaded by 工商联. The tree in force is
// the latest one; with none uploaded it is the embedded sample
// (configs/indicators.yaml). Trees are never changed or deleted: a run
// keeps a copy of the tree it was computed with.
type StoredTree struct {
	ID      uint64 `gorm:"primaryKey"`
	Version string `gorm:"size:32;not null;uniqueIndex"`
	// Body is the tree as JSON (configs.IndicatorTree, defaults filled in).
	Body      string    `gorm:"type:longtext;not null"`
	CreatedBy uint64    `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// TableName names the table of StoredTree.
func (StoredTree) TableName() string { return "indicator_trees" }

// IndicatorValue is one submission of a department-submitted indicator for
// a region and period. A resubmission adds a row: the value in force is the
// one with the highest id, and the earlier ones are the history.
type IndicatorValue struct {
	ID             uint64    `gorm:"primaryKey;index:idx_indicator_values_key,priority:4"`
	Period         string    `gorm:"size:8;not null;index:idx_indicator_values_key,priority:1"`
	IndicatorCode  string    `gorm:"size:16;not null;index:idx_indicator_values_key,priority:2"`
	RegionCode     string    `gorm:"size:16;not null;index:idx_indicator_values_key,priority:3"`
	Value          float64   `gorm:"not null"`
	SubmittedBy    uint64    `gorm:"not null"`
	DepartmentCode string    `gorm:"size:16;not null"`
	CreatedAt      time.Time `gorm:"not null"`
}

// SurveyResponse is an enterprise's answer to the questionnaire of a
// period: one per enterprise and period; answering again replaces it.
type SurveyResponse struct {
	ID           uint64 `gorm:"primaryKey"`
	EnterpriseID uint64 `gorm:"not null;uniqueIndex:idx_survey_responses_enterprise_period,priority:1"`
	Period       string `gorm:"size:8;not null;uniqueIndex:idx_survey_responses_enterprise_period,priority:2"`
	// RegionCode is the enterprise's region when it answered.
	RegionCode string `gorm:"size:16;not null"`
	AccountID  uint64 `gorm:"not null"`
	// Answers is the JSON object indicator code → score (1–5).
	Answers   string    `gorm:"type:text;not null"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// SurveyAnswer is one scored item of a SurveyResponse, kept apart so that
// a region's mean per item is one aggregate query.
type SurveyAnswer struct {
	ID            uint64 `gorm:"primaryKey"`
	EnterpriseID  uint64 `gorm:"not null;uniqueIndex:idx_survey_answers_key,priority:1"`
	Period        string `gorm:"size:8;not null;uniqueIndex:idx_survey_answers_key,priority:2;index:idx_survey_answers_period,priority:1"`
	IndicatorCode string `gorm:"size:16;not null;uniqueIndex:idx_survey_answers_key,priority:3;index:idx_survey_answers_period,priority:3"`
	RegionCode    string `gorm:"size:16;not null;index:idx_survey_answers_period,priority:2"`
	Score         int    `gorm:"not null"`
}

// Statuses of an index run.
const (
	RunDraft     = "draft"
	RunPublished = "published"
)

// IndexRun is one computation of the index for a period. It keeps the tree
// it used, the leaf values it gathered (with their counts) and the report,
// so it never changes when the tree, the cases or the values do. A draft
// becomes published once; a published run is immutable. Runs of a period
// are numbered 1, 2, …; the public index of a period is its published run
// of the highest version.
type IndexRun struct {
	ID          uint64 `gorm:"primaryKey"`
	Period      string `gorm:"size:8;not null;uniqueIndex:idx_index_runs_period_version,priority:1"`
	Version     int    `gorm:"not null;uniqueIndex:idx_index_runs_period_version,priority:2"`
	Status      string `gorm:"size:16;not null"`
	Method      string `gorm:"size:16;not null"`
	TreeVersion string `gorm:"size:32;not null"`
	TreeJSON    string `gorm:"type:longtext;not null"`
	ValuesJSON  string `gorm:"type:longtext;not null"`
	ReportJSON  string `gorm:"type:longtext;not null"`
	// Provisional: the period had not ended at AsOf, so its cohorts were
	// still open.
	Provisional bool       `gorm:"not null"`
	AsOf        time.Time  `gorm:"not null"`
	CreatedBy   uint64     `gorm:"not null"`
	CreatedAt   time.Time  `gorm:"not null"`
	PublishedAt *time.Time ``
	PublishedBy *uint64    ``
}

// Errors of index runs.
var (
	// ErrRunPublished: the run is published already, and immutable (409).
	ErrRunPublished = errors.New("model: the index run is published and cannot change")
	// ErrNewerPublished: a later version of the period is published
	// already; publishing an older one would not change the public index (409).
	ErrNewerPublished = errors.New("model: a later run of the period is published")
)

// DefaultTree returns the embedded sample indicator tree (parsed once per
// store).
func (s *Store) DefaultTree() (configs.IndicatorTree, error) { return s.defaultTree() }

// ActiveTree returns the indicator tree in force and, when it was
// uploaded, its row (nil for the embedded sample).
func (s *Store) ActiveTree(ctx context.Context) (configs.IndicatorTree, *StoredTree, error) {
	var rows []StoredTree
	if err := s.db.WithContext(ctx).Order("id DESC").Limit(1).Find(&rows).Error; err != nil {
		return configs.IndicatorTree{}, nil, formatError(err)
	}
	if len(rows) == 0 {
		t, err := s.DefaultTree()
		return t, nil, err
	}
	var t configs.IndicatorTree
	if err := json.Unmarshal([]byte(rows[0].Body), &t); err != nil {
		return configs.IndicatorTree{}, nil, fmt.Errorf("model: indicator tree %d: %w", rows[0].ID, err)
	}
	return t, &rows[0], nil
}

// ReplaceTree makes t (validated by the caller) the tree in force for runs
// created from now on. Its version must be new: ErrConflict when the sample
// or an uploaded tree already carries it.
func (s *Store) ReplaceTree(ctx context.Context, t configs.IndicatorTree, by uint64) (*StoredTree, error) {
	if def, err := s.DefaultTree(); err == nil && def.Version == t.Version {
		return nil, fmt.Errorf("%w: version %s is the sample tree's", ErrConflict, t.Version)
	}
	body, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	row := &StoredTree{Version: t.Version, Body: string(body), CreatedBy: by, CreatedAt: s.Now()}
	if err := s.db.WithContext(ctx).Create(row).Error; err != nil {
		return nil, formatError(err)
	}
	return row, nil
}

// NewValue is one row of a submission.
type NewValue struct {
	IndicatorCode, RegionCode, Period string
	Value                             float64
}

// SubmittedValue is a stored submission and whether it replaced an earlier
// value for the same indicator, region and period.
type SubmittedValue struct {
	IndicatorValue
	Replaced bool
}

// SubmitValues stores the rows (validated by the caller) as submitted by
// account by of department dept, all in one transaction: either every row
// is stored or none is. Earlier values stay as history.
func (s *Store) SubmitValues(ctx context.Context, rows []NewValue, by uint64, dept string) ([]SubmittedValue, error) {
	now := s.Now()
	out := make([]SubmittedValue, len(rows))
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		codes, regions, periods := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, r := range rows {
			codes[r.IndicatorCode], regions[r.RegionCode], periods[r.Period] = true, true, true
		}
		var prev []struct{ IndicatorCode, RegionCode, Period string }
		err := tx.Model(&IndicatorValue{}).Distinct("indicator_code", "region_code", "period").
			Where("indicator_code IN ? AND region_code IN ? AND period IN ?", keys(codes), keys(regions), keys(periods)).
			Scan(&prev).Error
		if err != nil {
			return err
		}
		had := map[[3]string]bool{}
		for _, p := range prev {
			had[[3]string{p.IndicatorCode, p.RegionCode, p.Period}] = true
		}
		vals := make([]IndicatorValue, len(rows))
		for i, r := range rows {
			vals[i] = IndicatorValue{Period: r.Period, IndicatorCode: r.IndicatorCode, RegionCode: r.RegionCode,
				Value: r.Value, SubmittedBy: by, DepartmentCode: dept, CreatedAt: now}
		}
		if err := tx.CreateInBatches(&vals, 500).Error; err != nil {
			return err
		}
		for i, v := range vals {
			out[i] = SubmittedValue{IndicatorValue: v, Replaced: had[[3]string{v.IndicatorCode, v.RegionCode, v.Period}]}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountValues counts the stored submissions (history included) of an
// indicator, region and period.
func (s *Store) CountValues(ctx context.Context, code, region, period string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&IndicatorValue{}).
		Where("period = ? AND indicator_code = ? AND region_code = ?", period, code, region).Count(&n).Error
	return n, formatError(err)
}

// AnswerSurvey stores enterprise's answers (indicator code → score 1–5,
// validated by the caller) for period, replacing any earlier response of
// the enterprise for that period, in one transaction. created reports
// whether this is the enterprise's first response for the period.
func (s *Store) AnswerSurvey(ctx context.Context, enterpriseID, accountID uint64, region, period string,
	answers map[string]int) (resp *SurveyResponse, created bool, err error) {
	body, err := json.Marshal(answers)
	if err != nil {
		return nil, false, err
	}
	now := s.Now()
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&SurveyResponse{}).Where("enterprise_id = ? AND period = ?", enterpriseID, period).Count(&n).Error; err != nil {
			return err
		}
		created = n == 0
		row := SurveyResponse{EnterpriseID: enterpriseID, Period: period, RegionCode: region, AccountID: accountID,
			Answers: string(body), CreatedAt: now, UpdatedAt: now}
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "enterprise_id"}, {Name: "period"}},
			DoUpdates: clause.AssignmentColumns([]string{"region_code", "account_id", "answers", "updated_at"}),
		}).Create(&row).Error
		if err != nil {
			return err
		}
		if err := tx.Where("enterprise_id = ? AND period = ?", enterpriseID, period).Delete(&SurveyAnswer{}).Error; err != nil {
			return err
		}
		items := make([]SurveyAnswer, 0, len(answers))
		for _, code := range keys(answers) {
			items = append(items, SurveyAnswer{EnterpriseID: enterpriseID, Period: period, IndicatorCode: code,
				RegionCode: region, Score: answers[code]})
		}
		if len(items) > 0 {
			if err := tx.Create(&items).Error; err != nil {
				return err
			}
		}
		var stored SurveyResponse
		if err := tx.Where("enterprise_id = ? AND period = ?", enterpriseID, period).Take(&stored).Error; err != nil {
			return err
		}
		resp = &stored
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return resp, created, nil
}

// Peer groups of evaluated units (docs/index-method.md#evaluated-units-and-peer-groups).
const (
	GroupCounty = "county" // the 10 区（县、市）
	GroupCity   = "city"   // 市本级 (330200 itself) and the functional zones
	GroupTown   = "town"   // the key towns
)

// EvalUnit is an evaluated unit with the regions whose cases and survey
// responses count towards it (its scope).
type EvalUnit struct {
	index.Unit
	Scope []string `json:"scope"`
}

// EvaluatedUnits returns the evaluated units of the region reference data
// (docs/index-method.md#evaluated-units-and-peer-groups): every county-level division with its whole subtree as
// scope; 市本级 (the root, level city) with itself and the functional zones
// (not the counties); each functional zone and each town with itself.
// Units come in the reference data's order.
func (s *Store) EvaluatedUnits() []EvalUnit {
	children := map[string][]string{}
	for _, r := range s.ref.RegionList {
		children[r.ParentCode] = append(children[r.ParentCode], r.Code)
	}
	var subtree func(code string) []string
	subtree = func(code string) []string {
		out := []string{code}
		for _, c := range children[code] {
			out = append(out, subtree(c)...)
		}
		return out
	}
	var units []EvalUnit
	for _, r := range s.ref.RegionList {
		u := EvalUnit{Unit: index.Unit{Code: r.Code, Name: r.Name}}
		switch r.Level {
		case "county":
			u.Group, u.Scope = GroupCounty, subtree(r.Code)
		case "city":
			u.Group, u.Name, u.Scope = GroupCity, r.Name+"（市本级）", []string{r.Code}
			for _, c := range children[r.Code] {
				if s.ref.Regions[c].Level == "zone" {
					u.Scope = append(u.Scope, c)
				}
			}
		case "zone":
			u.Group, u.Scope = GroupCity, []string{r.Code}
		case "town":
			u.Group, u.Scope = GroupTown, []string{r.Code}
		default:
			continue
		}
		slices.Sort(u.Scope)
		units = append(units, u)
	}
	return units
}

// GatherLeafValues returns the value of every leaf of tree for every unit
// over period p, as package index takes them: leaf code → unit code →
// value. A value it does not have is missing with its reason, never zero:
//   - tracker: the rate TrackerStats gives for the unit's scope; no_cases
//     when its denominator is 0 (or the rate is not computed at all),
//     insufficient_cases when it is below the tree's min_cases;
//   - submitted: the latest value submitted for the unit's own region and
//     the period; not_submitted when there is none;
//   - survey: the mean score over the responses from the unit's scope;
//     insufficient_responses when there are fewer than the tree's
//     min_responses for the unit's peer group.
//
// The tracker values take one pass over the period's requests and events
// for all units together (TrackerStatsForScopes), the submitted values one
// query and the survey one aggregate query.
func (s *Store) GatherLeafValues(ctx context.Context, tree configs.IndicatorTree, units []EvalUnit, p Period) (map[string]map[string]index.Value, error) {
	leaves := tree.Leaves()
	values := make(map[string]map[string]index.Value, len(leaves))
	for _, l := range leaves {
		values[l.Code] = make(map[string]index.Value, len(units))
	}

	// Tracker leaves: the request counts of every region in one pass,
	// summed per unit scope (TrackerStatsForScopes).
	var trackerLeaves []configs.Indicator
	for _, l := range leaves {
		if l.Source == configs.SourceTracker {
			trackerLeaves = append(trackerLeaves, l)
		}
	}
	if len(trackerLeaves) > 0 {
		scopes := make([][]string, len(units))
		for i, u := range units {
			scopes[i] = u.Scope
		}
		stats, err := s.TrackerStatsForScopes(ctx, scopes, p.From, p.To)
		if err != nil {
			return nil, err
		}
		for i, u := range units {
			rates := map[string]Rate{}
			for _, r := range stats[i].Rates {
				rates[r.Code] = r
			}
			for _, l := range trackerLeaves {
				values[l.Code][u.Code] = trackerValue(rates[l.TrackerCode], tree.MinCases)
			}
		}
	}

	// Submitted leaves: the latest value of each (indicator, region).
	var latest []IndicatorValue
	db := s.db.WithContext(ctx)
	newest := db.Model(&IndicatorValue{}).Select("MAX(id)").Where("period = ?", p.Name).Group("indicator_code, region_code")
	if err := db.Where("id IN (?)", newest).Find(&latest).Error; err != nil {
		return nil, formatError(err)
	}
	submitted := map[[2]string]float64{}
	for _, v := range latest {
		submitted[[2]string{v.IndicatorCode, v.RegionCode}] = v.Value
	}

	// Survey leaves: count and sum per region and item, rolled up per scope.
	var sums []struct {
		RegionCode, IndicatorCode string
		N                         int64
		Sum                       float64
	}
	err := db.Model(&SurveyAnswer{}).Select("region_code, indicator_code, COUNT(*) AS n, COALESCE(SUM(score), 0) AS sum").
		Where("period = ?", p.Name).Group("region_code, indicator_code").Scan(&sums).Error
	if err != nil {
		return nil, formatError(err)
	}
	type agg struct {
		n   int64
		sum float64
	}
	survey := map[[2]string]agg{}
	for _, r := range sums {
		survey[[2]string{r.IndicatorCode, r.RegionCode}] = agg{r.N, r.Sum}
	}

	for _, l := range leaves {
		for _, u := range units {
			switch l.Source {
			case configs.SourceSubmitted:
				if x, ok := submitted[[2]string{l.Code, u.Code}]; ok {
					values[l.Code][u.Code] = index.Value{X: x}
				} else {
					values[l.Code][u.Code] = index.Value{Missing: true, Reason: index.ReasonNotSubmitted}
				}
			case configs.SourceSurvey:
				var a agg
				for _, r := range u.Scope {
					x := survey[[2]string{l.Code, r}]
					a.n += x.n
					a.sum += x.sum
				}
				if least := tree.MinResponses[u.Group]; a.n == 0 || a.n < int64(least) {
					values[l.Code][u.Code] = index.Value{Missing: true, Reason: index.ReasonInsufficientResponses, N: int(a.n)}
				} else {
					values[l.Code][u.Code] = index.Value{X: a.sum / float64(a.n), N: int(a.n), Num: a.sum, Den: float64(a.n)}
				}
			}
		}
	}
	return values, nil
}

// trackerValue turns a tracker rate into a leaf value: missing (no_cases)
// without cases, missing (insufficient_cases) below minCases.
func trackerValue(r Rate, minCases int) index.Value {
	switch {
	case r.Count:
		return index.Value{X: r.Value, N: int(r.Numerator), Num: r.Numerator, Den: r.Denominator}
	case r.Code == "" || r.Missing || r.Denominator == 0:
		return index.Value{Missing: true, Reason: index.ReasonNoCases}
	case r.Denominator < float64(minCases):
		return index.Value{Missing: true, Reason: index.ReasonInsufficientCases, N: int(r.Denominator), Num: r.Numerator, Den: r.Denominator}
	}
	return index.Value{X: r.Value, N: int(r.Denominator), Num: r.Numerator, Den: r.Denominator}
}

// RunInputs is what a run gathered, kept with it for audit: the units with
// their scopes, and every leaf value with its counts and missing reasons.
type RunInputs struct {
	From   time.Time                         `json:"from"`
	To     time.Time                         `json:"to"`
	Units  []EvalUnit                        `json:"units"`
	Values map[string]map[string]index.Value `json:"values"`
}

// Tree returns the indicator tree the run was computed with.
func (r *IndexRun) Tree() (configs.IndicatorTree, error) {
	var t configs.IndicatorTree
	err := json.Unmarshal([]byte(r.TreeJSON), &t)
	return t, err
}

// Report returns the run's report.
func (r *IndexRun) Report() (index.Report, error) {
	var rep index.Report
	err := json.Unmarshal([]byte(r.ReportJSON), &rep)
	return rep, err
}

// Inputs returns the values the run gathered.
func (r *IndexRun) Inputs() (RunInputs, error) {
	var in RunInputs
	err := json.Unmarshal([]byte(r.ValuesJSON), &in)
	return in, err
}

// CreateRun computes the index for period p with the tree in force and
// stores it as a draft, numbered one above the period's latest run.
func (s *Store) CreateRun(ctx context.Context, p Period, by uint64) (*IndexRun, error) {
	tree, _, err := s.ActiveTree(ctx)
	if err != nil {
		return nil, err
	}
	asOf := s.Now()
	units := s.EvaluatedUnits()
	values, err := s.GatherLeafValues(ctx, tree, units, p)
	if err != nil {
		return nil, err
	}
	iu := make([]index.Unit, len(units))
	for i, u := range units {
		iu[i] = u.Unit
	}
	rep, err := index.Compute(index.Input{Tree: tree.IndexTree(), Units: iu, Values: values, Method: tree.Method, Theta: tree.Theta})
	if err != nil {
		return nil, fmt.Errorf("model: compute the index: %w", err)
	}
	treeJSON, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	valuesJSON, err := json.Marshal(RunInputs{From: p.From, To: p.To, Units: units, Values: values})
	if err != nil {
		return nil, err
	}
	reportJSON, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	run := &IndexRun{Period: p.Name, Status: RunDraft, Method: rep.Method, TreeVersion: tree.Version,
		TreeJSON: string(treeJSON), ValuesJSON: string(valuesJSON), ReportJSON: string(reportJSON),
		Provisional: p.To.After(asOf), AsOf: asOf, CreatedBy: by}
	// Two runs created at once may pick the same version: the unique key
	// refuses the second, which takes the next number.
	for attempt := 0; ; attempt++ {
		err = s.inTx(ctx, func(tx *gorm.DB) error {
			var maxVersion int
			if err := tx.Model(&IndexRun{}).Select("COALESCE(MAX(version), 0)").Where("period = ?", p.Name).Scan(&maxVersion).Error; err != nil {
				return err
			}
			run.ID, run.Version, run.CreatedAt = 0, maxVersion+1, s.Now()
			return tx.Create(run).Error
		})
		if !errors.Is(err, ErrConflict) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return run, nil
}

// runMeta are the columns of a run without its JSON documents.
var runMeta = []string{"id", "period", "version", "status", "method", "tree_version", "provisional", "as_of",
	"created_by", "created_at", "published_at", "published_by"}

// FindRun returns the run with id (JSON documents included), or ErrNotFound.
func (s *Store) FindRun(ctx context.Context, id uint64) (*IndexRun, error) {
	var r IndexRun
	if err := s.db.WithContext(ctx).Take(&r, id).Error; err != nil {
		return nil, formatError(err)
	}
	return &r, nil
}

// PublishRun publishes the draft run id. ErrNotFound when there is none;
// ErrRunPublished when it is published already (a published run never
// changes); a NotConfirmedError (ErrNotConfirmed) unless 工商联 confirmed
// the period's values, none arrived since and the run was computed after
// the confirmation; ErrNewerPublished when a later version of its period
// is.
func (s *Store) PublishRun(ctx context.Context, id, by uint64) (*IndexRun, error) {
	var out IndexRun
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var r IndexRun
		if err := tx.Select(runMeta).Take(&r, id).Error; err != nil {
			return err
		}
		if r.Status != RunDraft {
			return ErrRunPublished
		}
		if err := publishable(tx, &r); err != nil {
			return err
		}
		var newer int64
		if err := tx.Model(&IndexRun{}).Where("period = ? AND status = ? AND version > ?", r.Period, RunPublished, r.Version).
			Count(&newer).Error; err != nil {
			return err
		}
		if newer > 0 {
			return ErrNewerPublished
		}
		now := s.Now()
		res := tx.Model(&IndexRun{}).Where("id = ? AND status = ?", id, RunDraft).
			Updates(map[string]any{"status": RunPublished, "published_at": now, "published_by": by})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 { // another publish won
			return ErrRunPublished
		}
		if err := s.createRectificationItems(tx, &r, now); err != nil {
			return err
		}
		r.Status, r.PublishedAt, r.PublishedBy = RunPublished, &now, &by
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListRuns lists runs without their JSON documents, newest first, of one
// period and status when given.
func (s *Store) ListRuns(ctx context.Context, period, status string, p Page) ([]IndexRun, uint64, error) {
	q := s.db.WithContext(ctx).Model(&IndexRun{}).Select(runMeta)
	if period != "" {
		q = q.Where("period = ?", period)
	}
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var out []IndexRun
	next, err := pageQuery(q, p, &out, func(i int) uint64 { return out[i].ID })
	return out, next, err
}

// LatestPublished returns the published run of period with the highest
// version, its tree and report included but not the gathered values (the
// public reports do not show them), or ErrNotFound. Drafts are never
// returned.
func (s *Store) LatestPublished(ctx context.Context, period string) (*IndexRun, error) {
	var r IndexRun
	err := s.db.WithContext(ctx).Omit("values_json").Where("period = ? AND status = ?", period, RunPublished).
		Order("version DESC").Take(&r).Error
	if err != nil {
		return nil, formatError(err)
	}
	return &r, nil
}

// keys returns the keys of m, sorted.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// SurveyResponseCounts returns the number of questionnaire responses of
// period per region of the answering enterprise (regions without a
// response are absent): one grouped query.
func (s *Store) SurveyResponseCounts(ctx context.Context, period string) (map[string]int, error) {
	var rows []struct {
		RegionCode string
		N          int
	}
	err := s.db.WithContext(ctx).Model(&SurveyResponse{}).Select("region_code, COUNT(*) AS n").
		Where("period = ?", period).Group("region_code").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.RegionCode] = r.N
	}
	return out, nil
}
