package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed i18n/*.json
var catalogues embed.FS

// Catalogue holds every page string by language ("zh" and "en").
type Catalogue struct {
	msgs map[string]map[string]string
}

// LoadCatalogue reads the embedded message catalogues — i18n/<area>.zh-CN.json
// and i18n/<area>.en.json, one pair per area of the pages — and checks that
// no key is defined twice and that both languages have the same keys.
func LoadCatalogue() (*Catalogue, error) {
	c := &Catalogue{msgs: map[string]map[string]string{"zh": {}, "en": {}}}
	entries, err := fs.ReadDir(catalogues, "i18n")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		var lang string
		switch {
		case strings.HasSuffix(e.Name(), ".zh-CN.json"):
			lang = "zh"
		case strings.HasSuffix(e.Name(), ".en.json"):
			lang = "en"
		default:
			return nil, fmt.Errorf("web: i18n/%s: name it <area>.zh-CN.json or <area>.en.json", e.Name())
		}
		b, err := catalogues.ReadFile("i18n/" + e.Name())
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("web: i18n/%s: %w", e.Name(), err)
		}
		for k, v := range m {
			if _, dup := c.msgs[lang][k]; dup {
				return nil, fmt.Errorf("web: i18n/%s: key %q defined twice", e.Name(), k)
			}
			c.msgs[lang][k] = v
		}
	}
	for k := range c.msgs["zh"] {
		if _, ok := c.msgs["en"][k]; !ok {
			return nil, fmt.Errorf("web: key %q has no English text", k)
		}
	}
	for k := range c.msgs["en"] {
		if _, ok := c.msgs["zh"][k]; !ok {
			return nil, fmt.Errorf("web: key %q has no Chinese text", k)
		}
	}
	return c, nil
}

// T returns the message for key in lang, formatted with args when given. A
// missing key shows as the key itself (and a test keeps that from shipping).
func (c *Catalogue) T(lang, key string, args ...any) string {
	m, ok := c.msgs[lang]
	if !ok {
		m = c.msgs["zh"]
	}
	s, ok := m[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key exists.
func (c *Catalogue) Has(key string) bool { _, ok := c.msgs["zh"][key]; return ok }

// Keys lists every key (sorted).
func (c *Catalogue) Keys() []string {
	var out []string
	for k := range c.msgs["zh"] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
