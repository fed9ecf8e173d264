package api

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// query reads the query string, refusing parameters the route does not know.
type query struct {
	values url.Values
	errs   workflow.ValidationError
	loc    *time.Location // dates are Beijing days
}

func (s *Server) query(c *gin.Context, known ...string) *query {
	values, bad := strictQuery(c.Request.URL.RawQuery)
	q := s.queryOf(values, known...)
	for _, e := range bad.Errors {
		q.errs.Add(e.Field, e.Message)
	}
	return q
}

// strictQuery parses a raw query string as url.ParseQuery does, but names
// what it cannot read instead of dropping it: a pair with a semicolon
// (status=closed;x), bad percent-encoding, a parameter given twice, or a
// value with characters no filter holds (NUL, bidirectional controls).
func strictQuery(raw string) (url.Values, *workflow.ValidationError) {
	values, bad := url.Values{}, &workflow.ValidationError{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil || strings.Contains(key, ";") {
			bad.Add(printable(key, rawKey), "无法解析的查询参数")
			continue
		}
		val, err := url.QueryUnescape(rawVal)
		switch {
		case err != nil:
			bad.Add(key, "参数值的百分号编码无效")
		case strings.Contains(rawVal, ";"):
			bad.Add(key, "参数值不能包含分号；多个值请用英文逗号分隔")
		case values.Has(key):
			bad.Add(key, "参数重复；多个值请用英文逗号分隔")
		default:
			if msg := badText(key); msg != "" {
				bad.Add(printable(key, rawKey), msg)
			} else if msg := badText(val); msg != "" {
				bad.Add(key, msg)
			} else {
				values.Set(key, val)
			}
		}
	}
	return values, bad
}

// printable is key, or its raw form when key cannot be read or shown.
func printable(key, raw string) string {
	if key == "" || badText(key) != "" || strings.Contains(key, ";") {
		return raw
	}
	return key
}

// queryOf is query over values (the console passes its form's).
func (s *Server) queryOf(values url.Values, known ...string) *query {
	q := &query{values: values, loc: s.cal.Location()}
	known = append(known, "page_size", "cursor")
	for k := range q.values {
		if !slices.Contains(known, k) {
			q.errs.Add(k, "不支持的查询参数")
		}
	}
	return q
}

func (q *query) str(name string, max int) string {
	v := q.values.Get(name)
	if len([]rune(v)) > max {
		q.errs.Add(name, "长度不能超过"+strconv.Itoa(max)+"个字符")
		return ""
	}
	return v
}

func (q *query) boolean(name string) *bool {
	v := q.values.Get(name)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.errs.Add(name, "必须是 true 或 false")
		return nil
	}
	return &b
}

// date reads a date (YYYY-MM-DD) as the start of that day in Beijing
// time; zero when absent.
func (q *query) date(name string) time.Time {
	v := q.values.Get(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(time.DateOnly, v, q.loc)
	if err != nil {
		q.errs.Add(name, "须为日期 YYYY-MM-DD")
		return time.Time{}
	}
	return t
}

func (q *query) page() model.Page {
	p := model.Page{Size: 20}
	if v := q.values.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1:
			q.errs.Add("page_size", "必须是 1 到 100 之间的整数")
		case n > 100:
			p.Size = 100 // capped, docs/design.md#api-conventions
		default:
			p.Size = n
		}
	}
	after, ok := parseCursor(q.values.Get("cursor"))
	if !ok {
		q.errs.Add("cursor", "游标无效")
	}
	p.After = after
	return p
}

// regionFilter turns region_code into the region and everything below it;
// nil when absent.
func (s *Server) regionFilter(q *query) []string {
	code := q.values.Get("region_code")
	if code == "" {
		return nil
	}
	if _, ok := s.ref.Regions[code]; !ok {
		q.errs.Add("region_code", "未知的行政区划代码")
		return nil
	}
	return s.authz.Descendants(code)
}

func (q *query) err() error { return q.errs.Err() }

// parsePathID reads the id of a path; a malformed or out-of-range id is
// simply not found.
func parsePathID(raw string) (uint64, error) {
	id, ok := parseID(raw)
	if !ok {
		return 0, model.ErrNotFound
	}
	return id, nil
}
