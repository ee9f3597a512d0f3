package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"whistle/internal/classify"
	"whistle/internal/dispatch"
	"whistle/internal/errs"
	"whistle/internal/org"
)

// ---- classifier (智能分类) ----

type clfData struct {
	Tabs     []adminLink
	Model    *classify.StoredModel
	Report   *classify.Report
	PerClass []classRow
	Versions []clfVersion
	Names    map[int64]string
	Settings []adRow
	Conf     *confView // the stored evaluation's confusion matrix
}

// confView is a confusion matrix as the page shows it: one row per true
// category, one column per suggested one, each cell with its share of the
// row (for shading) and whether it is on the diagonal. With more than
// confMax categories only the confMax with the most texts keep their own
// row and column; the others are summed into a last one (Other).
type confView struct {
	Labels []string
	Rows   []confRow
	Total  int
	Folded int // categories summed into the last row and column; 0: none
}

type confRow struct {
	Label string // "" for the folded categories
	Total int
	Cells []confCell
}

type confCell struct {
	N     int
	Share int // percent of the row, 0–100
	Diag  bool
}

const confMax = 12

// newConfView builds the view of a stored matrix; a malformed one is not shown.
func newConfView(labels []string, m [][]int) *confView {
	if len(labels) == 0 || len(m) != len(labels) {
		return nil
	}
	support := make([]int, len(labels))
	for i, row := range m {
		if len(row) != len(labels) {
			return nil
		}
		for _, n := range row {
			support[i] += n
		}
	}
	// slot[i] is where label i goes: its own row and column, or the last.
	slot := make([]int, len(labels))
	keep := make([]int, len(labels))
	for i := range keep {
		keep[i] = i
	}
	v := &confView{}
	if len(labels) > confMax {
		slices.SortStableFunc(keep, func(x, y int) int { return cmp.Compare(support[y], support[x]) })
		keep = keep[:confMax]
		slices.Sort(keep)
		v.Folded = len(labels) - confMax
	}
	size := len(keep)
	if v.Folded > 0 {
		size++
	}
	for i := range slot {
		slot[i] = size - 1
	}
	for k, i := range keep {
		slot[i] = k
		v.Labels = append(v.Labels, labels[i])
	}
	if v.Folded > 0 {
		v.Labels = append(v.Labels, "")
	}
	cells := make([][]int, size)
	for k := range cells {
		cells[k] = make([]int, size)
	}
	for i, row := range m {
		for j, n := range row {
			cells[slot[i]][slot[j]] += n
		}
	}
	for k, row := range cells {
		r := confRow{Label: v.Labels[k]}
		for _, n := range row {
			r.Total += n
		}
		for j, n := range row {
			c := confCell{N: n, Diag: k == j && r.Label != ""}
			if r.Total > 0 {
				c.Share = n * 100 / r.Total
			}
			r.Cells = append(r.Cells, c)
		}
		v.Total += r.Total
		v.Rows = append(v.Rows, r)
	}
	return v
}

type classRow struct {
	Code string
	classify.ClassFigures
}

type clfVersion struct {
	classify.StoredModel
	Report classify.Report
}

// adRow is one leaf category's automatic dispatch setting as the form shows it.
type adRow struct {
	Code      string
	Enabled   bool
	Threshold string
	Stored    bool
}

func (s *Server) clfRender(w http.ResponseWriter, r *http.Request, a org.Actor, p *page, status int) {
	ctx := r.Context()
	d := &clfData{Tabs: dispatchTabs(a, "/admin/classifier")}
	p.Data = d
	fail := func(err error) {
		if status < 400 {
			status = s.explain(p, err)
		}
	}
	if m, err := s.svc.Dispatch.Classifier(ctx); err == nil {
		d.Model = &m
		var rep classify.Report
		if json.Unmarshal(m.Eval, &rep) == nil {
			d.Report = &rep
			d.Conf = newConfView(rep.ConfusionLabels, rep.Confusion)
			for code, f := range rep.PerClass {
				d.PerClass = append(d.PerClass, classRow{Code: code, ClassFigures: f})
			}
			slices.SortFunc(d.PerClass, func(x, y classRow) int {
				if c := cmp.Compare(y.Support, x.Support); c != 0 {
					return c
				}
				return cmp.Compare(x.Code, y.Code)
			})
		}
	} else if !errs.Is(err, errs.NoModel) {
		fail(err)
	}
	vs, err := s.svc.Dispatch.ClassifierVersions(ctx, 20)
	if err != nil {
		fail(errs.Wrap(err))
	}
	var ids []int64
	for _, v := range vs {
		cv := clfVersion{StoredModel: v}
		_ = json.Unmarshal(v.Eval, &cv.Report)
		d.Versions = append(d.Versions, cv)
		ids = append(ids, v.CreatedBy)
	}
	d.Names = s.userNames(ctx, p.Lang, ids...)
	settings, err := s.svc.Dispatch.AutoDispatchSettings(ctx)
	if err != nil {
		fail(err)
	}
	stored := map[string]classify.AutoDispatch{}
	for _, x := range settings {
		stored[x.Category] = x
	}
	posted := r.Method == http.MethodPost && r.PostForm != nil
	for _, c := range s.svc.Categories() {
		if !c.Leaf || !c.Active {
			continue
		}
		row := adRow{Code: c.Code}
		if x, ok := stored[c.Code]; ok {
			row.Enabled, row.Threshold, row.Stored = x.Enabled, strconv.FormatFloat(x.Threshold, 'f', -1, 64), true
		}
		if posted {
			row.Enabled, row.Threshold = r.PostFormValue("enabled."+c.Code) == "1", r.PostFormValue("threshold."+c.Code)
		}
		d.Settings = append(d.Settings, row)
	}
	s.render(w, status, "admin_classifier", p)
}

