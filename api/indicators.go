package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"qinqing/configs"
	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

// The indicator system (docs/index-method.md): the tree in force, its replacement by
// 工商联, department-submitted values and the enterprise questionnaire.

// getIndicators answers the indicator tree in force, in the shape PUT
// /indicators takes, so that it can be downloaded, edited and uploaded.
func (s *Server) getIndicators(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "indicator", "read"); err != nil {
		return err
	}
	if err := s.allow(p, "indicator", "read", ""); err != nil {
		return err
	}
	if err := s.query(c).err(); err != nil {
		return err
	}
	tree, _, err := s.store.ActiveTree(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, tree)
	return nil
}

// maxCodeLength is the longest indicator code the tables hold.
const maxCodeLength = 16

// yamlTypeNames strips Go type names from YAML decoding errors.
var yamlTypeNames = regexp.MustCompile(` in type [A-Za-z0-9_.\[\]*]+`)

// replaceIndicators makes the uploaded tree (JSON, or YAML as in
// configs/indicators.yaml) the one in force for runs created afterwards.
// Runs already created keep the tree they were computed with.
func (s *Server) replaceIndicators(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "indicator", "replace"); err != nil {
		return err
	}
	// The tree is city-wide: only 工商联 at the root of the region tree.
	if err := s.allow(p, "indicator", "replace", ""); err != nil {
		return err
	}
	mt := mediaType(c)
	switch mt {
	case "", "application/json", "application/yaml", "application/x-yaml", "text/yaml":
	default:
		return refuse(errUnsupportedMedia, "指标体系须为 application/json 或 application/yaml")
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return jsonError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return workflow.Invalid("body", "请求体不能为空")
	}
	if (mt == "" || mt == "application/json") && !json.Valid(body) {
		return workflow.Invalid("body", "请求体不是有效的 JSON")
	}
	tree, err := configs.ParseIndicators(body)
	if err == nil {
		err = tree.CheckOwners(s.ref.DeptList)
	}
	if err != nil {
		var ie *configs.IndicatorError
		if errors.As(err, &ie) {
			if ie.Code == "" {
				return workflow.Invalid("body", ie.Chinese)
			}
			return workflow.Invalid("indicators", "指标 "+ie.Code+"："+ie.Chinese)
		}
		return workflow.Invalid("body", "指标体系无法解析："+yamlTypeNames.ReplaceAllString(err.Error(), ""))
	}
	var v workflow.ValidationError
	if n := utf8.RuneCountInString(tree.Version); n > 32 {
		v.Add("version", "版本号不能超过 32 个字符")
	}
	for _, code := range treeCodes(tree) {
		if len(code) > maxCodeLength {
			v.Add("indicators", "指标 "+code+"：编码不能超过 16 个字符")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := s.store.ReplaceTree(c.Request.Context(), tree, p.account.ID); err != nil {
		if errors.Is(err, model.ErrConflict) {
			return refuse(err, "该版本号已被使用，新的指标体系须使用新的版本号", workflow.FieldError{Field: "version", Message: "已被使用"})
		}
		return err
	}
	c.JSON(http.StatusOK, tree)
	return nil
}

// treeCodes lists every indicator code of t.
func treeCodes(t configs.IndicatorTree) []string {
	var out []string
	var walk func([]configs.Indicator)
	walk = func(nodes []configs.Indicator) {
		for _, n := range nodes {
			out = append(out, n.Code)
			walk(n.Children)
		}
	}
	walk(t.Nodes)
	return out
}

// Submitted values.

// submitValues stores department-submitted indicator values, sent as a
// JSON array or a CSV file. Every row is checked; a submission with any bad
// row is refused whole, listing each bad row, and nothing is stored.
func (s *Server) submitValues(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "indicator_value", "submit"); err != nil {
		return err
	}
	if p.account.DepartmentCode == nil {
		return policy.ErrForbidden
	}
	in := &valueInput{}
	var err error
	switch mt := mediaType(c); mt {
	case "text/csv":
		if cs := charset(c); cs != "" && cs != "utf-8" && cs != "utf8" {
			return refuse(errUnsupportedMedia, "CSV 须为 UTF-8 编码（charset="+cs+" 不受支持）")
		}
		err = readValuesCSV(c.Request.Body, in)
	case "", "application/json":
		err = readValuesJSON(c.Request.Body, in)
	default:
		return refuse(errUnsupportedMedia, "指标值须为 application/json（数组）或 text/csv")
	}
	if err != nil {
		return err
	}
	out, err := s.storeValues(c.Request.Context(), p, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, out)
	return nil
}

