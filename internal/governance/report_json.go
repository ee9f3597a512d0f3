package governance

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The report is written by appendFinite, a reflective encoder that writes
// what json.Marshal(finite(v)) writes (objects with the exported fields
// under their Go names in sorted order, NaN and ±Inf as null, nil slices and
// maps as null) without building that tree of maps first: the report of a
// year of a city holds tens of thousands of tested cells, and the tree cost
// seconds (BenchmarkAnalyzeYear).

type encFunc func(b []byte, v reflect.Value) []byte

var encCache sync.Map // reflect.Type → encFunc

func encoderOf(t reflect.Type) encFunc {
	if f, ok := encCache.Load(t); ok {
		return f.(encFunc)
	}
	// A recursive type refers to itself through this indirection while
	// its encoder is built.
	var (
		wg sync.WaitGroup
		f  encFunc
	)
	wg.Add(1)
	fi, loaded := encCache.LoadOrStore(t, encFunc(func(b []byte, v reflect.Value) []byte {
		wg.Wait()
		return f(b, v)
	}))
	if loaded {
		return fi.(encFunc)
	}
	f = newEncoder(t)
	wg.Done()
	encCache.Store(t, f)
	return f
}

func newEncoder(t reflect.Type) encFunc {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		return func(b []byte, v reflect.Value) []byte {
			if v.IsNil() {
				return append(b, "null"...)
			}
			e := v.Elem()
			return encoderOf(e.Type())(b, e)
		}
	case reflect.Float32, reflect.Float64:
		bits := t.Bits()
		return func(b []byte, v reflect.Value) []byte { return appendFloat(b, v.Float(), bits) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(b []byte, v reflect.Value) []byte { return strconv.AppendInt(b, v.Int(), 10) }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(b []byte, v reflect.Value) []byte { return strconv.AppendUint(b, v.Uint(), 10) }
	case reflect.Bool:
		return func(b []byte, v reflect.Value) []byte { return strconv.AppendBool(b, v.Bool()) }
	case reflect.String:
		return func(b []byte, v reflect.Value) []byte { return appendString(b, v.String()) }
	case reflect.Struct:
		type field struct {
			name string
			i    int
			enc  encFunc
		}
		var fs []field
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			fs = append(fs, field{name: sf.Name, i: i})
		}
		slices.SortFunc(fs, func(a, b field) int {
			if a.name < b.name {
				return -1
			}
			if a.name > b.name {
				return 1
			}
			return 0
		})
		for k := range fs {
			fs[k].enc = encoderOf(t.Field(fs[k].i).Type)
		}
		return func(b []byte, v reflect.Value) []byte {
			b = append(b, '{')
			for k, f := range fs {
				if k > 0 {
					b = append(b, ',')
				}
				b = appendString(b, f.name)
				b = append(b, ':')
				b = f.enc(b, v.Field(f.i))
			}
			return append(b, '}')
		}
	case reflect.Slice, reflect.Array:
		elem := encoderOf(t.Elem())
		isSlice := t.Kind() == reflect.Slice
		return func(b []byte, v reflect.Value) []byte {
			if isSlice && v.IsNil() {
				return append(b, "null"...)
			}
			b = append(b, '[')
			for i := range v.Len() {
				if i > 0 {
					b = append(b, ',')
				}
				b = elem(b, v.Index(i))
			}
			return append(b, ']')
		}
	case reflect.Map:
		elem := encoderOf(t.Elem())
		return func(b []byte, v reflect.Value) []byte {
			if v.IsNil() {
				return append(b, "null"...)
			}
			keys := make([]string, 0, v.Len())
			vals := make(map[string]reflect.Value, v.Len())
			it := v.MapRange()
			for it.Next() {
				k := it.Key().String()
				keys = append(keys, k)
				vals[k] = it.Value()
			}
			slices.Sort(keys)
			b = append(b, '{')
			for i, k := range keys {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, k)
				b = append(b, ':')
				b = elem(b, vals[k])
			}
			return append(b, '}')
		}
	}
	// Anything else (not in a report today) goes through encoding/json.
	return func(b []byte, v reflect.Value) []byte {
		j, err := json.Marshal(finite(v))
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, j...)
	}
}

// appendFloat writes f as encoding/json does, NaN and ±Inf as null.
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string, escaping as encoding/json does
// (<, > and & too; invalid UTF-8 as U+FFFD).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendFinite writes v as json.Marshal(finite(v)) would.
func appendFinite(b []byte, v any) []byte {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return append(b, "null"...)
	}
	return encoderOf(rv.Type())(b, rv)
}
