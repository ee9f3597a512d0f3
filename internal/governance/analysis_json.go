package governance

import (
	"math"
	"reflect"
)

// The report has no JSON tags and keeps unknown values as NaN, which
// encoding/json refuses: finite turns it into a tree of maps, slices and
// scalars with NaN and ±Inf as nil, and restoreNaN sets the float fields
// a decoded tree holds as null back to NaN.

func reflectValue(v any) reflect.Value { return reflect.ValueOf(v) }

func finite(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return finite(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Struct:
		m := make(map[string]any, v.NumField())
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			m[t.Field(i).Name] = finite(v.Field(i))
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = finite(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		m := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			m[it.Key().String()] = finite(it.Value())
		}
		return m
	}
	return v.Interface()
}

func restoreNaN(v reflect.Value, tree any) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			restoreNaN(v.Elem(), tree)
		}
	case reflect.Float32, reflect.Float64:
		if tree == nil && v.CanSet() {
			v.SetFloat(math.NaN())
		}
	case reflect.Struct:
		m, _ := tree.(map[string]any)
		if m == nil {
			return
		}
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				if sub, ok := m[f.Name]; ok {
					restoreNaN(v.Field(i), sub)
				}
			}
		}
	case reflect.Slice:
		l, _ := tree.([]any)
		for i := 0; i < v.Len() && i < len(l); i++ {
			restoreNaN(v.Index(i), l[i])
		}
	}
}
