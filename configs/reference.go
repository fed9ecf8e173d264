// Package configs holds qinqing's configuration (config.go) and reference
// data (this file): regions, departments, request categories, deadline
// limits, the working-day calendar, the interaction lists and the indicator
// tree (indicators.go). The YAML files in this directory are embedded in the
// binary; Load and LoadReference decode and validate them into typed values
// that main hands to constructors. Nothing here is kept in package state.
package configs

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"qinqing/workflow"
)

// files are the embedded YAML files. Each file is named explicitly so that a
// stray file in the directory is never embedded by accident.
//
//go:embed config.yaml regions.yaml departments.yaml categories.yaml leads.yaml calendar.yaml interaction_rules.yaml indicators.yaml dispatch.yaml consultations.yaml
var files embed.FS

// Names of the embedded files.
const (
	configFile       = "config.yaml"
	regionsFile      = "regions.yaml"
	departmentsFile  = "departments.yaml"
	categoriesFile   = "categories.yaml"
	leadsFile        = "leads.yaml"
	calendarFile     = "calendar.yaml"
	interactionsFile = "interaction_rules.yaml"
	dispatchFile     = "dispatch.yaml"
	meetingsFile     = "consultations.yaml"
)

// Region levels.
const (
	LevelCity   = "city"   // 宁波市, the single root
	LevelCounty = "county" // 区、县、县级市
	LevelZone   = "zone"   // functional zones counted under 市本级
	LevelTown   = "town"   // 镇、街道
)

// Category complexities.
const (
	ComplexitySimple  = "simple"
	ComplexityComplex = "complex"
)

// Interaction lists (亲清政商交往清单).
const (
	ListPositive = "positive" // 正面清单
	ListNegative = "negative" // 负面清单
	ListAdvocacy = "advocacy" // 倡导清单
)

// Region is an administrative or functional region. Regions form a tree
// rooted at the city; a grant at a region covers every region below it.
type Region struct {
	Code       string `yaml:"code" json:"code"`
	Name       string `yaml:"name" json:"name"`
	Level      string `yaml:"level" json:"level"`
	ParentCode string `yaml:"parent_code" json:"parent_code"`
}

// Department is a city-level functional department. A handling unit is a
// department in a region.
type Department struct {
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
}

// Category is a category of enterprise request (企呼我应) with its deadline
// limits.
type Category struct {
	Code       string         `json:"code"`
	Name       string         `json:"name"`
	Complexity string         `json:"complexity"` // ComplexitySimple or ComplexityComplex
	Limits     CategoryLimits `json:"limits"`
}

// CategoryLimits are the deadline limits of a request's steps.
type CategoryLimits struct {
	Accept   workflow.Limit `json:"accept"`   // 受理: submitted → assigned or rejected
	Claim    workflow.Limit `json:"claim"`    // 签收: assigned → in_progress
	Respond  workflow.Limit `json:"respond"`  // 答复: in_progress → responded
	Evaluate workflow.Limit `json:"evaluate"` // evaluation window; then closed as 未评价
}

// Steps maps the request steps (workflow.State.Step) to their limits.
func (l CategoryLimits) Steps() map[string]workflow.Limit {
	return map[string]workflow.Limit{"accept": l.Accept, "claim": l.Claim, "respond": l.Respond, "evaluate": l.Evaluate}
}

// LeadLimits are the deadline limits of the lead loop.
type LeadLimits struct {
	Register workflow.Limit `json:"register"` // 受理登记 after the report
	Decide   workflow.Limit `json:"decide"`   // 评估决策 after receipt
	Verify   workflow.Limit `json:"verify"`   // 监督回访 after rectification is completed
	Feedback workflow.Limit `json:"feedback"` // feedback to a named reporter after closure
	// 函询: the unit's written reply after the letter, and the inspector's
	// conclusion after the reply.
	InquiryReply    workflow.Limit `json:"inquiry_reply"`
	InquiryConclude workflow.Limit `json:"inquiry_conclude"`
	// RectifyMaxDays is the largest rectification period, in working days,
	// that may be set at decision.
	RectifyMaxDays int `json:"rectify_max_days"`
	// Approval lists the disposals whose decision a second inspector must
	// approve (报批); the others take effect when decided.
	Approval []string `json:"approval"`
	// ToleranceMinMembers is the fewest members a collective determination
	// of 容错免责 (集体认定) lists.
	ToleranceMinMembers int `json:"tolerance_min_members"`
}

