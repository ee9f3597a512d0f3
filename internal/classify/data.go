package classify

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Column names recognised (case-insensitive) for the text, an optional
// title put before the text, and the label.
var (
	textColumns  = []string{"text", "content", "message", "body", "description", "detail", "details", "留言详情", "内容", "正文", "诉求内容", "文本"}
	titleColumns = []string{"title", "subject", "留言主题", "标题", "主题"}
	labelColumns = []string{"label", "category", "class", "tag", "target", "一级分类", "一级标签", "分类", "类别", "标签"}
)

// ReadFile reads labelled texts from a CSV, TSV or JSON Lines file,
// optionally gzip-compressed (.gz, or detected by its magic bytes). The
// format is taken from the extension (.csv, .tsv/.tab, .jsonl/.ndjson/.json)
// or, failing that, from the content. CSV and TSV need a header row naming
// a text and a label column (text/label, or content/category and other
// common names); fields may be quoted and span lines; a leading BOM is
// ignored. Rows without text or label are skipped.
func ReadFile(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex, err := Read(f, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ex, nil
}

// Read reads labelled texts from r; name (a file name) gives the format by
// its extension, if it has a known one.
func Read(r io.Reader, name string) ([]Example, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	lower := strings.ToLower(name)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		br = bufio.NewReaderSize(gz, 1<<16)
	}
	lower = strings.TrimSuffix(lower, ".gz")
	if head, _ := br.Peek(3); bytes.Equal(head, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	format := ""
	switch {
	case strings.HasSuffix(lower, ".csv"):
		format = "csv"
	case strings.HasSuffix(lower, ".tsv"), strings.HasSuffix(lower, ".tab"):
		format = "tsv"
	case strings.HasSuffix(lower, ".jsonl"), strings.HasSuffix(lower, ".ndjson"), strings.HasSuffix(lower, ".json"):
		format = "jsonl"
	default:
		head, _ := br.Peek(4096)
		line, _, _ := bytes.Cut(head, []byte("\n"))
		switch t := bytes.TrimSpace(line); {
		case len(t) > 0 && t[0] == '{':
			format = "jsonl"
		case bytes.Count(line, []byte("\t")) > bytes.Count(line, []byte(",")):
			format = "tsv"
		default:
			format = "csv"
		}
	}
	var ex []Example
	var err error
	if format == "jsonl" {
		ex, err = readJSONL(br)
	} else {
		ex, err = readDelimited(br, format == "tsv")
	}
	if err != nil {
		return nil, err
	}
	if len(ex) == 0 {
		return nil, errors.New("no labelled texts")
	}
	return ex, nil
}

func column(header []string, names []string) int {
	for _, n := range names {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), n) {
				return i
			}
		}
	}
	return -1
}

func missing(what string, names []string) error {
	return fmt.Errorf("no %s column (expected one of: %s)", what, strings.Join(names, ", "))
}

func readDelimited(r io.Reader, tab bool) ([]Example, error) {
	cr := csv.NewReader(r)
	if tab {
		cr.Comma = '\t'
	}
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file")
	}
	if err != nil {
		return nil, err
	}
	header = append([]string(nil), header...)
	ti, li, hi := column(header, textColumns), column(header, labelColumns), column(header, titleColumns)
	if ti < 0 {
		if hi < 0 {
			return nil, missing("text", textColumns)
		}
		ti, hi = hi, -1
	}
	if li < 0 {
		return nil, missing("label", labelColumns)
	}
	var ex []Example
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if ti >= len(rec) || li >= len(rec) {
			continue
		}
		text := strings.TrimSpace(rec[ti])
		if hi >= 0 && hi < len(rec) {
			if t := strings.TrimSpace(rec[hi]); t != "" {
				text = t + "\n" + text
			}
		}
		label := strings.TrimSpace(rec[li])
		if text == "" || label == "" {
			continue
		}
		ex = append(ex, Example{Text: text, Label: label})
	}
	return ex, nil
}

func readJSONL(r io.Reader) ([]Example, error) {
	dec := json.NewDecoder(r)
	var ex []Example
	line := 0
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", line, err)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		get := func(names []string) (string, bool) {
			i := column(keys, names)
			if i < 0 {
				return "", false
			}
			switch v := obj[keys[i]].(type) {
			case string:
				return strings.TrimSpace(v), true
			case float64, bool:
				return fmt.Sprint(v), true
			}
			return "", true
		}
		text, okT := get(textColumns)
		title, okH := get(titleColumns)
		label, okL := get(labelColumns)
		if !okT && !okH {
			return nil, fmt.Errorf("record %d: %w", line, missing("text", textColumns))
		}
		if !okL {
			return nil, fmt.Errorf("record %d: %w", line, missing("label", labelColumns))
		}
		if title != "" {
			text = strings.TrimSpace(title + "\n" + text)
		}
		if text == "" || label == "" {
			continue
		}
		ex = append(ex, Example{Text: text, Label: label})
	}
	return ex, nil
}