func (s *Server) classifierPage(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	s.clfRender(w, r, a, s.newPage(r, &a, "admin2.clf.title"), 200)
}

// classifierTrain retrains now (synchronous: seconds) and shows the result.
func (s *Server) classifierTrain(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "admin2.clf.title")
	m, err := s.svc.Dispatch.RetrainClassifier(r.Context(), a)
	if err != nil {
		s.clfRender(w, r, a, p, s.explain(p, err))
		return
	}
	var rep classify.Report
	_ = json.Unmarshal(m.Eval, &rep)
	msg := s.cat.T(p.Lang, "admin2.clf.trained", m.Version, m.Examples, rep.Top1*100, rep.Top3*100)
	http.Redirect(w, r, withFlash("/admin/classifier", msg), http.StatusSeeOther)
}

var settingField = regexp.MustCompile(`^settings\[(\d+)\]\.(\w+)$`)

// classifierAuto saves the per-category automatic dispatch settings: the
// categories enabled, already set, or with a threshold typed.
func (s *Server) classifierAuto(w http.ResponseWriter, r *http.Request, a org.Actor) {
	if !a.User.Has(org.RoleAdmin) {
		s.forbidden(w, r)
		return
	}
	p := s.newPage(r, &a, "admin2.clf.title")
	if r.ParseForm() != nil {
		s.errorPage(w, r, 400, s.cat.T(p.Lang, "error.bad_form"))
		return
	}
	settings, err := s.svc.Dispatch.AutoDispatchSettings(r.Context())
	if err != nil {
		s.clfRender(w, r, a, p, s.explain(p, err))
		return
	}
	stored := map[string]bool{}
	for _, x := range settings {
		stored[x.Category] = true
	}
	var in []dispatch.AutoDispatchSetting
	for _, c := range s.svc.Categories() {
		if !c.Leaf || !c.Active {
			continue
		}
		on := r.PostFormValue("enabled."+c.Code) == "1"
		th := strings.TrimSpace(r.PostFormValue("threshold." + c.Code))
		if !on && !stored[c.Code] && th == "" {
			continue
		}
		if th == "" {
			err = errs.F(errs.FieldRequired, "threshold."+c.Code)
			break
		}
		f, perr := strconv.ParseFloat(th, 64)
		if perr != nil {
			err = &errs.Error{Code: errs.Invalid, Field: "threshold." + c.Code, Detail: "0.5–1"}
			break
		}
		in = append(in, dispatch.AutoDispatchSetting{Category: c.Code, Enabled: on, Threshold: f})
	}
	if err == nil && len(in) == 0 {
		http.Redirect(w, r, "/admin/classifier", http.StatusSeeOther)
		return
	}
	if err == nil {
		_, err = s.svc.Dispatch.SetAutoDispatch(r.Context(), a, in)
		// The service names settings[i].field; the form names field.<category>.
		var e *errs.Error
		if errors.As(err, &e) {
			if m := settingField.FindStringSubmatch(e.Field); m != nil {
				if i, _ := strconv.Atoi(m[1]); i < len(in) {
					e2 := *e
					e2.Field = m[2] + "." + in[i].Category
					if m[2] == "category" {
						e2.Field = "threshold." + in[i].Category
					}
					err = &e2
				}
			}
		}
	}
	if err != nil {
		s.clfRender(w, r, a, p, s.explain(p, err))
		return
	}
	http.Redirect(w, r, withFlash("/admin/classifier#auto", s.cat.T(p.Lang, "admin.saved")), http.StatusSeeOther)
}
