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
	err := z.v.Struct(x)
	var ves validator.ValidationErrors
	if errors.As(err, &ves) {
		out := &workflow.ValidationError{}
		for _, fe := range ves {
			out.Add(fieldPath(fe), fe.Translate(z.tr))
		}
		return out
	}
	return err
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
	case errors.As(err, &tooBig):
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
