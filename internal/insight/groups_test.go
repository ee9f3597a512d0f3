package insight

import "testing"

func TestGroupTexts(t *testing.T) {
	texts := []string{
		"希望增加停车位，晚上停车难",
		"小区停车位太少",
		"增设电动车充电桩",
		"楼下充电桩不够用",
		"停车位划线不清",
		"谢谢",
	}
	gs := GroupTexts(texts, 5)
	if len(gs) < 3 {
		t.Fatalf("groups %+v", gs)
	}
	if gs[0].Label == "" || len(gs[0].Texts) != 3 || gs[0].Texts[0] != 0 || gs[0].Texts[2] != 4 {
		t.Errorf("first group %+v, want the three about 停车位", gs[0])
	}
	if len(gs[1].Texts) != 2 || gs[1].Texts[0] != 2 {
		t.Errorf("second group %+v, want the two about 充电桩", gs[1])
	}
	last := gs[len(gs)-1]
	if last.Label != "" || len(last.Texts) != 1 || last.Texts[0] != 5 {
		t.Errorf("rest %+v", last)
	}
	n := 0
	for _, g := range gs {
		n += len(g.Texts)
	}
	if n != len(texts) {
		t.Errorf("%d texts grouped, want %d", n, len(texts))
	}
	if gs := GroupTexts(nil, 3); len(gs) != 0 {
		t.Errorf("nothing grouped into %+v", gs)
	}
	if gs := GroupTexts(texts, 0); len(gs) != 1 || len(gs[0].Texts) != len(texts) {
		t.Errorf("no groups asked: %+v", gs)
	}
}
