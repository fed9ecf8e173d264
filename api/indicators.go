package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
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

// mediaType is the request's media type, lower case, without parameters;
// "" when the request names none.
func mediaType(c *gin.Context) string {
	ct := c.GetHeader("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
	}
	return strings.TrimSpace(strings.ToLower(mt))
}

// Submitted values.

// maxValueRows bounds the rows of one submission.
const maxValueRows = 10000

// valueColumns are the fields of a submitted row, in the CSV header order.
var valueColumns = []string{"indicator_code", "region_code", "period", "value"}

// valueRow is one row of a submission as received: its number (1-based,
// the header excluded) and its fields as text.
type valueRow struct {
	n      int
	fields map[string]string
}

// valueInput collects the rows of a submission and the problems found in it.
type valueInput struct {
	rows []valueRow
	errs workflow.ValidationError
}

func (in *valueInput) bad(n int, field, msg string) {
	name := fmt.Sprintf("rows[%d]", n)
	if field != "" {
		name += "." + field
	}
	in.errs.Add(name, msg)
}

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
	tree, _, err := s.store.ActiveTree(c.Request.Context())
	if err != nil {
		return err
	}
	rows := s.checkValues(p, tree, in)
	if len(in.errs.Errors) > 0 {
		bad := map[string]bool{}
		for _, e := range in.errs.Errors {
			row, _, _ := strings.Cut(e.Field, ".")
			bad[row] = true
		}
		return refuse(errValidation, fmt.Sprintf("共 %d 行有误，整批数据均未保存；请改正后重新提交（行号从 1 起，不含表头）", len(bad)),
			in.errs.Errors...)
	}
	stored, err := s.store.SubmitValues(c.Request.Context(), rows, p.account.ID, *p.account.DepartmentCode)
	if err != nil {
		return err
	}
	out := submissionView{Count: len(stored), TreeVersion: tree.Version, Items: make([]valueView, len(stored))}
	for i, v := range stored {
		out.Items[i] = valueView{ID: idString(v.ID), IndicatorCode: v.IndicatorCode, RegionCode: v.RegionCode, Period: v.Period,
			Value: v.Value, DepartmentCode: v.DepartmentCode, Replaced: v.Replaced, SubmittedAt: s.ts(v.CreatedAt)}
	}
	c.JSON(http.StatusCreated, out)
	return nil
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

// charset is the lower-case charset parameter of the request's Content-Type.
func charset(c *gin.Context) string {
	_, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(params["charset"])
}

// readValuesJSON reads a JSON array of row objects.
func readValuesJSON(r io.Reader, in *valueInput) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return jsonError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return workflow.Invalid("body", "请求体不能为空")
	}
	var items []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&items); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return workflow.Invalid("body", "请求体须为 JSON 数组，每个元素为一行指标值")
		}
		return jsonError(err)
	}
	if dec.More() {
		return workflow.Invalid("body", "请求体只能包含一个 JSON 数组")
	}
	if len(items) > maxValueRows {
		return workflow.Invalid("body", fmt.Sprintf("一次最多提交 %d 行", maxValueRows))
	}
	for i, raw := range items {
		n := i + 1
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			in.bad(n, "", "每行须为 JSON 对象")
			continue
		}
		row := valueRow{n: n, fields: map[string]string{}}
		ok := true
		for _, k := range sortedMapKeys(obj) {
			if !slices.Contains(valueColumns, k) {
				in.bad(n, k, "不允许的字段")
				ok = false
			}
		}
		for _, k := range valueColumns {
			v, present := obj[k]
			if !present || string(v) == "null" {
				in.bad(n, k, "必填")
				ok = false
				continue
			}
			if k == "value" {
				var num json.Number
				if json.Unmarshal(v, &num) != nil {
					in.bad(n, k, "须为数字")
					ok = false
					continue
				}
				row.fields[k] = num.String()
				continue
			}
			var str string
			if json.Unmarshal(v, &str) != nil {
				in.bad(n, k, "须为字符串")
				ok = false
				continue
			}
			row.fields[k] = str
		}
		if ok {
			in.rows = append(in.rows, row)
		}
	}
	if len(items) == 0 {
		return workflow.Invalid("body", "至少提交一行")
	}
	return nil
}

