package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalData writes a small labelled set (three topics) in dir.
func evalData(t *testing.T, dir, name string, reps int) string {
	t.Helper()
	topics := map[string][]string{
		"noise": {"楼下饭店夜里施工噪音很大", "广场舞音响太吵", "装修电钻声音扰民", "酒吧音乐声太响"},
		"water": {"小区停水两天了", "自来水发黄有异味", "水管爆裂漏水", "水压太低用不了热水器"},
		"road":  {"路面坑洼不平", "井盖缺失很危险", "路灯不亮", "人行道砖块松动"},
	}
	var b strings.Builder
	b.WriteString("text,label\n")
	for i := range reps {
		for label, texts := range topics {
			for _, s := range texts {
				b.WriteString("\"" + s + strings.Repeat("，", i) + "\"," + label + "\n")
			}
		}
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvalClassify(t *testing.T) {
	dir := t.TempDir()
	train, test := evalData(t, dir, "train.csv", 5), evalData(t, dir, "test.csv", 1)
	ctx := context.Background()
	for _, args := range [][]string{
		{"--train", train, "--test", test},
		{"--train", train, "--cv", "3"},
		{"--train", train, "--scale", "500"},
	} {
		var out, errb bytes.Buffer
		if err := run(ctx, append([]string{"eval", "classify", "--json"}, args...), &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errb.String())
		}
		var rep map[string]any
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("%v: output is not JSON: %v\n%s", args, err, out.String())
		}
		for _, k := range []string{"top1", "top3", "macro_f1", "per_class", "train_s", "predict_per_s"} {
			if _, ok := rep[k]; !ok {
				t.Errorf("%v: no %q in %s", args, k, out.String())
			}
		}
		pc, _ := rep["per_class"].(map[string]any)
		for _, l := range []string{"noise", "water", "road"} {
			c, _ := pc[l].(map[string]any)
			for _, k := range []string{"precision", "recall", "f1", "support"} {
				if _, ok := c[k]; !ok {
					t.Errorf("%v: per_class[%s] has no %s", args, l, k)
				}
			}
		}
		if top1, _ := rep["top1"].(float64); top1 < 0.9 {
			t.Errorf("%v: top1 %v on a separable set", args, top1)
		}
	}
	// Several seeds: means and spreads over all folds, each seed's figures,
	// the pooled out-of-fold ECE and confusion matrix.
	{
		var out, errb bytes.Buffer
		if err := run(ctx, []string{"eval", "classify", "--json", "--train", train, "--cv", "3", "--seed", "4", "--repeats", "2"}, &out, &errb); err != nil {
			t.Fatalf("--repeats: %v\n%s", err, errb.String())
		}
		var rep struct {
			Top1, ECE       float64
			Runs            []struct{ Seed uint64 }
			Confusion       [][]int
			ConfusionLabels []string `json:"confusion_labels"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Runs) != 2 || rep.Runs[0].Seed != 4 || rep.Runs[1].Seed != 5 || len(rep.Confusion) != 3 || len(rep.ConfusionLabels) != 3 {
			t.Errorf("--repeats 2: %s", out.String())
		}
		if rep.ECE < 0 || rep.ECE > 1 || rep.Top1 < 0.9 {
			t.Errorf("--repeats 2: top-1 %v, ECE %v", rep.Top1, rep.ECE)
		}
	}
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"eval", "classify", "--train", train, "--cv", "3"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "top-1") || !strings.Contains(s, "precision") || !strings.Contains(s, "water") {
		t.Errorf("table output:\n%s", s)
	}

	nolabel := filepath.Join(dir, "nolabel.csv")
	os.WriteFile(nolabel, []byte("text,when\n噪音,昨天\n"), 0o600)
	empty := filepath.Join(dir, "empty.tsv")
	os.WriteFile(empty, nil, 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "classify", "--train", filepath.Join(dir, "missing.csv"), "--cv", "3"}, "no such file"},
		{[]string{"eval", "classify", "--train", nolabel, "--cv", "3"}, "no label column"},
		{[]string{"eval", "classify", "--train", empty, "--cv", "3"}, "empty"},
		{[]string{"eval", "classify", "--train", train}, "exactly one of"},
		{[]string{"eval", "classify", "--train", train, "--cv", "3", "--test", test}, "exactly one of"},
		{[]string{"eval", "classify", "--cv", "3"}, "--train is required"},
		{[]string{"eval", "classify", "--train", train, "--cv", "1"}, "at least 2 folds"},
		{[]string{"eval", "classify", "--train", train, "--cv", "3", "--repeats", "0"}, "--repeats must be at least 1"},
		{[]string{"eval", "classify", "--train", train, "--cv", "3", "--algo", "bert"}, "unknown algorithm"},
		{[]string{"eval", "classify", "--train", train, "--test", filepath.Join(dir, "nope.csv")}, "no such file"},
		{[]string{"eval", "regress"}, "evaluations are"},
		{[]string{"eval"}, "evaluations are"},
	} {
		var out, errb bytes.Buffer
		err := run(ctx, tc.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// eval replies on a small TSV: the keys the issue names, categories from a
// classifier trained on a labelled file, and refusals of bad arguments.
func TestEvalReplies(t *testing.T) {
	dir := t.TempDir()
	train := evalData(t, dir, "labelled.csv", 5)
	tsv := "id\tuser\tsubject\ttime\tdetail\treply\treply_time\n" +
		"1\tu\t路灯不亮\tt\t和平路12号路灯不亮已经一周\t关于和平路12号路灯不亮的问题，已于5月3日维修，感谢支持。\tt\n" +
		"2\tu\t噪音扰民\tt\t楼下饭店夜里施工噪音很大\t关于饭店夜间施工噪音问题，城管已责令停工。\tt\n" +
		"3\tu\t停水\tt\t小区停水两天了\t您好！留言已收悉\tt\n" +
		"4\tu\t水压低\tt\t水压太低用不了热水器\t您好！留言已收悉\tt\n"
	file := filepath.Join(dir, "replies.tsv")
	if err := os.WriteFile(file, []byte(tsv), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"eval", "replies", "--file", file, "--train", train, "--json"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Replies    int            `json:"replies"`
		AUC        *float64       `json:"auc"`
		NearCopies int            `json:"near_copies"`
		Dimensions []any          `json:"dimensions"`
		ByCategory map[string]any `json:"auc_by_category"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Replies != 4 || rep.AUC == nil || rep.NearCopies != 2 || len(rep.Dimensions) != 6 || len(rep.ByCategory) < 1 {
		t.Fatalf("report: %s", out.String())
	}
	for _, bad := range [][]string{{"eval", "replies"}, {"eval", "replies", "--file", file, "--threshold", "2"}, {"eval", "replies", "--file", filepath.Join(dir, "none.tsv"), "--train", "none"}} {
		if err := run(context.Background(), bad, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
