package demo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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

// ParsePolygon reads a GeoJSON Polygon geometry and returns its rings as
// [lon, lat] pairs (the exterior first).
func ParsePolygon(boundary string) ([][][2]float64, error) {
	var g struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	}
	if err := json.Unmarshal([]byte(boundary), &g); err != nil {
		return nil, err
	}
	if g.Type != "Polygon" || len(g.Coordinates) == 0 {
		return nil, fmt.Errorf("demo: not a GeoJSON Polygon")
	}
	return g.Coordinates, nil
}

// PointInPolygon reports whether (lon, lat) lies inside the GeoJSON Polygon
// boundary (inside the exterior ring and outside every hole), by ray casting.
// Points exactly on an edge may go either way.
func PointInPolygon(boundary string, lon, lat float64) (bool, error) {
	rings, err := ParsePolygon(boundary)
	if err != nil {
		return false, err
	}
	if !inRing(rings[0], lon, lat) {
		return false, nil
	}
	for _, h := range rings[1:] {
		if inRing(h, lon, lat) {
			return false, nil
		}
	}
	return true, nil
}

// inRing is the even-odd ray-casting test against one ring.
func inRing(ring [][2]float64, x, y float64) bool {
	in := false
	n := len(ring)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi := ring[i][0], ring[i][1]
		xj, yj := ring[j][0], ring[j][1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// inQuad reports whether p lies inside the quadrilateral a, b, c, d.
func inQuad(p, a, b, c, d pt) bool {
	return inRing([][2]float64{{a.X, a.Y}, {b.X, b.Y}, {c.X, c.Y}, {d.X, d.Y}}, p.X, p.Y)
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
