package grid

import "time"

// in is t in loc; the zero time stays zero.
func in(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() || loc == nil {
		return t
	}
	return t.In(loc)
}

// In shows the patrol's times in loc (the city's zone), as cases show theirs.
func (p *Patrol) In(loc *time.Location) {
	p.StartedAt, p.EndedAt = in(p.StartedAt, loc), in(p.EndedAt, loc)
}

// In shows the finding's time in loc.
func (f *Finding) In(loc *time.Location) { f.CreatedAt = in(f.CreatedAt, loc) }

// In shows the assignment's time in loc.
func (a *Assignment) In(loc *time.Location) { a.AssignedAt = in(a.AssignedAt, loc) }

// PointsIn shows the times of track points in loc.
func PointsIn(pts []Point, loc *time.Location) {
	for i := range pts {
		pts[i].At = in(pts[i].At, loc)
	}
}