// storeValues checks the rows read into in against the tree in force and
// the caller's department and region, and stores them when every row is
// right: the use case of POST /indicator-values and of the console's
// upload form. A submission with any bad row is refused whole (each bad
// row named), and nothing is stored.
func (s *Server) storeValues(ctx context.Context, p *principal, in *valueInput) (submissionView, error) {
	tree, _, err := s.store.ActiveTree(ctx)
	if err != nil {
		return submissionView{}, err
	}
	rows := s.checkValues(p, tree, in)
	if len(in.errs.Errors) > 0 {
		bad := map[string]bool{}
		for _, e := range in.errs.Errors {
			row, _, _ := strings.Cut(e.Field, ".")
			bad[row] = true
		}
		return submissionView{}, refuse(errValidation, fmt.Sprintf("共 %d 行有误，整批数据均未保存；请改正后重新提交（行号从 1 起，不含表头）", len(bad)),
			in.errs.Errors...)
	}
	stored, err := s.store.SubmitValues(ctx, rows, p.account.ID, *p.account.DepartmentCode)
	if err != nil {
		return submissionView{}, err
	}
	out := submissionView{Count: len(stored), TreeVersion: tree.Version, Items: make([]valueView, len(stored))}
	for i, v := range stored {
		out.Items[i] = valueView{ID: idString(v.ID), IndicatorCode: v.IndicatorCode, RegionCode: v.RegionCode, Period: v.Period,
			Value: v.Value, DepartmentCode: v.DepartmentCode, Replaced: v.Replaced, SubmittedAt: s.ts(v.CreatedAt)}
	}
	return out, nil
}

type valueView struct {
	ID             string  `json:"id"`
	IndicatorCode  string  `json:"indicator_code"`
	RegionCode     string  `json:"region_code"`
	Period         string  `json:"period"`
	Value          float64 `json:"value"`
	DepartmentCode string  `json:"department_code"`
	Replaced       bool    `json:"replaced"`
	SubmittedAt    string  `json:"submitted_at"`
}

type submissionView struct {
	Count       int         `json:"count"`
	TreeVersion string      `json:"tree_version"`
	Items       []valueView `json:"items"`
}

func (s *Server) checkValues(p *principal, tree configs.IndicatorTree, in *valueInput) []model.NewValue {
	ref := s.ref
	dept := *p.account.DepartmentCode
	deptName := ref.Departments[dept].Name
	first := map[[3]string]int{}
	out := make([]model.NewValue, 0, len(in.rows))
	for _, row := range in.rows {
		n, f := row.n, row.fields
		ok := true
		code := f["indicator_code"]
		leaf, found := tree.Find(code)
		switch {
		case !found:
			in.bad(n, "indicator_code", fmt.Sprintf("未知的指标代码（指标体系 %s 中没有 %s）", tree.Version, code))
			ok = false
		case !leaf.IsLeaf() || leaf.Source != configs.SourceSubmitted:
			in.bad(n, "indicator_code", fmt.Sprintf("%s %s 不是部门报送指标（数据来源：%s）", code, leaf.Name, sourceLabel(leaf.Source)))
			ok = false
		case leaf.Owner != dept:
			in.bad(n, "indicator_code", fmt.Sprintf("%s %s 由%s报送，本账号属于%s", code, leaf.Name, deptLabel(ref, leaf.Owner), deptName))
			ok = false
		}
		region := f["region_code"]
		if r, known := ref.Regions[region]; !known {
			in.bad(n, "region_code", "未知的行政区划代码")
			ok = false
		} else if !s.authz.Allowed(p.subject(), "submit", policy.Resource{Kind: "indicator_value", Region: region}) {
			in.bad(n, "region_code", fmt.Sprintf("%s不在本账号辖区（%s）内", r.Name, ref.Regions[p.account.RegionCode].Name))
			ok = false
		}
		if msg := s.periodProblem(f["period"]); msg != "" {
			in.bad(n, "period", msg)
			ok = false
		}
		var x float64
		if raw := f["value"]; !decimalPattern.MatchString(raw) {
			in.bad(n, "value", "须为数字（不带百分号、单位或千分位分隔符）")
			ok = false
		} else {
			var err error
			x, err = strconv.ParseFloat(raw, 64)
			lo, hi := 0.0, configs.MaxSubmittedValue
			if found {
				lo, hi = leaf.ValueRange()
			}
			switch {
			case err != nil || math.IsInf(x, 0) || math.IsNaN(x):
				in.bad(n, "value", "数值超出范围")
				ok = false
			case x < lo || x > hi:
				unit := ""
				if found {
					unit = leaf.Unit
				}
				in.bad(n, "value", fmt.Sprintf("须在 %s 到 %s 之间（单位：%s）", fmtNum(lo), fmtNum(hi), unit))
				ok = false
			}
		}
		if !ok {
			continue
		}
		key := [3]string{code, region, f["period"]}
		if prev, dup := first[key]; dup {
			in.bad(n, "", fmt.Sprintf("与第 %d 行重复（同一指标、区划与期间只能提交一次）", prev))
			continue
		}
		first[key] = n
		out = append(out, model.NewValue{IndicatorCode: code, RegionCode: region, Period: f["period"], Value: x})
	}
	return out
}

