package web_test

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"

	"whistle/internal/classify"
	"whistle/internal/org"
)

// The administrator reads the confusion matrix of the classifier in use:
// the cells are those of the evaluation stored with the model (every text
// predicted once by a model that had not seen it). The demo city has more
// categories than a row can hold, so the twelve with the most texts keep
// their own row and column and the rest are summed under 其他; nothing is
// lost (the cells still add up to the evaluation's texts) and each kept
// category's diagonal is its stored count of texts classified right.
func TestClassifierConfusionInTheBrowser(t *testing.T) {
	e := newE2E(t)
	ctx := t.Context()
	if _, err := e.app.Svc.Dispatch.TrainClassifier(ctx); err != nil {
		t.Fatal(err)
	}
	m, found, err := e.app.Svc.St.LatestClassifierModel(ctx, false)
	if err != nil || !found {
		t.Fatalf("latest classifier model: found %v, %v", found, err)
	}
	var rep classify.Report
	if err := json.Unmarshal(m.Eval, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.ConfusionLabels) <= 12 || len(rep.ConfusionLabels) != len(rep.Confusion) {
		t.Fatalf("stored evaluation: confusion matrix over %d labels (%d rows), want more than 12", len(rep.ConfusionLabels), len(rep.Confusion))
	}
	total := 0
	diagOf := map[string]int{}
	for i, row := range rep.Confusion {
		for _, n := range row {
			total += n
		}
		diagOf[rep.ConfusionLabels[i]] = row[i]
	}
	if total != rep.Test {
		t.Errorf("stored confusion matrix counts %d predictions, the evaluation %d", total, rep.Test)
	}

	e.login(org.RoleAdmin)
	e.do(chromedp.Navigate(e.base+"/admin/classifier"), chromedp.WaitVisible(chromedp.ID("confusion")))
	e.wantText("#confusion-card h2", "混淆矩阵")
	e.wantText("#confusion-card p", "其余")

	shown := value[[][]int](e, `[...document.querySelectorAll('#confusion tbody tr')].map(tr =>
		[...tr.querySelectorAll('td.num:not(.muted)')].map(td => parseInt(td.textContent, 10)))`)
	rows := value[[]string](e, `[...document.querySelectorAll('#confusion tbody tr')].map(tr => tr.dataset.label)`)
	if len(shown) != 13 || len(rows) != 13 || rows[12] != "" {
		t.Fatalf("page shows %d rows (%v), want 12 categories and 其他", len(shown), rows)
	}
	sum := 0
	for i, row := range shown {
		if len(row) != 13 {
			t.Fatalf("row %d has %d cells, want 13", i, len(row))
		}
		for _, n := range row {
			sum += n
		}
		if i < 12 && row[i] != diagOf[rows[i]] {
			t.Errorf("%s: diagonal shows %d, stored %d", rows[i], row[i], diagOf[rows[i]])
		}
	}
	if sum != rep.Test {
		t.Errorf("the page's cells add up to %d, the evaluation has %d texts", sum, rep.Test)
	}
	// The diagonal is marked in the kept categories' rows only.
	diag := value[[]int](e, `[...document.querySelectorAll('#confusion tbody tr')].map(tr =>
		[...tr.querySelectorAll('td.num:not(.muted)')].findIndex(td => td.classList.contains('diag')))`)
	for i, j := range diag {
		if (i < 12 && i != j) || (i == 12 && j != -1) {
			t.Errorf("row %d marks column %d as the diagonal", i, j)
		}
	}
	e.wantText("#confusion thead", "其他")
	e.shot("admin-classifier-confusion")
}
