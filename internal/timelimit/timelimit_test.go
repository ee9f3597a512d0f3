package timelimit

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"whistle/internal/calendar"
)

var cst = calendar.ChinaStandardTime()

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func TestDefaultPolicyValues(t *testing.T) {
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("DefaultPolicy invalid: %v", err)
	}
	tests := []struct {
		urgency                  string
		wantRule                 string
		dispatch, sign, reply    Span
		dispatchS, signS, replyS string
	}{
		{UrgencyEmergency, "emergency", Span{Minutes: 60}, Span{Minutes: 30}, Span{Minutes: 120}, "1h", "30m", "2h"},
		{UrgencyUtilities, "utilities", Span{Minutes: 120}, Span{Minutes: 120}, Span{Minutes: 1440}, "2h", "2h", "24h"},
		{UrgencyGeneral, "general", Span{Minutes: 1440}, Span{Minutes: 120}, Span{WorkDays: 7}, "24h", "2h", "7wd"},
		{UrgencyComplex, "complex", Span{Minutes: 1440}, Span{Minutes: 120}, Span{WorkDays: 15}, "24h", "2h", "15wd"},
		{"", "default", Span{Minutes: 1440}, Span{Minutes: 120}, Span{WorkDays: 7}, "24h", "2h", "7wd"},
		{"unheard-of", "default", Span{Minutes: 1440}, Span{Minutes: 120}, Span{WorkDays: 7}, "24h", "2h", "7wd"},
	}
	for _, tt := range tests {
		t.Run(tt.wantRule+"/"+tt.urgency, func(t *testing.T) {
			for _, typ := range append(Types(), "") {
				l, rule := p.For(tt.urgency, typ, "urban.stall")
				if rule != tt.wantRule {
					t.Errorf("For(%q, %q) rule = %q, want %q", tt.urgency, typ, rule, tt.wantRule)
				}
				if l.Accept != (Span{Minutes: 120}) {
					t.Errorf("Accept = %v, want 2h", l.Accept)
				}
				if l.Dispatch != tt.dispatch || l.Sign != tt.sign || l.Reply != tt.reply {
					t.Errorf("limits = %+v, want dispatch %v sign %v reply %v", l, tt.dispatch, tt.sign, tt.reply)
				}
				if l.Dispatch.String() != tt.dispatchS || l.Sign.String() != tt.signS || l.Reply.String() != tt.replyS {
					t.Errorf("strings = %s/%s/%s, want %s/%s/%s", l.Dispatch, l.Sign, l.Reply, tt.dispatchS, tt.signS, tt.replyS)
				}
			}
		})
	}
	if p.Version < 1 {
		t.Errorf("Version = %d, want >= 1", p.Version)
	}
	// DefaultPolicy returns a fresh value each time.
	p.Rules[0].Limits.Sign = Minutes(1)
	if DefaultPolicy().Rules[0].Limits.Sign != Minutes(30) {
		t.Error("DefaultPolicy shares state between calls")
	}
}

