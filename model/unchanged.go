package model

import (
	"context"
	"reflect"
	"time"

	"gorm.io/gorm"
)

// dropUnchanged removes from upd the columns whose new value row already
// holds, so that a transition's UPDATE sets only what it changes.
//
// Why: SQLite rewrites the entry of every index on a column an UPDATE sets,
// whether or not its value changed. A 督办 (same state) set status and
// supervised again: eight indexes of requests (seven hold status) — eight
// more pages for the single writer to write into the log at every commit,
// about as many as the rest of the transition. Only values that are
// plainly equal (strings, numbers, booleans, times, nil) are dropped; any
// other value is kept, which is always correct.
func dropUnchanged(tx *gorm.DB, row any, upd map[string]any) {
	stmt := &gorm.Statement{DB: tx}
	if err := stmt.Parse(row); err != nil {
		return
	}
	rv := reflect.Indirect(reflect.ValueOf(row))
	if rv.Kind() != reflect.Struct {
		return
	}
	for col, nv := range upd {
		f := stmt.Schema.LookUpField(col)
		if f == nil {
			continue
		}
		if sameValue(f.ReflectValueOf(context.Background(), rv), reflect.ValueOf(nv)) {
			delete(upd, col)
		}
	}
}

// sameValue reports whether a stored field and a value to write are
// plainly equal; false when in doubt.
func sameValue(cur, nv reflect.Value) bool {
	cur, curNil := deref(cur)
	nv, nvNil := deref(nv)
	if curNil || nvNil {
		return curNil && nvNil
	}
	if ct, ok := cur.Interface().(time.Time); ok {
		nt, ok := nv.Interface().(time.Time)
		return ok && ct.Equal(nt)
	}
	switch cur.Kind() {
	case reflect.String:
		return nv.Kind() == reflect.String && cur.String() == nv.String()
	case reflect.Bool:
		return nv.Kind() == reflect.Bool && cur.Bool() == nv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return nv.CanInt() && cur.Int() == nv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return nv.CanUint() && cur.Uint() == nv.Uint()
	}
	return false
}

// deref follows pointers and interfaces; nil reports a nil one (or no value).
func deref(v reflect.Value) (reflect.Value, bool) {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return v, true
		}
		v = v.Elem()
	}
	return v, !v.IsValid()
}
