package demo

import (
	"strconv"
	"strings"
	"whistle/internal/geo"
)

// pt is a lon/lat pair in degrees.
type pt struct{ X, Y float64 }

// polygonJSON renders a closed ring as a GeoJSON Polygon geometry.
func polygonJSON(ring []pt) string {
	var b strings.Builder
	b.Grow(len(ring)*24 + 48)
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	for i, p := range ring {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		b.WriteString(strconv.FormatFloat(p.X, 'f', -1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(p.Y, 'f', -1, 64))
		b.WriteByte(']')
	}
	b.WriteString(`]]}`)
	return b.String()
}

// inQuad reports whether p lies inside the quadrilateral a, b, c, d.
func inQuad(p, a, b, c, d pt) bool {
	return geo.InRing([][2]float64{{a.X, a.Y}, {b.X, b.Y}, {c.X, c.Y}, {d.X, d.Y}}, p.X, p.Y)
}

// SignedArea returns the signed area of a ring in square degrees: positive
// for counter-clockwise rings.
func SignedArea(ring [][2]float64) float64 {
	a := 0.0
	for i := 0; i+1 < len(ring); i++ {
		a += ring[i][0]*ring[i+1][1] - ring[i+1][0]*ring[i][1]
	}
	return a / 2
}