func TestSpanString(t *testing.T) {
	tests := []struct {
		s    Span
		want string
	}{
		{Span{}, "0"},
		{Minutes(30), "30m"},
		{Minutes(60), "1h"},
		{Minutes(90), "1h30m"},
		{Hours(2), "2h"},
		{Minutes(1440), "24h"},
		{WorkDays(7), "7wd"},
		{WorkDays(15), "15wd"},
		{Span{Minutes: 120, WorkDays: 7}, "2h+7wd"},
		{Minutes(-30), "-30m"},
		{Minutes(-90), "-1h30m"},
		{Minutes(-1 << 63), "-153722867280912930h8m"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestParseSpan(t *testing.T) {
	good := []struct {
		in   string
		want Span
	}{
		{"30m", Minutes(30)},
		{"2h", Hours(2)},
		{"1h30m", Minutes(90)},
		{"24h", Minutes(1440)},
		{" 7wd ", WorkDays(7)},
		{"15wd", WorkDays(15)},
	}
	for _, tt := range good {
		got, err := ParseSpan(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSpan(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if back, err := ParseSpan(got.String()); err != nil || back != got {
			t.Errorf("round trip of %v via %q = %v, %v", got, got.String(), back, err)
		}
	}
	bad := []struct {
		in   string
		want error
	}{
		{"", ErrBadSpanText},
		{"soon", ErrBadSpanText},
		{"30s", ErrBadSpanText},
		{"1.5wd", ErrBadSpanText},
		{"+3wd", ErrBadSpanText},
		{"wd", ErrBadSpanText},
		{"0", ErrSpan},
		{"0wd", ErrSpan},
		{"-30m", ErrSpan},
		{"-2wd", ErrSpan},
		{"9000h", ErrSpanTooLong},
		{"400wd", ErrSpanTooLong},
		{"99999999999999999999h", ErrBadSpanText},
	}
	for _, tt := range bad {
		if _, err := ParseSpan(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ParseSpan(%q) error = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestSpanFrom(t *testing.T) {
	cal := calendar.Default(cst)
	tests := []struct {
		name  string
		span  Span
		start string
		want  string
	}{
		{"clock minutes run over the weekend", Minutes(120), "2026-03-06 23:00", "2026-03-07 01:00"},
		{"clock minutes run through holidays", Minutes(1440), "2026-02-14 10:00", "2026-02-15 10:00"},
		{"work days skip the weekend", WorkDays(1), "2026-03-06 16:00", "2026-03-09 16:00"},
		{"work days across Spring Festival", WorkDays(2), "2026-02-13 10:00", "2026-02-24 10:00"},
		{"zero span", Span{}, "2026-03-06 16:00", "2026-03-06 16:00"},
		{"negative ignored", Span{Minutes: -60, WorkDays: -1}, "2026-03-06 16:00", "2026-03-06 16:00"},
		{"over-long minutes clamp", Minutes(1 << 62), "2026-03-06 16:00", "2027-03-07 16:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.span.From(cal, at(t, tt.start)), at(t, tt.want); !got.Equal(want) {
				t.Errorf("%v.From(%s) = %s, want %s", tt.span, tt.start, got, want)
			}
		})
	}
	if got := WorkDays(3).From(cal, time.Time{}); !got.IsZero() {
		t.Errorf("From(zero time) = %s, want zero", got)
	}
	// A nil calendar is a plain Monday–Friday calendar, not a panic.
	if got, want := WorkDays(1).From(nil, at(t, "2026-03-06 16:00")), at(t, "2026-03-09 16:00"); !got.Equal(want) {
		t.Errorf("From(nil cal) = %s, want %s", got, want)
	}
	// Huge work-day spans are clamped and still end on a working day.
	if got := WorkDays(1<<40).From(cal, at(t, "2026-03-06 16:00")); !cal.IsWorkday(got) {
		t.Errorf("clamped work-day span ended on %s", got)
	}
}

func precedencePolicy() Policy {
	l := func(m int) Limits {
		return Limits{Accept: Minutes(m), Dispatch: Minutes(m), Sign: Minutes(m), Reply: Minutes(m)}
	}
	return Policy{
		Version: 7,
		Rules: []Rule{
			{Name: "any", Limits: l(1)},
			{Name: "utilities", Urgency: UrgencyUtilities, Limits: l(2)},
			{Name: "utilities-water", Urgency: UrgencyUtilities, CategoryPrefix: "utilities.water", Limits: l(3)},
			{Name: "urban", CategoryPrefix: "urban", Limits: l(4)},
			{Name: "urban-stall", CategoryPrefix: "urban.stall", Limits: l(5)},
			{Name: "complaint", Type: TypeComplaint, Limits: l(6)},
			{Name: "complaint-too", Type: TypeComplaint, Limits: l(7)},
			{Name: "emergency-complaint-urban", Urgency: UrgencyEmergency, Type: TypeComplaint, CategoryPrefix: "urban", Limits: l(8)},
			{Name: "general-urban", Urgency: UrgencyGeneral, CategoryPrefix: "urban", Limits: l(9)},
			{Name: "general-complaint", Urgency: UrgencyGeneral, Type: TypeComplaint, Limits: l(10)},
		},
		Default: l(100),
	}
}

func TestForPrecedence(t *testing.T) {
	p := precedencePolicy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                   string
		urgency, typ, category string
		wantRule               string
	}{
		{"catch-all rule beats default", UrgencyComplex, TypeHelp, "misc", "any"},
		{"urgency only", UrgencyUtilities, TypeHelp, "utilities.power", "utilities"},
		{"urgency+category beats urgency only", UrgencyUtilities, TypeHelp, "utilities.water", "utilities-water"},
		{"category prefix matches child", UrgencyUtilities, TypeHelp, "utilities.water.leak", "utilities-water"},
		{"prefix is not a string prefix", UrgencyUtilities, TypeHelp, "utilities.waterfall", "utilities"},
		{"category only", UrgencyComplex, TypeHelp, "urban.noise", "urban"},
		{"exact category code", UrgencyComplex, TypeHelp, "urban", "urban"},
		{"longer prefix beats shorter", UrgencyComplex, TypeHelp, "urban.stall.night", "urban-stall"},
		{"not a dotted child", UrgencyComplex, TypeHelp, "urbanism", "any"},
		{"tie goes to earlier rule", UrgencyComplex, TypeComplaint, "misc", "complaint"},
		{"more fields beat longer prefix", UrgencyGeneral, TypeHelp, "urban.stall", "general-urban"},
		{"three fields beat two", UrgencyEmergency, TypeComplaint, "urban.stall", "emergency-complaint-urban"},
		{"two-field tie: category prefix longer", UrgencyGeneral, TypeComplaint, "urban.noise", "general-urban"},
		{"two fields, other category", UrgencyGeneral, TypeComplaint, "misc", "general-complaint"},
		{"unknown inputs fall to catch-all", "", "", "", "any"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, rule := p.For(tt.urgency, tt.typ, tt.category)
			if rule != tt.wantRule {
				t.Fatalf("For(%q, %q, %q) = %q, want %q", tt.urgency, tt.typ, tt.category, rule, tt.wantRule)
			}
			for _, r := range p.Rules {
				if r.Name == rule && l != r.Limits {
					t.Errorf("limits %+v are not rule %q's", l, rule)
				}
			}
		})
	}
	// Without the catch-all, an unmatched case gets the default.
	p.Rules = p.Rules[1:]
	if l, rule := p.For(UrgencyComplex, TypeHelp, "misc"); rule != DefaultRuleName || l != p.Default {
		t.Errorf("unmatched case: rule %q limits %+v, want default", rule, l)
	}
	var empty Policy
	if _, rule := empty.For("", "", ""); rule != "default" {
		t.Errorf("empty policy rule = %q", rule)
	}
}

func TestValidate(t *testing.T) {
	ok := DefaultPolicy().Default
	tests := []struct {
		name    string
		mutate  func(*Policy)
		wantErr error
		wantMsg string
	}{
		{"zero span", func(p *Policy) { p.Rules[0].Limits.Sign = Span{} }, ErrSpan, `rule 0 "emergency": sign: span must set exactly one`},
		{"both fields", func(p *Policy) { p.Rules[2].Limits.Reply = Span{Minutes: 60, WorkDays: 7} }, ErrSpan, `rule 2 "general": reply`},
		{"negative", func(p *Policy) { p.Rules[1].Limits.Dispatch = Minutes(-5) }, ErrSpan, "minutes=-5"},
		{"too long", func(p *Policy) { p.Rules[3].Limits.Reply = WorkDays(1000) }, ErrSpanTooLong, "1000 working days"},
		{"bad default", func(p *Policy) { p.Default.Accept = Span{} }, ErrSpan, "default limits: accept"},
		{"unknown urgency", func(p *Policy) { p.Rules[0].Urgency = "urgent" }, ErrUnknownUrgency, `unknown urgency class "urgent"`},
		{"unknown type", func(p *Policy) { p.Rules[0].Type = "grumble" }, ErrUnknownType, `unknown request type "grumble"`},
		{"duplicate name", func(p *Policy) { p.Rules[3].Name = "general" }, ErrDuplicateRule, `rule 3 "general": duplicate rule name (also rule 2)`},
		{"empty name", func(p *Policy) { p.Rules[0].Name = "" }, ErrRuleName, "invalid rule name: empty"},
		{"reserved name", func(p *Policy) { p.Rules[0].Name = "default" }, ErrRuleName, "reserved"},
		{"spaced name", func(p *Policy) { p.Rules[0].Name = " x" }, ErrRuleName, "space"},
		{"bad category", func(p *Policy) { p.Rules[0].CategoryPrefix = "urban..stall" }, ErrCategoryPrefix, "invalid category prefix"},
		{"trailing dot", func(p *Policy) { p.Rules[0].CategoryPrefix = "urban." }, ErrCategoryPrefix, "invalid category prefix"},
		{"space in category", func(p *Policy) { p.Rules[0].CategoryPrefix = "urban stall" }, ErrCategoryPrefix, "invalid category prefix"},
		{"negative version", func(p *Policy) { p.Version = -1 }, ErrVersion, "version -1"},
	}
	all := []error{ErrSpan, ErrSpanTooLong, ErrUnknownUrgency, ErrUnknownType, ErrDuplicateRule, ErrRuleName, ErrCategoryPrefix, ErrVersion}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultPolicy()
			tt.mutate(&p)
			err := p.Validate()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Validate() = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q should contain %q", err, tt.wantMsg)
			}
			for _, other := range all {
				if other != tt.wantErr && errors.Is(err, other) {
					t.Errorf("error %q also matches %v", err, other)
				}
			}
		})
	}
	// Several problems are all reported.
	p := DefaultPolicy()
	p.Rules[0].Urgency = "urgent"
	p.Rules[1].Type = "grumble"
	p.Default = Limits{}
	err := p.Validate()
	for _, want := range []error{ErrUnknownUrgency, ErrUnknownType, ErrSpan} {
		if !errors.Is(err, want) {
			t.Errorf("joined error %q lacks %v", err, want)
		}
	}
	// Known names and empty match fields are fine.
	good := Policy{Rules: []Rule{{Name: "r", Type: TypePraise, CategoryPrefix: "a.b", Limits: ok}}, Default: ok}
	if err := good.Validate(); err != nil {
		t.Errorf("valid policy rejected: %v", err)
	}
	if err := (Policy{}).Validate(); !errors.Is(err, ErrSpan) {
		t.Errorf("zero Policy should fail on its default limits, got %v", err)
	}
}