// Steps maps the lead steps (workflow.State.Step) to their limits; the
// rectification period is set by each decision.
func (l LeadLimits) Steps() map[string]workflow.Limit {
	return map[string]workflow.Limit{"register": l.Register, "decide": l.Decide, "verify": l.Verify,
		"inquiry_reply": l.InquiryReply, "inquiry_conclude": l.InquiryConclude, "feedback": l.Feedback}
}

// InteractionRule is one item of the 亲清政商交往 interaction lists, which a
// lead may cite.
type InteractionRule struct {
	Code  string `yaml:"code" json:"code"`
	List  string `yaml:"list" json:"list"` // ListPositive, ListNegative or ListAdvocacy
	Title string `yaml:"title" json:"title"`
}

// Reference is the reference data loaded at start.
type Reference struct {
	// Regions in file order: the city first.
	Regions []Region
	// RegionAliases maps retired region codes to current ones; aliases are
	// never units themselves.
	RegionAliases map[string]string
	Departments   []Department
	Categories    []Category
	LeadLimits    LeadLimits
	// Calendar is the official schedule, for workflow.NewCalendar.
	Calendar         []workflow.CalendarYear
	InteractionRules []InteractionRule
	// Dispatch is the 派单目录: the unit offered per category (dispatch.yaml).
	Dispatch []workflow.DispatchRule
	// Consultations are the rules of the 政企协商会.
	Consultations workflow.ConsultationRules
}

// Category returns the category with the given code.
func (r Reference) Category(code string) (Category, bool) {
	i := slices.IndexFunc(r.Categories, func(c Category) bool { return c.Code == code })
	if i < 0 {
		return Category{}, false
	}
	return r.Categories[i], true
}

// LoadReference decodes the embedded reference files and validates them:
// codes are present and unique, every parent region exists, there is exactly
// one root, levels nest (city > county, zone > town), aliases point at units,
// every category has its four limits and every limit is greater than zero,
// and the calendar is consistent. Errors name the file and the offending
// entry.
func LoadReference() (Reference, error) { return loadReference(files) }

// loadReference is LoadReference over any file system, so tests can feed it
// broken files.
func loadReference(fsys fs.FS) (Reference, error) {
	var ref Reference
	var err error
	if ref.Regions, ref.RegionAliases, err = loadRegions(fsys); err != nil {
		return Reference{}, err
	}
	if ref.Departments, err = loadDepartments(fsys); err != nil {
		return Reference{}, err
	}
	if ref.Categories, err = loadCategories(fsys); err != nil {
		return Reference{}, err
	}
	if ref.LeadLimits, err = loadLeadLimits(fsys); err != nil {
		return Reference{}, err
	}
	if ref.Calendar, err = loadCalendar(fsys); err != nil {
		return Reference{}, err
	}
	if ref.InteractionRules, err = loadInteractionRules(fsys); err != nil {
		return Reference{}, err
	}
	if ref.Dispatch, err = loadDispatch(fsys, ref); err != nil {
		return Reference{}, err
	}
	if ref.Consultations, err = loadConsultations(fsys); err != nil {
		return Reference{}, err
	}
	return ref, nil
}

// loadDispatch reads the 派单目录: every entry names a known category and
// department, a unit level, and a known region when limited to one; a
// category has at most one entry per region.
func loadDispatch(fsys fs.FS, ref Reference) ([]workflow.DispatchRule, error) {
	var f struct {
		Dispatch []struct {
			Category       string `yaml:"category"`
			DepartmentCode string `yaml:"department_code"`
			Unit           string `yaml:"unit"`
			RegionCode     string `yaml:"region_code"`
			Auto           bool   `yaml:"auto"`
		} `yaml:"dispatch"`
	}
	if err := decodeFile(fsys, dispatchFile, &f); err != nil {
		return nil, err
	}
	out := make([]workflow.DispatchRule, 0, len(f.Dispatch))
	seen := map[[2]string]bool{}
	for i, d := range f.Dispatch {
		where := fmt.Sprintf("%s: dispatch[%d] (%s)", dispatchFile, i, d.Category)
		if _, ok := ref.Category(d.Category); !ok {
			return nil, fmt.Errorf("%s: unknown category %q", where, d.Category)
		}
		if !slices.ContainsFunc(ref.Departments, func(x Department) bool { return x.Code == d.DepartmentCode }) {
			return nil, fmt.Errorf("%s: unknown department_code %q", where, d.DepartmentCode)
		}
		if d.Unit != workflow.UnitCounty && d.Unit != workflow.UnitCity {
			return nil, fmt.Errorf("%s: unit %q is not one of county, city", where, d.Unit)
		}
		if d.RegionCode != "" && !slices.ContainsFunc(ref.Regions, func(x Region) bool { return x.Code == d.RegionCode }) {
			return nil, fmt.Errorf("%s: unknown region_code %q", where, d.RegionCode)
		}
		key := [2]string{d.Category, d.RegionCode}
		if seen[key] {
			return nil, fmt.Errorf("%s: a second entry for the category in region %q", where, d.RegionCode)
		}
		seen[key] = true
		out = append(out, workflow.DispatchRule{Category: d.Category, RegionCode: d.RegionCode,
			DepartmentCode: d.DepartmentCode, Unit: d.Unit, Auto: d.Auto})
	}
	return out, nil
}

