package classify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestPickPseudo(t *testing.T) {
	probs := [][]float64{
		{0.95, 0.05, 0},    // 0: label 0
		{0.2, 0.8, 0},      // 1: label 1, below 0.9
		{0.02, 0.97, 0.01}, // 2: label 1
		{0.5, 0.5, 0},      // 3: tie → label 0, below 0.9
		{0.91, 0.09, 0},    // 4: label 0
		{0.99, 0.01, 0},    // 5: label 0
		{0, 0, 1},          // 6: label 2
		{},                 // 7: no labels
	}
	type p = pseudo
	for _, tc := range []struct {
		name    string
		minProb float64
		limit   []int
		want    []p
	}{
		{"threshold 0.9", 0.9, nil, []p{{0, 0, 0.95}, {2, 1, 0.97}, {4, 0, 0.91}, {5, 0, 0.99}, {6, 2, 1}}},
		{"threshold 0.5 takes the tie as the lower label", 0.5, nil,
			[]p{{0, 0, 0.95}, {1, 1, 0.8}, {2, 1, 0.97}, {3, 0, 0.5}, {4, 0, 0.91}, {5, 0, 0.99}, {6, 2, 1}}},
		{"at most 2 of label 0: the most probable, in row order", 0.9, []int{2, 5, 5},
			[]p{{0, 0, 0.95}, {2, 1, 0.97}, {5, 0, 0.99}, {6, 2, 1}}},
		{"a label capped at 0 is never given", 0.5, []int{1, 1, 0},
			[]p{{2, 1, 0.97}, {5, 0, 0.99}}},
		{"nothing sure enough", 1.01, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pickPseudo(probs, tc.minProb, tc.limit)
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDedupPool(t *testing.T) {
	labelled := []string{
		"我家小区门口的路灯已经坏了三个月，晚上出行非常不方便，请尽快维修。",
		"学校周边的校外培训机构收费过高，希望教育局加强监管。",
	}
	pool := []string{
		"我家小区门口的路灯已经坏了三个月, 晚上出行非常不方便, 请尽快维修!", // 0: the first labelled text, other punctuation
		"公交车站台被拆除后一直没有恢复，市民等车只能站在马路上，很危险。",    // 1: new
		"标题：培训机构\n学校周边的校外培训机构收费过高，希望教育局加强监管。", // 2: contains the second labelled text
		"公交车站台被拆除后一直没有恢复，市民等车只能站在马路上，很危险。",    // 3: copy of 1
		"。。。", // 4: nothing left after normalising
		"菜市场附近的垃圾堆放点气味很大，夏天蚊虫很多，请环卫部门处理。", // 5: new
		"路灯", // 6: new (shorter than a shingle, not in any text as a whole shingle)
	}
	kept, dropped := DedupPool(pool, labelled, 0)
	want := []string{pool[1], pool[5], pool[6]}
	if !reflect.DeepEqual(kept, want) || dropped != 4 {
		t.Errorf("kept %q (dropped %d), want %q (dropped 4)", kept, dropped, want)
	}
	// Share 1: only texts whose every shingle is in another text.
	half := "公交车站台被拆除后一直没有恢复，另外小区里的健身器材也坏了很久没人修。"
	if kept, _ := DedupPool([]string{half}, []string{pool[1]}, 1); len(kept) != 1 {
		t.Errorf("a text sharing half of its shingles was dropped at share 1")
	}
	if kept, _ := DedupPool([]string{half}, []string{pool[1]}, 0.3); len(kept) != 0 {
		t.Errorf("a text sharing half of its shingles was kept at share 0.3")
	}
}

func TestReadTextsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "replies.tsv")
	data := "id\tuser\tsubject\ttime\tdetail\treply\n" +
		"1\tu\t路灯坏了\t2019/1/1\t小区门口路灯不亮\t已修复\n" +
		"2\tu\t\t2019/1/2\t噪音扰民\t已处理\n" +
		"3\tu\t只有标题\t2019/1/3\t\t答复\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTextsFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"小区门口路灯不亮", "噪音扰民"}; !reflect.DeepEqual(got, want) {
		t.Errorf("without titles: %q, want %q", got, want)
	}
	got, err = ReadTextsFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"路灯坏了\n小区门口路灯不亮", "噪音扰民", "只有标题\n"}; !reflect.DeepEqual(got, want) {
		t.Errorf("with titles: %q, want %q", got, want)
	}
	// A labelled file reads as texts too; its labels are ignored.
	lab := filepath.Join(dir, "l.jsonl")
	os.WriteFile(lab, []byte(`{"text":"停水","label":"water"}`+"\n"+`{"text":"没电"}`+"\n"), 0o600)
	if got, err := ReadTextsFile(lab, false); err != nil || !reflect.DeepEqual(got, []string{"停水", "没电"}) {
		t.Errorf("jsonl: %q, %v", got, err)
	}
	// Read still refuses a file without labels.
	if _, err := ReadFile(path); err == nil {
		t.Error("ReadFile accepted a file without a label column")
	}
}

func TestSelfTrainingToy(t *testing.T) {
	ctx := context.Background()
	pool := []string{"夜里工地施工噪音", "楼上装修电钻太吵", "停水了没有水用", "水管漏水很严重", "路灯坏了不亮", "马路上井盖缺失", "今天天气不错"}
	opt := Options{Seed: 2, Pool: pool, SelfRounds: 2, SelfMinProb: 0.5}
	a, err := Train(ctx, toy(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if a.Pseudo == 0 || a.Pseudo > len(pool) {
		t.Errorf("pseudo-labelled %d of %d", a.Pseudo, len(pool))
	}
	if a.Opt.Pool != nil {
		t.Error("the model keeps the pool")
	}
	opt.Workers = 1
	b, err := Train(ctx, toy(), opt)
	if err != nil {
		t.Fatal(err)
	}
	ba, _ := a.MarshalBinary()
	bb, _ := b.MarshalBinary()
	if !bytes.Equal(ba, bb) {
		t.Error("same seed and pool: different models")
	}
	for text, want := range map[string]string{"晚上施工噪音": "noise", "家里停水了": "water", "路灯坏了": "road"} {
		if p := a.Predict(text, 1); p[0].Label != want {
			t.Errorf("%q → %+v, want %s", text, p, want)
		}
	}
	// Every label capped at 0: the model is the one trained without the pool
	// (beyond the pool's texts not counting in the idf).
	opt = Options{Seed: 2, Pool: pool, SelfRounds: 1, SelfPerClass: 0.01} // int(0.01 × 20) = 0 per label
	c, err := Train(ctx, toy(), opt)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := Train(ctx, toy(), Options{Seed: 2})
	if c.Pseudo != 0 || !reflect.DeepEqual(c.parts, d.parts) || !reflect.DeepEqual(c.idf, d.idf) {
		t.Errorf("no pseudo-label (%d), yet a different model", c.Pseudo)
	}
	// The pool in the idf changes the weights.
	e, _ := Train(ctx, toy(), Options{Seed: 2, Pool: pool, PoolIDF: true})
	if reflect.DeepEqual(e.idf, d.idf) {
		t.Error("--pool-idf: same idf")
	}
	for _, o := range []Options{{SelfRounds: -1}, {SelfRounds: 1, SelfMinProb: 2}, {SelfRounds: 1, SelfWeight: -1}, {SelfPerClass: -1}} {
		if _, err := Train(ctx, toy(), o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}