func TestCompute(t *testing.T) {
	cal := calendar.Default(cst)
	p := DefaultPolicy()
	tests := []struct {
		name                 string
		urgency              string
		received, dispatched string
		dispatchBy           string
		signBy, replyBy      string
	}{
		{"general over a weekend", UrgencyGeneral, "2026-03-06 15:00", "2026-03-06 16:00",
			"2026-03-07 15:00", "2026-03-06 18:00", "2026-03-17 16:00"},
		{"general over National Day 2026 (10/10 is a workday)", UrgencyGeneral, "2026-09-29 17:00", "2026-09-30 09:00",
			"2026-09-30 17:00", "2026-09-30 11:00", "2026-10-15 09:00"},
		{"complex over National Day 2026", UrgencyComplex, "2026-09-30 08:00", "2026-09-30 09:00",
			"2026-10-01 08:00", "2026-09-30 11:00", "2026-10-27 09:00"},
		{"general over Spring Festival 2026", UrgencyGeneral, "2026-02-12 09:00", "2026-02-12 10:00",
			"2026-02-13 09:00", "2026-02-12 12:00", "2026-02-28 10:00"},
		{"general dispatched on a holiday", UrgencyGeneral, "2026-10-02 08:00", "2026-10-02 09:00",
			"2026-10-03 08:00", "2026-10-02 11:00", "2026-10-16 00:00"},
		{"emergency runs on the clock on holidays", UrgencyEmergency, "2026-10-01 23:30", "2026-10-02 00:10",
			"2026-10-02 00:30", "2026-10-02 00:40", "2026-10-02 02:10"},
		{"utilities 24h on the clock", UrgencyUtilities, "2026-02-14 20:00", "2026-02-14 21:00",
			"2026-02-14 22:00", "2026-02-14 23:00", "2026-02-15 21:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := p.For(tt.urgency, TypeComplaint, "urban.stall")
			got := l.Compute(cal, at(t, tt.received), at(t, tt.dispatched))
			want := Deadlines{DispatchBy: at(t, tt.dispatchBy), SignBy: at(t, tt.signBy), ReplyBy: at(t, tt.replyBy)}
			if !got.DispatchBy.Equal(want.DispatchBy) || !got.SignBy.Equal(want.SignBy) || !got.ReplyBy.Equal(want.ReplyBy) {
				t.Errorf("Compute = dispatch %s sign %s reply %s\nwant      dispatch %s sign %s reply %s",
					f(got.DispatchBy), f(got.SignBy), f(got.ReplyBy), f(want.DispatchBy), f(want.SignBy), f(want.ReplyBy))
			}
		})
	}
	// Not yet dispatched: only DispatchBy.
	l, _ := p.For(UrgencyGeneral, "", "")
	d := l.Compute(cal, at(t, "2026-03-06 15:00"), time.Time{})
	if d.DispatchBy.IsZero() || !d.SignBy.IsZero() || !d.ReplyBy.IsZero() {
		t.Errorf("undispatched case deadlines = %+v", d)
	}
	if got, want := l.AcceptBy(cal, at(t, "2026-03-06 23:00")), at(t, "2026-03-07 01:00"); !got.Equal(want) {
		t.Errorf("AcceptBy = %s, want %s", f(got), f(want))
	}
}

