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

// eval classify --unlabelled: near-copies of labelled texts and repeats are
// dropped from the pool before training, the replies column is never read,
// and the semi-supervised flags need the pool.
func TestEvalClassifyUnlabelled(t *testing.T) {
	dir := t.TempDir()
	train, test := evalData(t, dir, "train.csv", 5), evalData(t, dir, "test.csv", 1)
	pool := filepath.Join(dir, "replies.tsv")
	rows := "id\tsubject\tdetail\treply\n" +
		"1\t噪音\t楼下饭店夜里施工噪音很大！\t已处理\n" + // a copy of a labelled text
		"2\t噪音\t夜里工地施工噪音吵得睡不着觉\t已处理\n" +
		"3\t停水\t家里自来水停了一整天没有水用\t已处理\n" +
		"4\t路灯\t小区门口路灯坏了好几天没人修\t已处理\n" +
		"5\t噪音\t夜里工地施工噪音吵得睡不着觉。\t已处理\n" // a repeat of row 2
	if err := os.WriteFile(pool, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, extra := range [][]string{
		{"--cv", "3", "--pool-idf"},
		{"--cv", "3", "--self-rounds", "1", "--self-min-prob", "0.5"},
		{"--test", test, "--self-rounds", "2", "--self-per-class", "0.5", "--unlabelled-title"},
	} {
		args := append([]string{"eval", "classify", "--json", "--train", train, "--unlabelled", pool}, extra...)
		var out, errb bytes.Buffer
		if err := run(ctx, args, &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", extra, err, errb.String())
		}
		var rep struct {
			Top1   float64
			Pool   int
			Pseudo float64
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("%v: %v\n%s", extra, err, out.String())
		}
		if rep.Pool != 3 || !strings.Contains(errb.String(), "5 texts read, 2 near-copies") {
			t.Errorf("%v: pool %d, stderr %q; want 3 of 5 kept", extra, rep.Pool, errb.String())
		}
		if rep.Top1 < 0.9 {
			t.Errorf("%v: top-1 %v on a separable set", extra, rep.Top1)
		}
		if self := extra[2] != "--pool-idf"; self != (rep.Pseudo > 0) {
			t.Errorf("%v: %v pseudo-labelled texts per fold", extra, rep.Pseudo)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cv", "3", "--self-rounds", "1"}, "need --unlabelled"},
		{[]string{"--cv", "3", "--pool-idf"}, "need --unlabelled"},
		{[]string{"--cv", "3", "--unlabelled", filepath.Join(dir, "nope.tsv")}, "no such file"},
		{[]string{"--cv", "3", "--unlabelled", pool, "--self-rounds", "1", "--self-min-prob", "2"}, "self-training options"},
	} {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"eval", "classify", "--train", train}, tc.args...), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}