// decodeFile strictly decodes the YAML file name of fsys into out: unknown
// keys are an error, and so is an empty file.
func decodeFile(fsys fs.FS, name string, out any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := decodeStrict(data, out); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: empty file", name)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// decodeStrict decodes one YAML document, rejecting unknown keys. An empty
// document returns io.EOF.
func decodeStrict(data []byte, out any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(out)
}

// regionRank orders region levels for the nesting check.
func regionRank(level string) int {
	switch level {
	case LevelCity:
		return 0
	case LevelCounty, LevelZone:
		return 1
	case LevelTown:
		return 2
	}
	return -1
}

func loadRegions(fsys fs.FS) ([]Region, map[string]string, error) {
	var f struct {
		Regions []Region          `yaml:"regions"`
		Aliases map[string]string `yaml:"aliases"`
	}
	if err := decodeFile(fsys, regionsFile, &f); err != nil {
		return nil, nil, err
	}
	fail := func(format string, args ...any) ([]Region, map[string]string, error) {
		return nil, nil, fmt.Errorf(regionsFile+": "+format, args...)
	}
	byCode := make(map[string]Region, len(f.Regions))
	for i, r := range f.Regions {
		switch {
		case r.Code == "":
			return fail("regions[%d] (%s): code is required", i, r.Name)
		case strings.ContainsAny(r.Code, " \t\r\n"):
			return fail("region %q: code contains white space", r.Code)
		case r.Name == "":
			return fail("region %q: name is required", r.Code)
		case regionRank(r.Level) < 0:
			return fail("region %q: level %q is not one of city, county, zone, town", r.Code, r.Level)
		}
		if _, dup := byCode[r.Code]; dup {
			return fail("region %q: code listed twice", r.Code)
		}
		byCode[r.Code] = r
	}
	roots := 0
	for _, r := range f.Regions {
		if r.ParentCode == "" {
			roots++
			if r.Level != LevelCity {
				return fail("region %q: only the city may have no parent", r.Code)
			}
			continue
		}
		p, ok := byCode[r.ParentCode]
		if !ok {
			return fail("region %q: parent %q does not exist", r.Code, r.ParentCode)
		}
		// Ranks strictly increase downwards, which also rules out cycles.
		if regionRank(p.Level) >= regionRank(r.Level) {
			return fail("region %q (%s): parent %q is a %s", r.Code, r.Level, p.Code, p.Level)
		}
	}
	if roots != 1 {
		return fail("want exactly one root region (parent_code empty), found %d", roots)
	}
	aliases := make(map[string]string, len(f.Aliases))
	for from, to := range f.Aliases {
		if _, ok := byCode[from]; ok {
			return fail("alias %q: is a region code itself", from)
		}
		if _, ok := byCode[to]; !ok {
			return fail("alias %q: target %q does not exist", from, to)
		}
		aliases[from] = to
	}
	return f.Regions, aliases, nil
}

func loadDepartments(fsys fs.FS) ([]Department, error) {
	var f struct {
		Departments []Department `yaml:"departments"`
	}
	if err := decodeFile(fsys, departmentsFile, &f); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(f.Departments))
	for i, d := range f.Departments {
		switch {
		case d.Code == "":
			return nil, fmt.Errorf("%s: departments[%d] (%s): code is required", departmentsFile, i, d.Name)
		case d.Name == "":
			return nil, fmt.Errorf("%s: department %q: name is required", departmentsFile, d.Code)
		case seen[d.Code]:
			return nil, fmt.Errorf("%s: department %q: code listed twice", departmentsFile, d.Code)
		}
		seen[d.Code] = true
	}
	if len(f.Departments) == 0 {
		return nil, fmt.Errorf("%s: no departments", departmentsFile)
	}
	return f.Departments, nil
}