func f(t time.Time) string { return t.In(cst).Format("2006-01-02 15:04 Mon") }

func TestExtendReply(t *testing.T) {
	cal := calendar.Default(cst)
	general, _ := DefaultPolicy().For(UrgencyGeneral, "", "")
	emergency, _ := DefaultPolicy().For(UrgencyEmergency, "", "")
	tests := []struct {
		name  string
		l     Limits
		from  string
		extra Span
		want  string
	}{
		{"extra work days across National Day", general, "2026-09-29 09:00", WorkDays(3), "2026-10-09 09:00"},
		{"zero extra = one more reply span", general, "2026-10-15 09:00", Span{}, "2026-10-26 09:00"},
		{"clock extension", emergency, "2026-10-02 02:10", Hours(2), "2026-10-02 04:10"},
		{"zero extra on clock limits", emergency, "2026-10-02 02:10", Span{}, "2026-10-02 04:10"},
		{"negative extra does not move earlier", general, "2026-10-15 09:00", Minutes(-60), "2026-10-15 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.l.ExtendReply(cal, at(t, tt.from), tt.extra), at(t, tt.want); !got.Equal(want) {
				t.Errorf("ExtendReply(%s, %v) = %s, want %s", tt.from, tt.extra, f(got), f(want))
			}
		})
	}
}

