package geo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"whistle/internal/org"
)

// Boundary import format
//
// An import is a GeoJSON FeatureCollection. Every feature is one place:
//
//	{"type": "FeatureCollection", "features": [
//	  {"type": "Feature", "id": "11990101",
//	   "properties": {"level": "street", "code": "11990101", "name": "滨河街道",
//	                  "parent": "119901", "aliases": ["滨河"]},
//	   "geometry": {"type": "Polygon", "coordinates": [[[116.30, 39.90], …]]}}]}
//
//   - level: district, street (街道/乡镇), community (社区/村) or grid (网格); city for the root.
//   - code: the place's unique code (the feature's id when absent). An existing
//     place with that code is updated (name, parent, boundary), else one is created.
//   - name: required. parent: the parent's code — a feature of the same file or
//     an existing place; districts default to the city. aliases: optional names
//     for the gazetteer.
//   - geometry: Polygon or MultiPolygon, lon/lat (WGS-84 as the city uses it),
//     rings closed, outer rings and holes in any orientation.
//
// The set is validated as a whole against the places already stored: every
// geometry must be valid (closed rings of ≥ 4 positions, no self-intersection,
// holes inside their shell, parts apart); children must lie within their
// parent, siblings must not overlap, and children must cover their parent —
// each within ToleranceM2 square metres. Every defect is reported; nothing
// is written unless there are none.

// Feature is one place of an import.
type Feature struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Level    string   `json:"level"`
	Parent   string   `json:"parent,omitempty"`
	Aliases  []string `json:"aliases,omitempty"`
	Geometry string   `json:"geometry"` // compact GeoJSON geometry
	polys    [][][][2]float64
}

// Existing is a stored place as the validation sees it (Parent is a code).
type Existing struct {
	Code, Name, Level, Parent, Boundary string
}

// ImportOptions tunes validation.
type ImportOptions struct {
	// ToleranceM2 is the largest overlap, overhang or gap (square metres)
	// accepted between neighbours; 0 means 1 m².
	ToleranceM2 float64
}

// ParseImport reads a FeatureCollection. Structural defects (not JSON, not a
// FeatureCollection, features without code/name/level or geometry) are
// reported as problems; the geometry itself is checked by ValidateImport.
func ParseImport(data []byte) ([]Feature, []Problem) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string          `json:"type"`
			ID         json.RawMessage `json:"id"`
			Properties struct {
				Level   string   `json:"level"`
				Code    string   `json:"code"`
				Name    string   `json:"name"`
				Parent  string   `json:"parent"`
				Aliases []string `json:"aliases"`
			} `json:"properties"`
			Geometry json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, []Problem{{Feature: "-", Code: ProbGeometry, Message: "not a GeoJSON FeatureCollection: " + err.Error()}}
	}
	if fc.Type != "FeatureCollection" {
		return nil, []Problem{{Feature: "-", Code: ProbGeometry, Message: fmt.Sprintf("type is %q, want FeatureCollection", fc.Type)}}
	}
	var out []Feature
	var probs []Problem
	for i, f := range fc.Features {
		p := f.Properties
		ft := Feature{Code: strings.TrimSpace(p.Code), Name: strings.TrimSpace(p.Name), Level: strings.TrimSpace(p.Level), Parent: strings.TrimSpace(p.Parent)}
		for _, a := range p.Aliases {
			if a = strings.TrimSpace(a); a != "" && !slices.Contains(ft.Aliases, a) {
				ft.Aliases = append(ft.Aliases, a)
			}
		}
		if ft.Code == "" && len(f.ID) > 0 {
			var s string
			if json.Unmarshal(f.ID, &s) == nil {
				ft.Code = strings.TrimSpace(s)
			} else if _, err := strconv.ParseFloat(string(f.ID), 64); err == nil {
				ft.Code = string(f.ID)
			}
		}
		label := ft.Code
		if label == "" {
			label = "#" + strconv.Itoa(i+1)
		}
		bad := func(code, msg string) {
			probs = append(probs, Problem{Feature: label, Name: ft.Name, Code: code, Message: msg})
		}
		if f.Type != "Feature" {
			bad("invalid_feature", fmt.Sprintf("feature %d has type %q, want Feature", i+1, f.Type))
		}
		if ft.Code == "" {
			bad("missing_code", "no properties.code and no id")
		}
		if ft.Name == "" {
			bad("missing_name", "no properties.name")
		}
		if li := slices.Index(org.Levels, ft.Level); li < 0 {
			bad("invalid_level", fmt.Sprintf("level %q is not one of %s", ft.Level, strings.Join(org.Levels, ", ")))
		}
		polys, err := rawPolys(f.Geometry)
		if err != nil {
			bad(ProbGeometry, err.Error())
		} else {
			var buf bytes.Buffer
			if json.Compact(&buf, f.Geometry) == nil {
				ft.Geometry = buf.String()
			}
			ft.polys = polys
		}
		out = append(out, ft)
	}
	if len(fc.Features) == 0 {
		probs = append(probs, Problem{Feature: "-", Code: "empty", Message: "the FeatureCollection has no features"})
	}
	return out, probs
}

