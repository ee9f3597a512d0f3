package store

import "testing"

// TestShortFloats: a classifier evaluation's fractions are stored with 6
// significant digits, integers as they are.
func TestShortFloats(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"recall":0.9565217391304348,"support":92,"n":12345678901}`, `{"n":12345678901,"recall":0.956522,"support":92}`},
		{`[1e-7, 2.5, 17396532626.25]`, `[1e-07,2.5,1.73965e+10]`},
		{`{}`, `{}`},
		{`not json.`, `not json.`},
	} {
		if got := shortFloats(c.in); got != c.want {
			t.Errorf("shortFloats(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}
