package web

import (
	"strconv"
	"strings"

	"whistle/internal/dutylist"
)

// whyText words a duty-list reason in lang from its code and arguments
// (dutylist.Why); fallback is the reason as recorded in Chinese, shown for
// suggestions recorded before reasons carried a code. Units keep their
// names (they have no translation); categories are named in lang.
func (s *Server) whyText(lang string, why any, fallback string) string {
	var w *dutylist.Why
	switch x := why.(type) {
	case *dutylist.Why:
		w = x
	case dutylist.Why:
		w = &x
	}
	if w == nil || w.Code == "" {
		return fallback
	}
	unit := func(id int64) string {
		if u, ok := s.svc.Unit(id); ok {
			return u.Name
		}
		return "#" + strconv.FormatInt(id, 10)
	}
	switch w.Code {
	case dutylist.WhyNoList, dutylist.WhyNoMatch:
		return s.cat.T(lang, "ux.why."+w.Code)
	case dutylist.WhyRule:
		subject := s.labelName(lang, w.Label, w.Category)
		if subject == "" && w.Category != "" {
			subject = s.categoryName(lang, w.Category)
			if w.Prefix {
				subject = s.cat.T(lang, "ux.why.prefix", subject)
			}
		}
		if subject == "" {
			subject = s.cat.T(lang, "ux.why.any_category")
		}
		if w.Keyword != "" {
			subject += s.cat.T(lang, "ux.why.keyword", w.Keyword)
		}
		units := []string{unit(w.Lead)}
		for _, co := range w.Co {
			units = append(units, s.cat.T(lang, "ux.why.co", unit(co)))
		}
		return s.cat.T(lang, "ux.why.rule", w.Rule, subject, strings.Join(units, s.cat.T(lang, "ux.why.sep")))
	case dutylist.WhyTieBreak:
		var parts []string
		for _, c := range w.Counts {
			parts = append(parts, s.cat.T(lang, "ux.why.count", unit(c.UnitID), c.Count))
		}
		return s.cat.T(lang, "ux.why.tie_break", w.Days, strings.Join(parts, s.cat.T(lang, "ux.why.sep")))
	}
	return fallback
}

// categoryName is a category's name in lang (English where it has one).
func (s *Server) categoryName(lang, code string) string {
	c, ok := s.svc.Category(code)
	if !ok {
		return code
	}
	if lang == "en" && c.NameEN != "" {
		return c.NameEN
	}
	return c.NameZH
}

// labelName is a duty rule's label in lang: a label that is its category's
// Chinese name is that category's name in lang; any other label is the
// rule's own text (data, shown as written).
func (s *Server) labelName(lang, label, category string) string {
	if c, ok := s.svc.Category(category); ok && label != "" && label == c.NameZH {
		return s.categoryName(lang, category)
	}
	return label
}