// utf8BOM is the byte order mark Excel writes at the start of a UTF-8 CSV.
const utf8BOM = "\xef\xbb\xbf"

// readValuesCSV reads a CSV file with the header
// indicator_code,region_code,period,value (any order, optional BOM, CRLF
// or LF line ends, quoted fields as Excel writes them). Row n is the n-th
// line after the header, so that a spreadsheet's row n+1 is rows[n].
func readValuesCSV(r io.Reader, in *valueInput) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return jsonError(err)
	}
	body = bytes.TrimPrefix(body, []byte(utf8BOM))
	if !utf8.Valid(body) {
		return workflow.Invalid("body", "CSV 文件须为 UTF-8 编码（Excel 请另存为“CSV UTF-8（逗号分隔）”）")
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return workflow.Invalid("body", "CSV 文件为空")
	}
	if err != nil {
		return workflow.Invalid("header", "CSV 表头无法解析")
	}
	headerLine, _ := cr.FieldPos(0)
	cols := map[string]int{}
	var herr workflow.ValidationError
	for i, h := range trimTrailingEmpty(header) {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case !slices.Contains(valueColumns, h):
			herr.Add("header", fmt.Sprintf("未知的列 %q（表头应为 indicator_code,region_code,period,value）", h))
		case cols[h] != 0:
			herr.Add("header", fmt.Sprintf("列 %s 重复", h))
		default:
			cols[h] = i + 1
		}
	}
	for _, k := range valueColumns {
		if cols[k] == 0 && len(herr.Errors) == 0 {
			herr.Add("header", "缺少列 "+k+"（表头应为 indicator_code,region_code,period,value）")
		}
	}
	if err := herr.Err(); err != nil {
		return err
	}
	count := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return workflow.Invalid(fmt.Sprintf("rows[%d]", max(1, pe.StartLine-headerLine)), "CSV 格式错误（引号不匹配等）")
			}
			return workflow.Invalid("body", "CSV 文件无法解析")
		}
		line, _ := cr.FieldPos(0)
		n := line - headerLine
		rec = trimTrailingEmpty(rec)
		if len(rec) == 0 {
			continue // a blank row, as spreadsheets write them
		}
		if count++; count > maxValueRows {
			return workflow.Invalid("body", fmt.Sprintf("一次最多提交 %d 行", maxValueRows))
		}
		if len(rec) > len(cols) {
			in.bad(n, "", fmt.Sprintf("列数为 %d，多于表头的 %d 列", len(rec), len(cols)))
			continue
		}
		row := valueRow{n: n, fields: map[string]string{}}
		ok := true
		for _, k := range valueColumns {
			i := cols[k] - 1
			v := ""
			if i < len(rec) {
				v = strings.TrimSpace(rec[i])
			}
			if v == "" {
				in.bad(n, k, "必填")
				ok = false
			}
			row.fields[k] = v
		}
		if ok {
			in.rows = append(in.rows, row)
		}
	}
	if count == 0 {
		return workflow.Invalid("body", "CSV 文件除表头外没有数据行")
	}
	return nil
}

// trimTrailingEmpty drops empty cells at the end of a record (spreadsheets
// write them for formatted but empty columns).
func trimTrailingEmpty(rec []string) []string {
	for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1]
	}
	return rec
}

// decimalPattern is a plain decimal number, as a spreadsheet writes one
// (no thousands separators, no percent sign).
var decimalPattern = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)

// checkValues validates every row against the tree in force and the
// caller's department and region, recording each problem in in.errs, and
// returns the rows to store.
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

func deptLabel(ref *model.Reference, code string) string {
	if d, ok := ref.Departments[code]; ok {
		return d.Name
	}
	return code
}

var sourceLabels = map[string]string{
	configs.SourceTracker: "系统计算", configs.SourceSubmitted: "部门报送", configs.SourceSurvey: "企业问卷",
}

func sourceLabel(src string) string {
	if l, ok := sourceLabels[src]; ok {
		return l
	}
	return "汇总指标"
}

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
