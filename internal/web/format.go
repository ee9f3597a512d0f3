package web

import (
	"fmt"
	"strings"
	"time"

	"whistle/internal/timelimit"
)

// fmtDate writes a date the way its readers write it: 2026年11月23日 or
// 23 Nov 2026.
func fmtDate(lang string, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	if lang == "en" {
		return t.Format("2 Jan 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

// fmtDateTime adds the time of day: 2026年11月23日 14:05.
func fmtDateTime(lang string, t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return fmtDate(lang, t, loc) + " " + t.In(loc).Format("15:04")
}

// fmtSpan writes a duration in days, hours and minutes: 3小时12分,
// 2天4小时; 3h 12m, 2d 4h.
func fmtSpan(lang string, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	m := int(d.Round(time.Minute) / time.Minute)
	days, hours, mins := m/(24*60), (m/60)%24, m%60
	if lang == "en" {
		switch {
		case days > 0 && hours == 0:
			return fmt.Sprintf("%dd", days)
		case days > 0:
			return fmt.Sprintf("%dd %dh", days, hours)
		case hours > 0:
			return fmt.Sprintf("%dh %dm", hours, mins)
		}
		return fmt.Sprintf("%dm", mins)
	}
	switch {
	case days > 0 && hours == 0:
		return fmt.Sprintf("%d天", days)
	case days > 0:
		return fmt.Sprintf("%d天%d小时", days, hours)
	case hours > 0 && mins == 0:
		return fmt.Sprintf("%d小时", hours)
	case hours > 0:
		return fmt.Sprintf("%d小时%d分", hours, mins)
	}
	return fmt.Sprintf("%d分钟", mins)
}

// fmtRemaining says how long is left until due, or how long it is overdue:
// 剩余 3小时12分 / 超时 2小时5分.
func fmtRemaining(lang string, due, now time.Time) string {
	if due.IsZero() {
		return ""
	}
	d := due.Sub(now)
	if lang == "en" {
		if d < 0 {
			return "overdue by " + fmtSpan(lang, d)
		}
		return fmtSpan(lang, d) + " left"
	}
	if d < 0 {
		return "超时 " + fmtSpan(lang, d)
	}
	return "剩余 " + fmtSpan(lang, d)
}

// fmtLimit writes a time limit: 2小时, 7个工作日 / 2 h, 7 working days.
func fmtLimit(lang string, sp timelimit.Span) string {
	var parts []string
	if sp.WorkDays > 0 {
		if lang == "en" {
			parts = append(parts, fmt.Sprintf("%d working days", sp.WorkDays))
		} else {
			parts = append(parts, fmt.Sprintf("%d个工作日", sp.WorkDays))
		}
	}
	if sp.Minutes > 0 {
		parts = append(parts, fmtSpan(lang, time.Duration(sp.Minutes)*time.Minute))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " ")
}
