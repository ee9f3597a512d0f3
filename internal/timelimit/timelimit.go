// Package timelimit holds Whistle's time-limit policies (限时办理): how long a
// case may take to be accepted, dispatched, signed for and replied to, chosen
// by urgency class, request type and category, and the computation of the
// resulting deadlines on a working-day calendar.
//
// Every number is configuration: DefaultPolicy is the Beijing 12345 profile,
// and a Policy round-trips through JSON so that it can be stored, versioned
// and edited.
package timelimit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"whistle/internal/calendar"
)

// Urgency classes.
const (
	// UrgencyEmergency: danger to life or property, public health, instability.
	UrgencyEmergency = "emergency"
	// UrgencyUtilities: water, power, gas, heating; extreme weather.
	UrgencyUtilities = "utilities"
	// UrgencyGeneral: most requests.
	UrgencyGeneral = "general"
	// UrgencyComplex: needs several units or policy work.
	UrgencyComplex = "complex"
)

// Request types, as used across the project.
const (
	// TypeConsultation is 咨询, a question.
	TypeConsultation = "consultation"
	// TypeHelp is 求助, a request for help.
	TypeHelp = "help"
	// TypeComplaint is 投诉, a complaint.
	TypeComplaint = "complaint"
	// TypeReport is 举报, a report of wrongdoing.
	TypeReport = "report"
	// TypeSuggestion is 建议, a suggestion.
	TypeSuggestion = "suggestion"
	// TypePraise is 表扬, praise.
	TypePraise = "praise"
)

// DefaultRuleName is the rule name For returns when no rule matches and the
// policy's Default limits apply. It may not be used as a rule name.
const DefaultRuleName = "default"

// Limits on a single Span, enforced by Validate (and by From, which treats a
// larger value as the maximum).
const (
	// MaxMinutes is one year of clock minutes.
	MaxMinutes = 366 * 24 * 60
	// MaxWorkDays is the largest working-day span.
	MaxWorkDays = 366
)

// Validation errors; Validate wraps them with the rule and field concerned.
var (
	// ErrSpan: a Span does not set exactly one field to a positive value.
	ErrSpan = errors.New("span must set exactly one of minutes and work_days to a positive value")
	// ErrSpanTooLong: a Span exceeds MaxMinutes or MaxWorkDays.
	ErrSpanTooLong = errors.New("span too long")
	// ErrUnknownUrgency: a rule names an urgency class that does not exist.
	ErrUnknownUrgency = errors.New("unknown urgency class")
	// ErrUnknownType: a rule names a request type that does not exist.
	ErrUnknownType = errors.New("unknown request type")
	// ErrDuplicateRule: two rules share a name.
	ErrDuplicateRule = errors.New("duplicate rule name")
	// ErrRuleName: a rule's name is empty, reserved or badly formed.
	ErrRuleName = errors.New("invalid rule name")
	// ErrCategoryPrefix: a category prefix is not a dot-separated code.
	ErrCategoryPrefix = errors.New("invalid category prefix")
	// ErrVersion: the policy version is negative.
	ErrVersion = errors.New("invalid policy version")
	// ErrBadSpanText: ParseSpan could not read its input.
	ErrBadSpanText = errors.New("invalid span text")
)

var urgencies = []string{UrgencyEmergency, UrgencyUtilities, UrgencyGeneral, UrgencyComplex}

var types = []string{TypeConsultation, TypeHelp, TypeComplaint, TypeReport, TypeSuggestion, TypePraise}

// Urgencies returns the urgency classes, most urgent first.
func Urgencies() []string { return append([]string(nil), urgencies...) }

// Types returns the request types.
func Types() []string { return append([]string(nil), types...) }

// ValidUrgency reports whether u is a known urgency class.
func ValidUrgency(u string) bool { return contains(urgencies, u) }