func TestDueSoonAt(t *testing.T) {
	base := at(t, "2026-03-09 09:00")
	tests := []struct {
		name     string
		span     time.Duration
		wantLead time.Duration // due minus result
	}{
		{"2h: 80% point", 2 * time.Hour, 24 * time.Minute},
		{"24h: 80% point", 24 * time.Hour, 288 * time.Minute},
		{"10 days: clamped to 24h before due", 10 * 24 * time.Hour, 24 * time.Hour},
		{"5 days: exactly 24h", 5 * 24 * time.Hour, 24 * time.Hour},
		{"30m: clamped to 10m before due", 30 * time.Minute, 10 * time.Minute},
		{"50m: exactly 10m", 50 * time.Minute, 10 * time.Minute},
		{"10m span: due soon at start", 10 * time.Minute, 10 * time.Minute},
		{"5m span: due soon at start", 5 * time.Minute, 5 * time.Minute},
		{"1ns span", 1, 1},
		{"zero span: due", 0, 0},
		{"negative span: due", -time.Hour, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due := base.Add(tt.span)
			got := DueSoonAt(base, due)
			if lead := due.Sub(got); lead != tt.wantLead {
				t.Errorf("DueSoonAt(span %s) = due - %s, want due - %s", tt.span, lead, tt.wantLead)
			}
			if tt.span > 0 && (got.Before(base) || got.After(due)) {
				t.Errorf("result %s outside [start, due]", got)
			}
		})
	}
	// Extreme and zero inputs neither panic nor misbehave.
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	early := time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)
	if got := DueSoonAt(early, far); !got.Equal(far.Add(-24 * time.Hour)) {
		t.Errorf("huge span: %s", got)
	}
	if got := DueSoonAt(time.Time{}, base); !got.Equal(base) {
		t.Errorf("zero start: %s", got)
	}
	if got := DueSoonAt(base, time.Time{}); !got.IsZero() {
		t.Errorf("zero due: %s", got)
	}
	// A real general case: reply due after 7 working days gets 24h of warning.
	cal := calendar.Default(cst)
	dispatched := at(t, "2026-09-30 09:00")
	due := WorkDays(7).From(cal, dispatched)
	if got, want := DueSoonAt(dispatched, due), at(t, "2026-10-14 09:00"); !got.Equal(want) {
		t.Errorf("DueSoonAt(general reply) = %s, want %s", f(got), f(want))
	}
}

