package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"qinqing/workflow"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Reading what clients upload besides JSON objects: the media type of a
// body, and the indicator values a department submits as a JSON array or a
// CSV file (as Excel saves it), row by row with every problem named.

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
