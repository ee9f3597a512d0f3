package summons

import "time"

// in is t in loc; the zero time stays zero.
func in(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() || loc == nil {
		return t
	}
	return t.In(loc)
}

// In shows every time of the whistle in loc (the city's zone), as cases
// show theirs.
func (w *Whistle) In(loc *time.Location) {
	w.RaisedAt, w.ReportBy, w.ClosedAt = in(w.RaisedAt, loc), in(w.ReportBy, loc), in(w.ClosedAt, loc)
	for i := range w.Reports {
		r := &w.Reports[i]
		r.ReportBy, r.AckedAt, r.ArrivedAt = in(r.ReportBy, loc), in(r.AckedAt, loc), in(r.ArrivedAt, loc)
		r.ActedAt, r.ReportedAt, r.LeftAt = in(r.ActedAt, loc), in(r.ReportedAt, loc), in(r.LeftAt, loc)
	}
}

// LogIn shows the times of log entries in loc.
func LogIn(log []LogEntry, loc *time.Location) {
	for i := range log {
		log[i].At = in(log[i].At, loc)
	}
}
