package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
)

//go:embed i18n/*.json
var catalogues embed.FS

// Catalogue holds every page string by language ("zh" and "en").
type Catalogue struct {
	msgs map[string]map[string]string
}

// LoadCatalogue reads the embedded message catalogues and checks that both
// languages have the same keys.
func LoadCatalogue() (*Catalogue, error) {
	c := &Catalogue{msgs: map[string]map[string]string{}}
	for lang, file := range map[string]string{"zh": "i18n/zh-CN.json", "en": "i18n/en.json"} {
		b, err := catalogues.ReadFile(file)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("web: %s: %w", file, err)
		}
		c.msgs[lang] = m
	}
	for k := range c.msgs["zh"] {
		if _, ok := c.msgs["en"][k]; !ok {
			return nil, fmt.Errorf("web: key %q missing in en.json", k)
		}
	}
	for k := range c.msgs["en"] {
		if _, ok := c.msgs["zh"][k]; !ok {
			return nil, fmt.Errorf("web: key %q missing in zh-CN.json", k)
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