// rawPolys reads Polygon/MultiPolygon coordinates without judging them.
func rawPolys(raw json.RawMessage) ([][][][2]float64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("no geometry")
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("geometry is not GeoJSON: %v", err)
	}
	switch g.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, fmt.Errorf("polygon coordinates: %v", err)
		}
		return [][][][2]float64{p}, nil
	case "MultiPolygon":
		var mp [][][][2]float64
		if err := json.Unmarshal(g.Coordinates, &mp); err != nil {
			return nil, fmt.Errorf("multipolygon coordinates: %v", err)
		}
		if len(mp) == 0 {
			return nil, fmt.Errorf("multipolygon without polygons")
		}
		return mp, nil
	}
	return nil, fmt.Errorf("geometry type %q is not Polygon or MultiPolygon", g.Type)
}

type node struct {
	code, name, level, parent string
	imported                  bool
	shape                     *planar
}

// ValidateImport checks features against each other and the stored places
// and returns every problem found (none: the import may be written). It
// also fills in defaulted parents (districts under the city).
func ValidateImport(features []Feature, existing []Existing, opt ImportOptions) []Problem {
	tol := opt.ToleranceM2
	if tol <= 0 {
		tol = 1
	}
	var probs []Problem
	nodes := map[string]*node{}
	root := ""
	for _, e := range existing {
		nodes[e.Code] = &node{code: e.Code, name: e.Name, level: e.Level, parent: e.Parent}
		if e.Level == org.LevelCity && e.Parent == "" && root == "" {
			root = e.Code
		}
	}
	// Projection origin: the first position of the import.
	pr := newProjection(116, 40)
	for _, f := range features {
		if len(f.polys) > 0 && len(f.polys[0]) > 0 && len(f.polys[0][0]) > 0 {
			q := f.polys[0][0][0]
			pr = newProjection(q[0], max(-80, min(80, q[1])))
			break
		}
	}
	seen := map[string]int{}
	for i := range features {
		f := &features[i]
		label := f.Code
		if label == "" {
			continue // reported by ParseImport
		}
		report := func(code, msg string, where *[2]float64) {
			probs = append(probs, Problem{Feature: label, Name: f.Name, Code: code, Message: msg, Where: where})
		}
		if n := seen[f.Code]; n > 0 {
			report("duplicate_code", fmt.Sprintf("code also used by feature %d", n), nil)
			continue
		}
		seen[f.Code] = i + 1
		if old, ok := nodes[f.Code]; ok && old.level != f.Level {
			report("level_change", fmt.Sprintf("place %s is a %s, not a %s", f.Code, old.level, f.Level), nil)
		}
		if f.Level == org.LevelCity && f.Parent == "" && root == "" {
			root = f.Code
		}
		n := &node{code: f.Code, name: f.Name, level: f.Level, parent: f.Parent, imported: true}
		if f.polys != nil {
			n.shape = checkShape(f.polys, pr, report)
		}
		nodes[f.Code] = n
	}
	// Parents: known, one level up, no cycles.
	for i := range features {
		f := &features[i]
		if f.Code == "" || seen[f.Code] != i+1 {
			continue
		}
		if f.Parent == "" && f.Level == org.LevelDistrict && root != "" {
			f.Parent = root
			nodes[f.Code].parent = root
		}
		report := func(code, msg string) {
			probs = append(probs, Problem{Feature: f.Code, Name: f.Name, Code: code, Message: msg})
		}
		li := slices.Index(org.Levels, f.Level)
		if f.Level == org.LevelCity {
			if f.Parent != "" {
				report("invalid_parent", "the city has no parent")
			}
			continue
		}
		if f.Parent == "" {
			report("missing_parent", "properties.parent is required for a "+f.Level)
			continue
		}
		p, ok := nodes[f.Parent]
		if !ok {
			report("unknown_parent", fmt.Sprintf("parent %q is neither in the file nor stored", f.Parent))
			continue
		}
		if li > 0 && p.level != org.Levels[li-1] {
			report("invalid_parent", fmt.Sprintf("a %s must sit under a %s; %s is a %s", f.Level, org.Levels[max(li-1, 0)], f.Parent, p.level))
		}
	}
	// Stored boundaries of the places the checks below compare with.
	affected := map[string]bool{}
	for _, f := range features {
		if n := nodes[f.Code]; n != nil && n.imported {
			affected[f.Code] = true
			if f.Parent != "" {
				affected[f.Parent] = true
			}
		}
	}
	children := map[string][]*node{}
	for _, n := range nodes {
		if n.parent != "" && affected[n.parent] && nodes[n.parent] != nil &&
			slices.Index(org.Levels, nodes[n.parent].level)+1 == slices.Index(org.Levels, n.level) {
			children[n.parent] = append(children[n.parent], n)
		}
	}
	needStored := map[string]bool{}
	for code := range affected {
		needStored[code] = true
		for _, c := range children[code] {
			needStored[c.code] = true
		}
	}
	for _, e := range existing {
		n := nodes[e.Code]
		if n.imported || !needStored[e.Code] || e.Boundary == "" {
			continue
		}
		if polys, err := rawPolys(json.RawMessage(e.Boundary)); err == nil {
			n.shape = checkShape(polys, pr, func(string, string, *[2]float64) {})
		}
	}
	// Families: within the parent, no overlaps, no gaps.
	parents := make([]string, 0, len(children))
	for code := range children {
		parents = append(parents, code)
	}
	slices.Sort(parents)
	for _, pc := range parents {
		p := nodes[pc]
		if p == nil {
			continue // unknown parent, reported above
		}
		kids := children[pc]
		slices.SortFunc(kids, func(a, b *node) int { return strings.Compare(a.code, b.code) })
		add := func(n *node, pb Problem) {
			pb.Feature, pb.Name = n.code, n.name
			probs = append(probs, pb)
		}
		for _, k := range kids {
			if k.shape == nil || p.shape == nil || !(k.imported || p.imported) {
				continue
			}
			in, _, _ := overlap(k.shape, p.shape)
			if out := k.shape.area - in; out > tol {
				pb := Problem{Code: ProbOutsideParent, Other: p.code, AreaM2: round1(out),
					Message: fmt.Sprintf("%.1f m² lie outside parent %s (%s)", out, p.code, p.name)}
				if at, ok := outsidePoint(k.shape, p.shape); ok {
					w := pr.inv(at)
					pb.Where = &w
				}
				add(k, pb)
			}
		}
		// Sibling pairs: a sweep over the west edges of their boxes.
		var swept []*node
		for _, k := range kids {
			if k.shape != nil {
				swept = append(swept, k)
			}
		}
		slices.SortStableFunc(swept, func(a, b *node) int {
			switch {
			case a.shape.x0 < b.shape.x0:
				return -1
			case a.shape.x0 > b.shape.x0:
				return 1
			}
			return 0
		})
		for i, a := range swept {
			for _, b := range swept[i+1:] {
				if b.shape.x0 > a.shape.x1 {
					break
				}
				if !(a.imported || b.imported) || !a.shape.boxOverlaps(b.shape) {
					continue
				}
				if ar, at, ok := overlap(a.shape, b.shape); ok && ar > tol {
					w := pr.inv(at)
					who := a
					if !a.imported {
						who, b = b, a
					}
					add(who, Problem{Code: ProbOverlap, Other: b.code, AreaM2: round1(ar), Where: &w,
						Message: fmt.Sprintf("overlaps sibling %s (%s) by %.1f m²", b.code, b.name, ar)})
				}
			}
		}
		if p.shape == nil {
			continue
		}
		covered := 0.0
		var shapes []*planar
		for _, k := range kids {
			if k.shape == nil {
				covered = -1
				break
			}
			in, _, _ := overlap(k.shape, p.shape)
			covered += in
			shapes = append(shapes, k.shape)
		}
		if covered < 0 {
			continue
		}
		if gap := p.shape.area - covered; gap > tol {
			pb := Problem{Code: ProbGap, AreaM2: round1(gap),
				Message: fmt.Sprintf("%.1f m² of %s are covered by none of its %d children", gap, p.code, len(kids))}
			if at, ok := uncovered(p.shape, shapes); ok {
				w := pr.inv(at)
				pb.Where = &w
			}
			add(p, pb)
		}
	}
	return probs
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