func TestPolicyJSONRoundTrip(t *testing.T) {
	for name, p := range map[string]Policy{"default": DefaultPolicy(), "precedence": precedencePolicy(), "empty": {}} {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var back Policy
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, back) {
				t.Errorf("round trip changed the policy:\n%+v\n%+v\njson %s", p, back, b)
			}
		})
	}
	b, err := json.Marshal(DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"version":1`, `"reply":{"work_days":7}`, `"sign":{"minutes":30}`, `"name":"emergency","urgency":"emergency","limits"`, `"default":{"accept":{"minutes":120}`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s lacks %s", s, want)
		}
	}
	if strings.Contains(s, `"type"`) || strings.Contains(s, `"category_prefix"`) {
		t.Errorf("empty match fields should be omitted: %s", s)
	}
	// A hand-written policy reads and validates.
	const text = `{"version":3,"rules":[{"name":"water","urgency":"utilities","category_prefix":"utilities.water",
	  "limits":{"accept":{"minutes":60},"dispatch":{"minutes":30},"sign":{"minutes":30},"reply":{"minutes":720}}}],
	  "default":{"accept":{"minutes":120},"dispatch":{"minutes":1440},"sign":{"minutes":120},"reply":{"work_days":7}}}`
	var p Policy
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if l, rule := p.For(UrgencyUtilities, TypeHelp, "utilities.water.burst"); rule != "water" || l.Reply != Hours(12) {
		t.Errorf("For = %v, %q", l, rule)
	}
}

func TestNames(t *testing.T) {
	for _, u := range []string{"emergency", "utilities", "general", "complex"} {
		if !ValidUrgency(u) {
			t.Errorf("ValidUrgency(%q) = false", u)
		}
	}
	for _, ty := range []string{"consultation", "help", "complaint", "report", "suggestion", "praise"} {
		if !ValidType(ty) {
			t.Errorf("ValidType(%q) = false", ty)
		}
	}
	if ValidUrgency("") || ValidType("") || ValidUrgency("Emergency") || ValidType("general") {
		t.Error("unexpected valid name")
	}
	u := Urgencies()
	u[0] = "x"
	if Urgencies()[0] != UrgencyEmergency || len(Types()) != 6 {
		t.Error("name lists are shared or wrong")
	}
}