// periodProblem checks a period name: well formed (2026, 2026-Q3, 2026-11)
// and already begun. It returns "" when the period is fine.
func (s *Server) periodProblem(name string) string {
	per, err := model.ParsePeriod(name, s.cal.Location())
	if err != nil {
		return "期间格式应为 2026、2026-Q3 或 2026-11"
	}
	if per.From.After(s.clock()) {
		return "期间尚未开始"
	}
	return ""
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// The questionnaire.

type surveyBody struct {
	Answers map[string]json.RawMessage `json:"answers"`
}

type surveyView struct {
	ID           string         `json:"id"`
	EnterpriseID string         `json:"enterprise_id"`
	Period       string         `json:"period"`
	RegionCode   string         `json:"region_code"`
	Answers      map[string]int `json:"answers"`
	TreeVersion  string         `json:"tree_version"`
	CreatedAt    string         `json:"created_at"`
	UpdatedAt    string         `json:"updated_at"`
}

// answerSurvey stores an enterprise's answers to the satisfaction
// questionnaire of a period: every item a survey indicator of the tree in
// force, scored 1–5. One response per enterprise and period: answering
// again replaces the earlier answers (201 the first time, 200 after).
func (s *Server) answerSurvey(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "survey", "respond"); err != nil {
		return err
	}
	if p.account.EnterpriseID == nil {
		return policy.ErrForbidden
	}
	period := c.Param("period")
	var b surveyBody
	if err := s.decode(c, &b); err != nil {
		return err
	}
	var v workflow.ValidationError
	if msg := s.periodProblem(period); msg != "" {
		v.Add("period", msg)
	}
	tree, _, err := s.store.ActiveTree(c.Request.Context())
	if err != nil {
		return err
	}
	answers := map[string]int{}
	if len(b.Answers) == 0 {
		v.Add("answers", "至少回答一题")
	}
	for _, code := range sortedMapKeys(b.Answers) {
		field := "answers." + code
		leaf, ok := tree.Find(code)
		if !ok || !leaf.IsLeaf() || leaf.Source != configs.SourceSurvey {
			v.Add(field, fmt.Sprintf("不是问卷题目（指标体系 %s 的问卷指标才可作答）", tree.Version))
			continue
		}
		var score int
		if err := json.Unmarshal(b.Answers[code], &score); err != nil || score < 1 || score > 5 {
			v.Add(field, "评分须为 1 到 5 的整数")
			continue
		}
		answers[code] = score
	}
	if err := v.Err(); err != nil {
		return err
	}
	ctx := c.Request.Context()
	ent, err := s.store.GetEnterprise(ctx, *p.account.EnterpriseID)
	if err != nil {
		return err
	}
	if err := s.allow(p, "survey", "respond", ent.RegionCode); err != nil {
		return err
	}
	resp, created, err := s.store.AnswerSurvey(ctx, ent.ID, p.account.ID, ent.RegionCode, period, answers)
	if err != nil {
		return err
	}
	out := surveyView{ID: idString(resp.ID), EnterpriseID: idString(resp.EnterpriseID), Period: resp.Period,
		RegionCode: resp.RegionCode, Answers: answers, TreeVersion: tree.Version,
		CreatedAt: s.ts(resp.CreatedAt), UpdatedAt: s.ts(resp.UpdatedAt)}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, out)
	return nil
}

func sortedMapKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