// parseLimit parses a required reference limit; where names the file, entry
// and key for the error.
func parseLimit(where, s string) (workflow.Limit, error) {
	if strings.TrimSpace(s) == "" {
		return workflow.Limit{}, fmt.Errorf("%s: limit is required", where)
	}
	l, err := workflow.ParseLimit(s)
	if err != nil {
		return workflow.Limit{}, fmt.Errorf("%s: %w", where, err)
	}
	return l, nil
}

func loadCategories(fsys fs.FS) ([]Category, error) {
	type limits struct {
		Accept   string `yaml:"accept"`
		Claim    string `yaml:"claim"`
		Respond  string `yaml:"respond"`
		Evaluate string `yaml:"evaluate"`
	}
	var f struct {
		Categories []struct {
			Code       string `yaml:"code"`
			Name       string `yaml:"name"`
			Complexity string `yaml:"complexity"`
			Limits     limits `yaml:"limits"`
		} `yaml:"categories"`
	}
	if err := decodeFile(fsys, categoriesFile, &f); err != nil {
		return nil, err
	}
	if len(f.Categories) == 0 {
		return nil, fmt.Errorf("%s: no categories", categoriesFile)
	}
	out := make([]Category, 0, len(f.Categories))
	seen := make(map[string]bool, len(f.Categories))
	for i, c := range f.Categories {
		switch {
		case c.Code == "":
			return nil, fmt.Errorf("%s: categories[%d] (%s): code is required", categoriesFile, i, c.Name)
		case c.Name == "":
			return nil, fmt.Errorf("%s: category %q: name is required", categoriesFile, c.Code)
		case seen[c.Code]:
			return nil, fmt.Errorf("%s: category %q: code listed twice", categoriesFile, c.Code)
		case c.Complexity != ComplexitySimple && c.Complexity != ComplexityComplex:
			return nil, fmt.Errorf("%s: category %q: complexity %q is not simple or complex", categoriesFile, c.Code, c.Complexity)
		}
		seen[c.Code] = true
		cat := Category{Code: c.Code, Name: c.Name, Complexity: c.Complexity}
		where := func(key string) string {
			return fmt.Sprintf("%s: category %q: limits.%s", categoriesFile, c.Code, key)
		}
		var err error
		if cat.Limits.Accept, err = parseLimit(where("accept"), c.Limits.Accept); err != nil {
			return nil, err
		}
		if cat.Limits.Claim, err = parseLimit(where("claim"), c.Limits.Claim); err != nil {
			return nil, err
		}
		if cat.Limits.Respond, err = parseLimit(where("respond"), c.Limits.Respond); err != nil {
			return nil, err
		}
		if cat.Limits.Evaluate, err = parseLimit(where("evaluate"), c.Limits.Evaluate); err != nil {
			return nil, err
		}
		out = append(out, cat)
	}
	return out, nil
}

