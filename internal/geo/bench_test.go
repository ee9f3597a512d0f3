package geo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tessellation is a synthetic city of irregular polygons for benchmarks: a
// jittered, gently warped lattice of shared vertices cut into blocks of
// cells (a guillotine partition), so neighbours share their edges exactly
// and every polygon is an irregular ring through all lattice vertices on its
// border — the shape of real grid (网格) boundaries at city scale.
type tessellation struct {
	nx, ny int
	v      [][2]float64
	rects  [][4]int // i0, j0, i1, j1
}

func newTessellation(nx, ny, polys int, seed uint64) *tessellation {
	rng := rand.New(rand.NewPCG(seed, 7))
	t := &tessellation{nx: nx, ny: ny, v: make([][2]float64, (nx+1)*(ny+1))}
	const w, s, e, n = 116.0, 39.6, 116.9, 40.3
	dx, dy := (e-w)/float64(nx), (n-s)/float64(ny)
	for j := 0; j <= ny; j++ {
		for i := 0; i <= nx; i++ {
			fi, fj := float64(i), float64(j)
			jx, jy := 0.0, 0.0
			if i > 0 && i < nx && j > 0 && j < ny {
				// jitter plus a smooth warp that vanishes on the border
				taper := math.Sin(math.Pi*fi/float64(nx)) * math.Sin(math.Pi*fj/float64(ny))
				jx = (rng.Float64()*2-1)*0.3 + 4*taper*math.Sin(fj/17+fi/41)
				jy = (rng.Float64()*2-1)*0.3 + 4*taper*math.Sin(fi/23-fj/37)
			}
			x := math.Round((w+(fi+jx)*dx)*1e6) / 1e6
			y := math.Round((s+(fj+jy)*dy)*1e6) / 1e6
			t.v[j*(nx+1)+i] = [2]float64{x, y}
		}
	}
	var split func(r [4]int, k int)
	split = func(r [4]int, k int) {
		w, h := r[2]-r[0], r[3]-r[1]
		if k <= 1 || w*h < 2 {
			t.rects = append(t.rects, r)
			return
		}
		vertical := w >= h
		length, other := h, w
		if vertical {
			length, other = w, h
		}
		cut := int(math.Round(float64(length) * (0.5 + (rng.Float64()*2-1)*0.15)))
		cut = max(1, min(length-1, cut))
		k1 := int(math.Round(float64(k) * float64(cut) / float64(length)))
		k1 = max(1, k-(length-cut)*other, min(k1, k-1, cut*other))
		if vertical {
			split([4]int{r[0], r[1], r[0] + cut, r[3]}, k1)
			split([4]int{r[0] + cut, r[1], r[2], r[3]}, k-k1)
		} else {
			split([4]int{r[0], r[1], r[2], r[1] + cut}, k1)
			split([4]int{r[0], r[1] + cut, r[2], r[3]}, k-k1)
		}
	}
	split([4]int{0, 0, nx, ny}, polys)
	return t
}

func (t *tessellation) at(i, j int) [2]float64 { return t.v[j*(t.nx+1)+i] }

// ring is the closed boundary of block k through every lattice vertex.
func (t *tessellation) ring(k int) [][2]float64 {
	r := t.rects[k]
	var out [][2]float64
	for i := r[0]; i <= r[2]; i++ {
		out = append(out, t.at(i, r[1]))
	}
	for j := r[1] + 1; j <= r[3]; j++ {
		out = append(out, t.at(r[2], j))
	}
	for i := r[2] - 1; i >= r[0]; i-- {
		out = append(out, t.at(i, r[3]))
	}
	for j := r[3] - 1; j >= r[1]; j-- {
		out = append(out, t.at(r[0], j))
	}
	return out
}

func ringJSON(r [][2]float64) string {
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	for i, p := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("[" + strconv.FormatFloat(p[0], 'f', -1, 64) + "," + strconv.FormatFloat(p[1], 'f', -1, 64) + "]")
	}
	b.WriteString(`]]}`)
	return b.String()
}

func (t *tessellation) items(tb testing.TB) []Item {
	items := make([]Item, len(t.rects))
	for k := range t.rects {
		sh, err := Parse(ringJSON(t.ring(k)))
		if err != nil {
			tb.Fatalf("polygon %d: %v", k, err)
		}
		items[k] = Item{ID: int64(k + 1), Shape: sh}
	}
	return items
}

