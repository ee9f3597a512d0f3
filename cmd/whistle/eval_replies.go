package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"whistle/internal/classify"
	"whistle/internal/replyquality"
)

const evalRepliesUsage = `usage: whistle eval replies --file FILE [--train FILE] [--threshold J] [--json]

Measures the reply check (答复质量) on real replies: FILE is a TSV with the
columns id, subject, detail and reply (../shared/data/zhengwu/replies.tsv).
Each message's category comes from the text classifier trained on --train
(default: labelled.tsv beside FILE). Prints auc (a message's own reply
scored above other replies of its category; auc_cv: the same in 5 folds,
word and signal weights learnt on the other folds), near_copies (replies that are
near-copies of another, Jaccard ≥ --threshold of 5-character shingles) with
their groups, and each dimension's distribution with examples.
`

func evalReplies(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval replies", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, evalRepliesUsage); fs.PrintDefaults() }
	file := fs.String("file", "", "replies TSV (id, subject, detail, reply)")
	train := fs.String("train", "", "labelled texts for the classifier that gives each message its category (default labelled.tsv beside --file; \"none\": one category)")
	threshold := fs.Float64("threshold", 0.8, "Jaccard index from which two replies are near-copies")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("eval replies: unexpected arguments %v", fs.Args())
	}
	if *file == "" {
		fs.Usage()
		return errors.New("eval replies: --file is required")
	}
	if *threshold <= 0 || *threshold > 1 {
		return errors.New("eval replies: 0 < --threshold ≤ 1")
	}
	ex, err := readReplies(*file)
	if err != nil {
		return err
	}
	if *train == "" {
		*train = filepath.Join(filepath.Dir(*file), "labelled.tsv")
	}
	if *train != "none" {
		labelled, err := classify.ReadFile(*train)
		if err != nil {
			return fmt.Errorf("eval replies: --train: %w", err)
		}
		m, err := classify.Train(ctx, labelled, classify.Options{Seed: 1})
		if err != nil {
			return err
		}
		for i := range ex {
			if p := m.Predict(ex[i].Message, 1); len(p) > 0 {
				ex[i].Category = p[0].Label
			}
		}
	}
	rep := replyquality.Evaluate(ex, *threshold)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	fmt.Fprintf(stdout, "%d replies; relevance AUC %.3f over %d pairs of the same category (the cosine alone %.3f; %d-fold cross-validated %.3f ± %.3f)\n",
		rep.Replies, rep.AUC, rep.Pairs, rep.AUCCosine, len(rep.CV.Folds), rep.CV.Mean, rep.CV.SD)
	for cat, a := range rep.AUCByCategory {
		fmt.Fprintf(stdout, "  %s: %.3f\n", cat, a)
	}
	fmt.Fprintf(stdout, "near-copies (Jaccard ≥ %.2f): %d replies in %d groups\n", rep.Threshold, rep.NearCopies, len(rep.Groups))
	for i, g := range rep.Groups {
		if i == 5 {
			break
		}
		fmt.Fprintf(stdout, "  %d replies (%s): %s\n", len(g.IDs), strings.Join(g.IDs[:min(5, len(g.IDs))], ", "), g.Example)
	}
	for _, d := range rep.Dimensions {
		fmt.Fprintf(stdout, "%-12s mean %.2f  good %d  warn %d  bad %d\n", d.Dim, d.Mean, d.Levels["good"], d.Levels["warn"], d.Levels["bad"])
	}
	return nil
}

// readReplies reads the TSV of messages and their replies.
func readReplies(path string) ([]replyquality.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"id", "detail", "reply"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: no %q column (have %v)", path, need, head)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []replyquality.Example
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		msg := strings.TrimSpace(get(rec, "subject") + "\n" + get(rec, "detail"))
		if reply := get(rec, "reply"); msg != "" && reply != "" {
			out = append(out, replyquality.Example{ID: get(rec, "id"), Message: msg, Reply: reply})
		}
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("%s: fewer than two messages with replies", path)
	}
	return out, nil
}
