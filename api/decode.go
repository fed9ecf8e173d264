package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/locales/zh"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	zhtrans "github.com/go-playground/validator/v10/translations/zh"

	"qinqing/workflow"
)

// validatorZH validates request bodies by their `validate` tags and words
// the failures in Chinese, naming fields by their JSON names.
type validatorZH struct {
	v  *validator.Validate
	tr ut.Translator
}

func newValidatorZH() (*validatorZH, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	zhLoc := zh.New()
	tr, _ := ut.New(zhLoc, zhLoc).GetTranslator("zh")
	if err := zhtrans.RegisterDefaultTranslations(v, tr); err != nil {
		return nil, err
	}
	return &validatorZH{v: v, tr: tr}, nil
}

func (z *validatorZH) check(x any) error {
	out := &workflow.ValidationError{}
	textFields(reflect.ValueOf(x), "", out)
	err := z.v.Struct(x)
	var ves validator.ValidationErrors
	if errors.As(err, &ves) {
		for _, fe := range ves {
			if !hasField(out, fieldPath(fe)) {
				out.Add(fieldPath(fe), fe.Translate(z.tr))
			}
		}
	} else if err != nil {
		return err
	}
	return out.Err()
}

func hasField(v *workflow.ValidationError, field string) bool {
	return slices.ContainsFunc(v.Errors, func(e workflow.FieldError) bool { return e.Field == field })
}

// badText says what is wrong with text no field may hold: NUL, and the
// bidirectional controls (U+202A–U+202E, U+2066–U+2069) that can make a
// name or a note read differently from what is stored ("" when fine).
func badText(s string) string {
	for _, r := range s {
		switch {
		case r == 0:
			return "不能包含空字符（NUL）"
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return "不能包含双向文本控制字符（U+202A–U+202E、U+2066–U+2069）"
		}
	}
	return ""
}

// textFields adds an error for every string in v (a body after decoding,
// nested structs, slices and maps included) that badText refuses, named
// by its JSON path.
func textFields(v reflect.Value, path string, out *workflow.ValidationError) {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			textFields(v.Elem(), path, out)
		}
	case reflect.String:
		if msg := badText(v.String()); msg != "" && !hasField(out, path) {
			out.Add(path, msg)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if f.Anonymous && f.Tag.Get("json") == "" {
				textFields(v.Field(i), path, out)
				continue
			}
			textFields(v.Field(i), join(name), out)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			textFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if msg := badText(k); msg != "" && !hasField(out, path) {
				out.Add(path, msg)
				continue
			}
			textFields(iter.Value(), join(k), out)
		}
	}
}

// fieldPath is the JSON path of a failed field, without the struct name.
func fieldPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return fe.Field()
}

// decode reads a JSON body strictly into dst: unknown fields (including
// fields a caller may not set, such as status or id) are refused, as are
// trailing data and bodies over 1 MiB; then dst is validated.
func (s *Server) decode(c *gin.Context, dst any) error {
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	if err := decodeStrict(body, dst); err != nil {
		return err
	}
	return s.valid.check(dst)
}

// readJSON reads a request body that must be JSON: a body sent with another
// media type is refused (415) rather than guessed at.
func readJSON(c *gin.Context) ([]byte, error) {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, _ := strings.Cut(ct, ";")
		if mt = strings.TrimSpace(strings.ToLower(mt)); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return nil, errUnsupportedMedia
		}
	}
	return io.ReadAll(c.Request.Body)
}

func decodeStrict(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return workflow.Invalid("body", "请求体不能为空")
	}
	if err := duplicateKeys(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if f := badTimeField(body, dst); f != "" {
			return workflow.Invalid(f, "时间格式应为 RFC 3339，如 2026-12-01T17:00:00+08:00")
		}
		return jsonError(err)
	}
	if dec.More() {
		return workflow.Invalid("body", "请求体只能包含一个 JSON 对象")
	}
	return exactNames(body, dst)
}

// duplicateKeys refuses an object that gives a key twice
// ({"title":"a","title":"b"}): encoding/json would keep the last silently,
// and another reader of the same body might keep the first. The field is
// named by its path; a body that is not JSON is left to the decoder.
func duplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		keys   map[string]bool
		path   string
		key    string // the key whose value comes next (objects)
		index  int    // the next element's index (arrays)
		want   bool   // an object expects a key next
	}
	var stack []*frame
	child := func() string { // the path of the value about to start
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.object {
			if f.path == "" {
				return f.key
			}
			return f.path + "." + f.key
		}
		return fmt.Sprintf("%s[%d]", f.path, f.index)
	}
	done := func() { // a value ended inside the top frame
		if len(stack) == 0 {
			return
		}
		f := stack[len(stack)-1]
		if f.object {
			f.want = true
		} else {
			f.index++
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error the decoder will report
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &frame{object: t == '{', keys: map[string]bool{}, path: child(), want: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
			continue
		case string:
			if top != nil && top.object && top.want {
				if top.keys[t] {
					name := t
					if top.path != "" {
						name = top.path + "." + t
					}
					return workflow.Invalid(name, "字段重复")
				}
				top.keys[t], top.key, top.want = true, t, false
				continue
			}
		}
		done()
	}
}

// badTimeField names the time field of dst whose value is not a time: the
// error encoding/json gives for it names no field.
func badTimeField(body []byte, dst any) string {
	var keys map[string]json.RawMessage
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || json.Unmarshal(body, &keys) != nil {
		return ""
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type != reflect.TypeFor[time.Time]() && f.Type != reflect.TypeFor[*time.Time]() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		var v *time.Time
		if raw, ok := keys[name]; ok && json.Unmarshal(raw, &v) != nil {
			return name
		}
	}
	return ""
}

// exactNames refuses keys that name a field of dst only when letter case is
// ignored ("Title" for title): encoding/json accepts them, the contract does not.
func exactNames(body []byte, dst any) error {
	var keys map[string]json.RawMessage
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || json.Unmarshal(body, &keys) != nil {
		return nil
	}
	names := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names[name] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !names[k] {
			return workflow.Invalid(k, "不允许的字段")
		}
	}
	return nil
}

// jsonError words a decoding failure for people, naming the field.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig), errors.Is(err, errBodyTimeout):
		return err
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return workflow.Invalid("body", "请求体不是有效的 JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return workflow.Invalid(field, fmt.Sprintf("类型错误，应为 %s", jsonType(typ.Type)))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return workflow.Invalid(strings.Trim(name, `"`), "不允许的字段")
	}
	var ve *workflow.ValidationError
	if errors.As(err, &ve) {
		return err
	}
	return workflow.Invalid("body", "请求体无法解析")
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "字符串"
	case reflect.Bool:
		return "布尔值"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint, reflect.Uint32:
		return "整数"
	case reflect.Float64, reflect.Float32:
		return "数字"
	case reflect.Slice:
		return "数组"
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return "对象"
}