// samplePoints returns n points inside the tessellation's cells (random
// bilinear points of random cells), with the block each lies in.
func (t *tessellation) samplePoints(n int, seed uint64) ([][2]float64, []int64) {
	rng := rand.New(rand.NewPCG(seed, 9))
	owner := make([]int64, t.nx*t.ny)
	for k, r := range t.rects {
		for j := r[1]; j < r[3]; j++ {
			for i := r[0]; i < r[2]; i++ {
				owner[j*t.nx+i] = int64(k + 1)
			}
		}
	}
	pts := make([][2]float64, 0, n)
	ids := make([]int64, 0, n)
	for len(pts) < n {
		i, j := rng.IntN(t.nx), rng.IntN(t.ny)
		a, b, c, d := t.at(i, j), t.at(i+1, j), t.at(i+1, j+1), t.at(i, j+1)
		u, v := 0.1+0.8*rng.Float64(), 0.1+0.8*rng.Float64()
		p := [2]float64{
			(1-u)*(1-v)*a[0] + u*(1-v)*b[0] + u*v*c[0] + (1-u)*v*d[0],
			(1-u)*(1-v)*a[1] + u*(1-v)*b[1] + u*v*c[1] + (1-u)*v*d[1],
		}
		if !InRing([][2]float64{a, b, c, d, a}, p[0], p[1]) {
			continue // a concave cell's bilinear point can fall outside it
		}
		pts = append(pts, p)
		ids = append(ids, owner[j*t.nx+i])
	}
	return pts, ids
}

// TestTessellationIndex checks the index against the construction on the
// benchmark's 40,000 polygons.
func TestTessellationIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 40,000 polygons")
	}
	ts := newTessellation(400, 300, 40000, 1)
	if len(ts.rects) != 40000 {
		t.Fatalf("tessellation has %d polygons", len(ts.rects))
	}
	ix := NewIndex(ts.items(t))
	pts, ids := ts.samplePoints(200000, 2)
	for k, p := range pts {
		if got, ok := ix.Lookup(p[0], p[1]); !ok || got != ids[k] {
			t.Fatalf("Lookup(%v) = %d, %v; want %d", p, got, ok, ids[k])
		}
	}
	// Every lattice vertex is on a border: it must resolve to the lowest id
	// among the blocks around it.
	owner := map[[2]float64]int64{}
	for k := range ts.rects {
		for _, v := range ts.ring(k) {
			if o, ok := owner[v]; !ok || int64(k+1) < o {
				owner[v] = int64(k + 1)
			}
		}
	}
	for v, want := range owner {
		if got, ok := ix.Lookup(v[0], v[1]); !ok || got != want {
			t.Fatalf("vertex %v: Lookup = %d, %v; want lowest id %d", v, got, ok, want)
		}
	}
}

// BenchmarkLookup40k measures point → polygon over 40,000 irregular grid
// polygons, one goroutine (the per-core figure): go test -bench Lookup40k ./internal/geo
func BenchmarkLookup40k(b *testing.B) {
	ts := newTessellation(400, 300, 40000, 1)
	start := time.Now()
	ix := NewIndex(ts.items(b))
	build := time.Since(start)
	pts, _ := ts.samplePoints(1<<16, 3)
	b.ResetTimer()
	hits := 0
	for i := 0; b.Loop(); i++ {
		p := pts[i&(len(pts)-1)]
		if _, ok := ix.Lookup(p[0], p[1]); ok {
			hits++
		}
	}
	b.StopTimer()
	if hits == 0 {
		b.Fatal("no hits")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	b.ReportMetric(build.Seconds()*1000, "build-ms")
	b.ReportMetric(float64(ix.Len()), "polygons")
}

// BenchmarkValidate40k measures the import validation of the 40,000-polygon
// tessellation as grids of one parent covering it.
func BenchmarkValidate40k(b *testing.B) {
	ts := newTessellation(400, 300, 40000, 1)
	var fs []string
	for k := range ts.rects {
		fs = append(fs, `{"type":"Feature","properties":{"code":"G`+strconv.Itoa(k)+`","level":"grid","parent":"C","name":"网格"},"geometry":`+ringJSON(ts.ring(k))+`}`)
	}
	data := []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
	outline := ringJSON(func() [][2]float64 {
		var r [][2]float64
		for i := 0; i <= ts.nx; i++ {
			r = append(r, ts.at(i, 0))
		}
		for j := 1; j <= ts.ny; j++ {
			r = append(r, ts.at(ts.nx, j))
		}
		for i := ts.nx - 1; i >= 0; i-- {
			r = append(r, ts.at(i, ts.ny))
		}
		for j := ts.ny - 1; j >= 0; j-- {
			r = append(r, ts.at(0, j))
		}
		return r
	}())
	existing := []Existing{{Code: "C", Name: "社区", Level: "community", Boundary: outline}}
	b.ResetTimer()
	for b.Loop() {
		feats, ps := ParseImport(data)
		if len(ps) > 0 {
			b.Fatal(ps[0])
		}
		if ps := ValidateImport(feats, existing, ImportOptions{}); len(ps) > 0 {
			b.Fatal(len(ps), ps[0])
		}
	}
	b.ReportMetric(float64(len(ts.rects)), "polygons")
}
