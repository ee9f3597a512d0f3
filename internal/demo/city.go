package demo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"whistle/internal/org"
)

// The city lies on a jittered lattice of shared vertices. Every place is a
// rectangle of lattice cells in index space, so neighbours share their
// edges exactly, while the jitter makes every cell an irregular
// quadrilateral on the map.
const (
	latticeNX = 160 // cells west to east
	latticeNY = 120 // cells south to north
	cityW     = 116.1
	cityE     = 116.7
	cityS     = 39.7
	cityN     = 40.1
	cityName  = "江川市"
	cityCode  = "209900"
)

// rect is a block of lattice cells [I0,I1) × [J0,J1).
type rect struct{ I0, J0, I1, J1 int }

func (r rect) w() int    { return r.I1 - r.I0 }
func (r rect) h() int    { return r.J1 - r.J0 }
func (r rect) area() int { return r.w() * r.h() }

// lattice holds the jittered vertices, (NX+1) × (NY+1), row by row.
type lattice struct {
	nx, ny int
	v      []pt
}

// warpMargin keeps the warped lattice inside the city's box (in cells).
const warpMargin = 6

// newLattice jitters every vertex a little (irregular cells) and warps the
// whole lattice with a smooth, gentle displacement field (curving the long
// boundaries). The warp's gradient stays well below one cell per cell, so
// no cell folds over and neighbours still share their edges exactly.
func newLattice(rng *rand.Rand) *lattice {
	l := &lattice{nx: latticeNX, ny: latticeNY, v: make([]pt, (latticeNX+1)*(latticeNY+1))}
	dx := (cityE - cityW) / (latticeNX + 2*warpMargin)
	dy := (cityN - cityS) / (latticeNY + 2*warpMargin)
	type wave struct{ a, fi, fj, ph float64 }
	var wx, wy [3]wave
	for k := range wx {
		amp := []float64{2.6, 1.4, 0.7}[k]
		wx[k] = wave{amp, float64(rng.IntN(3)), float64(1 + rng.IntN(3)), rng.Float64() * 2 * math.Pi}
		wy[k] = wave{amp, float64(1 + rng.IntN(3)), float64(rng.IntN(3)), rng.Float64() * 2 * math.Pi}
	}
	warp := func(ws [3]wave, i, j float64) float64 {
		d := 0.0
		for _, w := range ws {
			d += w.a * math.Sin(2*math.Pi*(w.fi*i/latticeNX+w.fj*j/latticeNY)+w.ph)
		}
		return d
	}
	for j := 0; j <= l.ny; j++ {
		for i := 0; i <= l.nx; i++ {
			fi, fj := float64(i), float64(j)
			jx := (rng.Float64()*2-1)*0.28 + warp(wx, fi, fj)
			jy := (rng.Float64()*2-1)*0.28 + warp(wy, fi, fj)
			x := cityW + (warpMargin+fi+jx)*dx
			y := cityS + (warpMargin+fj+jy)*dy
			l.v[j*(l.nx+1)+i] = pt{round6(x), round6(y)}
		}
	}
	return l
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

func (l *lattice) at(i, j int) pt { return l.v[j*(l.nx+1)+i] }

// ring returns the closed, counter-clockwise boundary of r through every
// lattice vertex on its edge.
func (l *lattice) ring(r rect) []pt {
	out := make([]pt, 0, 2*(r.w()+r.h())+1)
	for i := r.I0; i <= r.I1; i++ { // south edge, west to east
		out = append(out, l.at(i, r.J0))
	}
	for j := r.J0 + 1; j <= r.J1; j++ { // east edge, south to north
		out = append(out, l.at(r.I1, j))
	}
	for i := r.I1 - 1; i >= r.I0; i-- { // north edge, east to west
		out = append(out, l.at(i, r.J1))
	}
	for j := r.J1 - 1; j >= r.J0; j-- { // west edge, north to south, closing
		out = append(out, l.at(r.I0, j))
	}
	return out
}

// samplePoint returns a point well inside a random cell of r.
func (l *lattice) samplePoint(r rect, rng *rand.Rand) pt {
	for range 20 {
		i := r.I0 + rng.IntN(r.w())
		j := r.J0 + rng.IntN(r.h())
		a, b, c, d := l.at(i, j), l.at(i+1, j), l.at(i+1, j+1), l.at(i, j+1)
		u := 0.15 + 0.7*rng.Float64()
		v := 0.15 + 0.7*rng.Float64()
		p := pt{
			round6((1-u)*(1-v)*a.X + u*(1-v)*b.X + u*v*c.X + (1-u)*v*d.X),
			round6((1-u)*(1-v)*a.Y + u*(1-v)*b.Y + u*v*c.Y + (1-u)*v*d.Y),
		}
		if inQuad(p, a, b, c, d) {
			return p
		}
	}
	a, c := l.at(r.I0, r.J0), l.at(r.I0+1, r.J0+1)
	return pt{round6((a.X + c.X) / 2), round6((a.Y + c.Y) / 2)}
}

// split cuts r into k irregular rectangles (a guillotine partition), each
// of at least minArea cells where room allows, cutting across the longer side in metres.
func split(r rect, k, minArea int, rng *rand.Rand) []rect {
	if k <= 1 {
		return []rect{r}
	}
	k1 := k / 2
	k2 := k - k1
	vertical := float64(r.w())*0.32 >= float64(r.h())*0.37 // cells are ~320 m × 370 m
	if r.w() < 2 {
		vertical = false
	} else if r.h() < 2 {
		vertical = true
	}
	length, other := r.h(), r.w()
	if vertical {
		length, other = r.w(), r.h()
	}
	frac := float64(k1) / float64(k) * (1 + (rng.Float64()*2-1)*0.18)
	cut := int(math.Round(float64(length) * frac))
	cut = max(1, min(length-1, cut))
	for cut*other < k1*minArea && cut < length-1 {
		cut++
	}
	for (length-cut)*other < k2*minArea && cut > 1 {
		cut--
	}
	var a, b rect
	if vertical {
		a, b = rect{r.I0, r.J0, r.I0 + cut, r.J1}, rect{r.I0 + cut, r.J0, r.I1, r.J1}
	} else {
		a, b = rect{r.I0, r.J0, r.I1, r.J0 + cut}, rect{r.I0, r.J0 + cut, r.I1, r.J1}
	}
	return append(split(a, k1, minArea, rng), split(b, k2, minArea, rng)...)
}

// city is the generator's model of the place tree, with indices into the
// dataset's slices (ID = index + 1).
type city struct {
	lat       *lattice
	districts []*district
	streets   []*street
	comms     []*community
	grids     []*grid
}

type district struct {
	place   int
	code    string
	name    string // 临江区
	short   string // 临江
	urban   bool
	rect    rect
	centre  int            // unit index
	depts   map[string]int // district departments by key (cgzf, zjw, scjg) → unit index
	sup     int            // supervisor user index
	streets []*street
}

type street struct {
	place   int
	code    string
	name    string // 滨河街道 / 石门镇
	base    string // 滨河
	town    bool   // 镇 or 乡
	dist    *district
	rect    rect
	office  int // unit index
	roads   []string
	comms   []*community
	workers []int // grid-worker user indices
}

type community struct {
	place     int
	code      string
	name      string // 翠湖里社区 / 前营村
	village   bool
	compounds []string
	str       *street
	rect      rect
	grids     []*grid
}

type grid struct {
	place  int
	code   string
	name   string
	comm   *community
	rect   rect
	worker int // user index
}

var districtSpecs = []struct {
	name, short string
	urban       bool
	streets     int
}{
	{"临江区", "临江", true, 9},
	{"鼓楼区", "鼓楼", true, 8},
	{"望川区", "望川", true, 8},
	{"西山区", "西山", false, 6},
	{"永宁区", "永宁", false, 6},
	{"东湖区", "东湖", false, 7},
	{"青峰区", "青峰", false, 6},
	{"柳湾区", "柳湾", false, 6},
}

var gridOrdinals = []string{"第一网格", "第二网格", "第三网格", "第四网格", "第五网格", "第六网格"}

// buildCity lays out the place tree and appends it to ds.Places.
func buildCity(ds *Dataset, rng *rand.Rand) *city {
	c := &city{lat: newLattice(rng)}
	names := newNamer(rng)
	all := rect{0, 0, latticeNX, latticeNY}
	ds.Places = append(ds.Places, org.Place{ID: 1, Level: org.LevelCity, Code: cityCode, Name: cityName,
		Boundary: polygonJSON(c.lat.ring(all))})

	// Three dense urban districts in a central box, five suburban ones around it.
	ci0, ci1 := 56+rng.IntN(5)-2, 104+rng.IntN(5)-2
	cj0, cj1 := 42+rng.IntN(5)-2, 78+rng.IntN(5)-2
	central := split(rect{ci0, cj0, ci1, cj1}, 3, 1, rng)
	wcut := 60 + rng.IntN(11) - 5
	rects := []rect{
		central[0], central[1], central[2],
		{0, wcut, ci0, latticeNY},      // 西山: north-west
		{0, 0, ci0, wcut},              // 永宁: south-west
		{ci1, 0, latticeNX, latticeNY}, // 东湖: east
		{ci0, cj1, ci1, latticeNY},     // 青峰: north
		{ci0, 0, ci1, cj0},             // 柳湾: south
	}
	for di, spec := range districtSpecs {
		d := &district{
			place: len(ds.Places), code: fmt.Sprintf("%s%02d", cityCode[:4], di+1),
			name: spec.name, short: spec.short, urban: spec.urban, rect: rects[di], depts: map[string]int{},
		}
		ds.Places = append(ds.Places, org.Place{ID: int64(d.place + 1), ParentID: 1, Level: org.LevelDistrict,
			Code: d.code, Name: d.name, Boundary: polygonJSON(c.lat.ring(d.rect))})
		c.districts = append(c.districts, d)
	}
	for _, d := range c.districts {
		sr := split(d.rect, districtSpecs[indexOf(c.districts, d)].streets, 24, rng)
		for si, r := range sr {
			s := &street{place: len(ds.Places), code: fmt.Sprintf("%s%03d", d.code, si+1), dist: d, rect: r}
			s.base = names.streetBase()
			switch {
			case d.urban || si < 2:
				s.name = s.base + "街道"
			case si == len(sr)-1:
				s.name, s.town = s.base+"乡", true
			default:
				s.name, s.town = s.base+"镇", true
			}
			for range 3 + rng.IntN(3) {
				s.roads = append(s.roads, names.road(s.base))
			}
			ds.Places = append(ds.Places, org.Place{ID: int64(s.place + 1), ParentID: int64(d.place + 1),
				Level: org.LevelStreet, Code: s.code, Name: s.name, Boundary: polygonJSON(c.lat.ring(r))})
			d.streets = append(d.streets, s)
			c.streets = append(c.streets, s)
		}
	}
	for _, s := range c.streets {
		n := 6 + rng.IntN(3)
		if s.dist.urban {
			n = 7 + rng.IntN(3)
		}
		n = min(n, s.rect.area()/2)
		for ci, r := range split(s.rect, n, 2, rng) {
			cm := &community{place: len(ds.Places), code: fmt.Sprintf("%s%03d", s.code, ci+1), str: s, rect: r}
			cm.village = s.town && rng.IntN(10) < 7
			if cm.village {
				cm.name = names.village()
				cm.compounds = []string{cm.name}
			} else {
				cm.name = names.community(s.base)
				for range 2 + rng.IntN(3) {
					cm.compounds = append(cm.compounds, names.compound())
				}
			}
			ds.Places = append(ds.Places, org.Place{ID: int64(cm.place + 1), ParentID: int64(s.place + 1),
				Level: org.LevelCommunity, Code: cm.code, Name: cm.name, Boundary: polygonJSON(c.lat.ring(r))})
			s.comms = append(s.comms, cm)
			c.comms = append(c.comms, cm)
		}
	}
	for _, cm := range c.comms {
		n := min(2+rng.IntN(3), cm.rect.area())
		for gi, r := range split(cm.rect, n, 1, rng) {
			g := &grid{place: len(ds.Places), code: fmt.Sprintf("%s%02d", cm.code, gi+1), comm: cm, rect: r,
				name: cm.name + gridOrdinals[gi]}
			ds.Places = append(ds.Places, org.Place{ID: int64(g.place + 1), ParentID: int64(cm.place + 1),
				Level: org.LevelGrid, Code: g.code, Name: g.name, Boundary: polygonJSON(c.lat.ring(r))})
			cm.grids = append(cm.grids, g)
			c.grids = append(c.grids, g)
		}
	}
	return c
}

func indexOf[T comparable](s []T, v T) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