// ValidType reports whether t is a known request type.
func ValidType(t string) bool { return contains(types, t) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Span is a length of time: either clock minutes, counted 7×24, or working
// days on a calendar. A valid Span sets exactly one field to a positive value.
type Span struct {
	// Minutes is a clock duration in minutes.
	Minutes int `json:"minutes,omitempty"`
	// WorkDays is a number of working days (see calendar.Calendar.AddWorkdays).
	WorkDays int `json:"work_days,omitempty"`
}

// Minutes returns a Span of n clock minutes.
func Minutes(n int) Span { return Span{Minutes: n} }

// Hours returns a Span of n clock hours.
func Hours(n int) Span { return Span{Minutes: n * 60} }

// WorkDays returns a Span of n working days.
func WorkDays(n int) Span { return Span{WorkDays: n} }

// IsZero reports whether both fields are zero.
func (s Span) IsZero() bool { return s.Minutes == 0 && s.WorkDays == 0 }

// Validate reports whether s sets exactly one field to a positive value
// within MaxMinutes or MaxWorkDays.
func (s Span) Validate() error {
	if s.Minutes < 0 || s.WorkDays < 0 || (s.Minutes > 0) == (s.WorkDays > 0) {
		return fmt.Errorf("%w (got minutes=%d, work_days=%d)", ErrSpan, s.Minutes, s.WorkDays)
	}
	if s.Minutes > MaxMinutes {
		return fmt.Errorf("%w: %d minutes, at most %d", ErrSpanTooLong, s.Minutes, MaxMinutes)
	}
	if s.WorkDays > MaxWorkDays {
		return fmt.Errorf("%w: %d working days, at most %d", ErrSpanTooLong, s.WorkDays, MaxWorkDays)
	}
	return nil
}

// From returns the end of the span starting at t: t plus Minutes of clock
// time, then plus WorkDays working days on cal (see
// calendar.Calendar.AddWorkdays; a nil cal is a plain Monday–Friday
// calendar in China Standard Time). Non-positive fields are ignored and
// fields above MaxMinutes or MaxWorkDays count as the maximum, so a zero
// Span returns t unchanged. A zero t stays zero: there is nothing to count
// from.
func (s Span) From(cal *calendar.Calendar, t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if m := min(s.Minutes, MaxMinutes); m > 0 {
		t = t.Add(time.Duration(m) * time.Minute)
	}
	if d := min(s.WorkDays, MaxWorkDays); d > 0 {
		t = cal.AddWorkdays(t, d)
	}
	return t
}

// String renders s compactly: "30m", "2h", "1h30m", "7wd"; "0" for the zero
// Span, and "2h+7wd" for an (invalid) Span setting both fields.
func (s Span) String() string {
	var parts []string
	if s.Minutes != 0 {
		parts = append(parts, formatMinutes(s.Minutes))
	}
	if s.WorkDays != 0 {
		parts = append(parts, strconv.Itoa(s.WorkDays)+"wd")
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "+")
}

func formatMinutes(m int) string {
	sign := ""
	u := uint64(m)
	if m < 0 {
		sign, u = "-", uint64(-(m+1))+1 // safe for math.MinInt
	}
	h, r := u/60, u%60
	switch {
	case h == 0:
		return fmt.Sprintf("%s%dm", sign, r)
	case r == 0:
		return fmt.Sprintf("%s%dh", sign, h)
	default:
		return fmt.Sprintf("%s%dh%dm", sign, h, r)
	}
}

// ParseSpan reads the String form of a valid Span: "7wd" for working days, or
// a whole number of minutes written as a Go duration ("30m", "2h", "1h30m").
// The result is validated.
func ParseSpan(text string) (Span, error) {
	text = strings.TrimSpace(text)
	var s Span
	if n, ok := strings.CutSuffix(text, "wd"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || strings.HasPrefix(n, "+") {
			return Span{}, fmt.Errorf("timelimit: %w: %q", ErrBadSpanText, text)
		}
		s = Span{WorkDays: d}
	} else {
		d, err := time.ParseDuration(text)
		if err != nil || d%time.Minute != 0 {
			return Span{}, fmt.Errorf("timelimit: %w: %q (want e.g. 30m, 2h, 7wd)", ErrBadSpanText, text)
		}
		if d/time.Minute > MaxMinutes {
			return Span{}, fmt.Errorf("timelimit: %q: %w", text, ErrSpanTooLong)
		}
		s = Span{Minutes: int(d / time.Minute)}
	}
	if err := s.Validate(); err != nil {
		return Span{}, fmt.Errorf("timelimit: %q: %w", text, err)
	}
	return s, nil
}

// Limits are the time limits for one kind of case.
type Limits struct {
	// Accept: an online submission must be accepted (受理) within this span.
	Accept Span `json:"accept"`
	// Dispatch: from received to dispatched (派单).
	Dispatch Span `json:"dispatch"`
	// Sign: from dispatched to signed for by the unit (签收).
	Sign Span `json:"sign"`
	// Reply: from dispatched to replied (答复).
	Reply Span `json:"reply"`
}

// Validate checks every span of l.
func (l Limits) Validate() error {
	var errs []error
	for _, f := range l.fields() {
		if err := f.span.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	return errors.Join(errs...)
}

type namedSpan struct {
	name string
	span Span
}

func (l Limits) fields() []namedSpan {
	return []namedSpan{{"accept", l.Accept}, {"dispatch", l.Dispatch}, {"sign", l.Sign}, {"reply", l.Reply}}
}

// Rule gives limits to the cases it matches. An empty match field matches
// anything. CategoryPrefix matches a category code equal to it or starting
// with it followed by "." (codes are dot-separated paths such as
// "urban.stall"; the prefix "urban" matches "urban" and "urban.stall" but not
// "urbanism").
type Rule struct {
	// Name identifies the rule; unique within a policy, recorded on each case.
	Name string `json:"name"`
	// Urgency is an urgency class, or "" for any.
	Urgency string `json:"urgency,omitempty"`
	// Type is a request type, or "" for any.
	Type string `json:"type,omitempty"`
	// CategoryPrefix is a category code prefix, or "" for any.
	CategoryPrefix string `json:"category_prefix,omitempty"`
	// Limits apply to matching cases.
	Limits Limits `json:"limits"`
}

// Matches reports whether r applies to a case with the given urgency class,
// request type and category code.
func (r Rule) Matches(urgency, typ, category string) bool {
	if r.Urgency != "" && r.Urgency != urgency {
		return false
	}
	if r.Type != "" && r.Type != typ {
		return false
	}
	if r.CategoryPrefix != "" && category != r.CategoryPrefix && !strings.HasPrefix(category, r.CategoryPrefix+".") {
		return false
	}
	return true
}

// specificity counts the non-empty match fields.
func (r Rule) specificity() int {
	n := 0
	for _, f := range []string{r.Urgency, r.Type, r.CategoryPrefix} {
		if f != "" {
			n++
		}
	}
	return n
}

// Policy is a versioned set of rules with default limits for cases no rule
// matches.
type Policy struct {
	// Version increases with every change, so cases can record which policy
	// set their deadlines.
	Version int `json:"version"`
	// Rules are tried by For; see there for precedence.
	Rules []Rule `json:"rules"`
	// Default applies when no rule matches.
	Default Limits `json:"default"`
}

// DefaultPolicy returns the Beijing 12345 profile, one rule per urgency
// class, with the general limits as the default:
//
//	class      dispatch  sign  reply
//	emergency  60m       30m   2h
//	utilities  2h        2h    24h
//	general    24h       2h    7 working days
//	complex    24h       2h    15 working days
//
// Online submissions are accepted within 2h in every class.
func DefaultPolicy() Policy {
	accept := Hours(2)
	general := Limits{Accept: accept, Dispatch: Hours(24), Sign: Hours(2), Reply: WorkDays(7)}
	return Policy{
		Version: 1,
		Rules: []Rule{
			{Name: UrgencyEmergency, Urgency: UrgencyEmergency,
				Limits: Limits{Accept: accept, Dispatch: Minutes(60), Sign: Minutes(30), Reply: Minutes(120)}},
			{Name: UrgencyUtilities, Urgency: UrgencyUtilities,
				Limits: Limits{Accept: accept, Dispatch: Minutes(120), Sign: Minutes(120), Reply: Minutes(1440)}},
			{Name: UrgencyGeneral, Urgency: UrgencyGeneral, Limits: general},
			{Name: UrgencyComplex, Urgency: UrgencyComplex,
				Limits: Limits{Accept: accept, Dispatch: Hours(24), Sign: Hours(2), Reply: WorkDays(15)}},
		},
		Default: general,
	}
}

// Validate checks the policy: every Span of every rule and of Default sets
// exactly one positive field (within the maxima), urgency and type names are
// known, category prefixes are dot-separated codes, rule names are present,
// unique and not "default", and the version is not negative. It reports all
// problems found, joined; each wraps one of the Err values of this package.
func (p Policy) Validate() error {
	var errs []error
	if p.Version < 0 {
		errs = append(errs, fmt.Errorf("timelimit: version %d: %w", p.Version, ErrVersion))
	}
	if err := p.Default.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("timelimit: default limits: %w", err))
	}
	seen := map[string]int{}
	for i, r := range p.Rules {
		where := fmt.Sprintf("timelimit: rule %d %q", i, r.Name)
		switch {
		case strings.TrimSpace(r.Name) == "":
			errs = append(errs, fmt.Errorf("%s: %w: empty", where, ErrRuleName))
		case r.Name == DefaultRuleName:
			errs = append(errs, fmt.Errorf("%s: %w: %q is reserved", where, ErrRuleName, DefaultRuleName))
		case strings.TrimSpace(r.Name) != r.Name:
			errs = append(errs, fmt.Errorf("%s: %w: leading or trailing space", where, ErrRuleName))
		}
		if j, dup := seen[r.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: %w (also rule %d)", where, ErrDuplicateRule, j))
		} else {
			seen[r.Name] = i
		}
		if r.Urgency != "" && !ValidUrgency(r.Urgency) {
			errs = append(errs, fmt.Errorf("%s: %w %q (want one of %s)", where, ErrUnknownUrgency, r.Urgency, strings.Join(urgencies, ", ")))
		}
		if r.Type != "" && !ValidType(r.Type) {
			errs = append(errs, fmt.Errorf("%s: %w %q (want one of %s)", where, ErrUnknownType, r.Type, strings.Join(types, ", ")))
		}
		if r.CategoryPrefix != "" && !validCategory(r.CategoryPrefix) {
			errs = append(errs, fmt.Errorf("%s: %w %q (want a dot-separated code like \"urban.stall\")", where, ErrCategoryPrefix, r.CategoryPrefix))
		}
		for _, f := range r.Limits.fields() {
			if err := f.span.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", where, f.name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// validCategory accepts non-empty dot-separated segments without spaces.
func validCategory(c string) bool {
	for _, seg := range strings.Split(c, ".") {
		if seg == "" || strings.ContainsFunc(seg, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return false
		}
	}
	return true
}

// For returns the limits for a case and the name of the rule that gave them,
// or p.Default and "default" if no rule matches. The most specific matching
// rule wins: a rule with more non-empty match fields beats one with fewer;
// among equals a longer CategoryPrefix beats a shorter one; remaining ties go
// to the earlier rule.
func (p Policy) For(urgency, typ, category string) (Limits, string) {
	best := -1
	bestScore, bestLen := -1, -1
	for i, r := range p.Rules {
		if !r.Matches(urgency, typ, category) {
			continue
		}
		score, l := r.specificity(), len(r.CategoryPrefix)
		if score > bestScore || (score == bestScore && l > bestLen) {
			best, bestScore, bestLen = i, score, l
		}
	}
	if best < 0 {
		return p.Default, DefaultRuleName
	}
	return p.Rules[best].Limits, p.Rules[best].Name
}

// Deadlines are the times by which a dispatched case must be handled.
type Deadlines struct {
	// DispatchBy: the centre must dispatch by then.
	DispatchBy time.Time `json:"dispatch_by"`
	// SignBy: the unit must sign for the order by then.
	SignBy time.Time `json:"sign_by"`
	// ReplyBy: the unit must reply by then.
	ReplyBy time.Time `json:"reply_by"`
}

// Compute returns the deadlines for a case received and dispatched at the
// given times: DispatchBy counts from received, SignBy and ReplyBy from
// dispatched. A zero time yields zero deadlines for what counts from it (for
// instance, a case not yet dispatched has no SignBy or ReplyBy).
func (l Limits) Compute(cal *calendar.Calendar, received, dispatched time.Time) Deadlines {
	return Deadlines{
		DispatchBy: l.Dispatch.From(cal, received),
		SignBy:     l.Sign.From(cal, dispatched),
		ReplyBy:    l.Reply.From(cal, dispatched),
	}
}

// AcceptBy returns when an online submission made at submitted must be
// accepted.
func (l Limits) AcceptBy(cal *calendar.Calendar, submitted time.Time) time.Time {
	return l.Accept.From(cal, submitted)
}

// ExtendReply returns the reply deadline after an approved extension (延期):
// extra measured from from, which is usually the current ReplyBy. If extra is
// the zero Span, the extension is one more Reply span of l. The result is
// never earlier than from.
func (l Limits) ExtendReply(cal *calendar.Calendar, from time.Time, extra Span) time.Time {
	if extra.IsZero() {
		extra = l.Reply
	}
	return extra.From(cal, from)
}

// Bounds used by DueSoonAt.
const (
	// DueSoonFraction is how far, in percent, through its span a case becomes
	// due soon.
	DueSoonFraction = 80
	// DueSoonMaxLead is the longest warning: a case is never due soon earlier
	// than this before its deadline.
	DueSoonMaxLead = 24 * time.Hour
	// DueSoonMinLead is the shortest warning: a case is due soon at the latest
	// this long before its deadline.
	DueSoonMinLead = 10 * time.Minute
)

// DueSoonAt returns when a case that started at start and is due at due
// counts as "due soon": DueSoonFraction (80%) of the way from start to due,
// but never earlier than due minus DueSoonMaxLead (24h) and never later than
// due minus DueSoonMinLead (10 minutes). When the span is shorter than 10
// minutes the case is due soon from the start; when due is not after start
// (or either time is zero) the result is due.
func DueSoonAt(start, due time.Time) time.Time {
	if start.IsZero() || due.IsZero() || !due.After(start) {
		return due
	}
	span := due.Sub(start) // saturates rather than overflowing
	elapsed := span/100*DueSoonFraction + span%100*DueSoonFraction/100
	lead := span - elapsed
	if lead > DueSoonMaxLead {
		lead = DueSoonMaxLead
	}
	if lead < DueSoonMinLead {
		lead = DueSoonMinLead
	}
	if lead >= span {
		return start
	}
	return due.Add(-lead)
}