func loadLeadLimits(fsys fs.FS) (LeadLimits, error) {
	var f struct {
		Register       string   `yaml:"register"`
		Decide         string   `yaml:"decide"`
		Verify         string   `yaml:"verify"`
		Feedback       string   `yaml:"feedback"`
		InquiryReply   string   `yaml:"inquiry_reply"`
		InquiryConc    string   `yaml:"inquiry_conclude"`
		RectifyMaxDays int      `yaml:"rectify_max_days"`
		Approval       []string `yaml:"approval"`
		ToleranceMin   int      `yaml:"tolerance_min_members"`
	}
	if err := decodeFile(fsys, leadsFile, &f); err != nil {
		return LeadLimits{}, err
	}
	var l LeadLimits
	var err error
	where := func(key string) string { return leadsFile + ": " + key }
	if l.Register, err = parseLimit(where("register"), f.Register); err != nil {
		return LeadLimits{}, err
	}
	if l.Decide, err = parseLimit(where("decide"), f.Decide); err != nil {
		return LeadLimits{}, err
	}
	if l.Verify, err = parseLimit(where("verify"), f.Verify); err != nil {
		return LeadLimits{}, err
	}
	if l.Feedback, err = parseLimit(where("feedback"), f.Feedback); err != nil {
		return LeadLimits{}, err
	}
	if l.InquiryReply, err = parseLimit(where("inquiry_reply"), f.InquiryReply); err != nil {
		return LeadLimits{}, err
	}
	if l.InquiryConclude, err = parseLimit(where("inquiry_conclude"), f.InquiryConc); err != nil {
		return LeadLimits{}, err
	}
	if f.RectifyMaxDays <= 0 {
		return LeadLimits{}, fmt.Errorf("%s: rectify_max_days: must be greater than zero, got %d", leadsFile, f.RectifyMaxDays)
	}
	l.RectifyMaxDays = f.RectifyMaxDays
	l.Approval = []string{}
	for _, code := range f.Approval {
		if _, ok := workflow.DisposalByCode(code); !ok {
			return LeadLimits{}, fmt.Errorf("%s: approval: unknown disposal %q", leadsFile, code)
		}
		if !slices.Contains(l.Approval, code) {
			l.Approval = append(l.Approval, code)
		}
	}
	if f.ToleranceMin < 2 {
		return LeadLimits{}, fmt.Errorf("%s: tolerance_min_members: a collective determination needs at least 2 members, got %d", leadsFile, f.ToleranceMin)
	}
	l.ToleranceMinMembers = f.ToleranceMin
	return l, nil
}

func loadConsultations(fsys fs.FS) (workflow.ConsultationRules, error) {
	var f struct {
		AgendaDays     int `yaml:"agenda_days"`
		MinEnterprises int `yaml:"common_issue_min_enterprises"`
	}
	if err := decodeFile(fsys, meetingsFile, &f); err != nil {
		return workflow.ConsultationRules{}, err
	}
	if f.AgendaDays < 0 || f.AgendaDays > 60 {
		return workflow.ConsultationRules{}, fmt.Errorf("%s: agenda_days: must be 0 to 60 days, got %d", meetingsFile, f.AgendaDays)
	}
	if f.MinEnterprises < 2 {
		return workflow.ConsultationRules{}, fmt.Errorf("%s: common_issue_min_enterprises: a common issue spans at least 2 enterprises, got %d", meetingsFile, f.MinEnterprises)
	}
	return workflow.ConsultationRules{AgendaDays: f.AgendaDays, CommonMinEnterprises: f.MinEnterprises}, nil
}

func loadCalendar(fsys fs.FS) ([]workflow.CalendarYear, error) {
	var f struct {
		Years []workflow.CalendarYear `yaml:"years"`
	}
	if err := decodeFile(fsys, calendarFile, &f); err != nil {
		return nil, err
	}
	for _, y := range f.Years {
		if strings.TrimSpace(y.Source) == "" {
			return nil, fmt.Errorf("%s: calendar year %d: source is required", calendarFile, y.Year)
		}
	}
	// NewCalendar checks the dates; its errors name the year and date.
	if _, err := workflow.NewCalendar(nil, f.Years); err != nil {
		return nil, fmt.Errorf("%s: %w", calendarFile, err)
	}
	return f.Years, nil
}

func loadInteractionRules(fsys fs.FS) ([]InteractionRule, error) {
	var f struct {
		Rules []InteractionRule `yaml:"rules"`
	}
	if err := decodeFile(fsys, interactionsFile, &f); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(f.Rules))
	for i, r := range f.Rules {
		switch {
		case r.Code == "":
			return nil, fmt.Errorf("%s: rules[%d] (%s): code is required", interactionsFile, i, r.Title)
		case seen[r.Code]:
			return nil, fmt.Errorf("%s: rule %q: code listed twice", interactionsFile, r.Code)
		case r.List != ListPositive && r.List != ListNegative && r.List != ListAdvocacy:
			return nil, fmt.Errorf("%s: rule %q: list %q is not positive, negative or advocacy", interactionsFile, r.Code, r.List)
		case strings.TrimSpace(r.Title) == "":
			return nil, fmt.Errorf("%s: rule %q: title is required", interactionsFile, r.Code)
		}
		seen[r.Code] = true
	}
	return f.Rules, nil
}
