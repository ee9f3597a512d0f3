package web

import (
	"testing"
	"time"

	"whistle/internal/timelimit"
)

func TestFormats(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 11, 23, 6, 5, 0, 0, time.UTC) // 14:05 in Beijing
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, loc)
	for _, tc := range []struct{ got, want string }{
		{fmtDate("zh", at, loc), "2026年11月23日"},
		{fmtDate("en", at, loc), "23 Nov 2026"},
		{fmtDateTime("zh", at, loc), "2026年11月23日 14:05"},
		{fmtRemaining("zh", now.Add(3*time.Hour+12*time.Minute), now), "剩余 3小时12分"},
		{fmtRemaining("zh", now.Add(-2*time.Hour-5*time.Minute), now), "超时 2小时5分"},
		{fmtRemaining("zh", now.Add(50*time.Hour), now), "剩余 2天2小时"},
		{fmtRemaining("zh", now.Add(40*time.Minute), now), "剩余 40分钟"},
		{fmtRemaining("en", now.Add(3*time.Hour+12*time.Minute), now), "3h 12m left"},
		{fmtRemaining("en", now.Add(-30*time.Minute), now), "overdue by 30m"},
		{fmtRemaining("zh", time.Time{}, now), ""},
		{fmtLimit("zh", timelimit.Hours(2)), "2小时"},
		{fmtLimit("zh", timelimit.WorkDays(7)), "7个工作日"},
		{fmtLimit("en", timelimit.WorkDays(7)), "7 working days"},
		{fmtLimit("zh", timelimit.Minutes(30)), "30分钟"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
