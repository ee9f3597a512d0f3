package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"whistle/internal/classify"
	"whistle/internal/core"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Classifier limits.
const (
	// MaxTrainingTexts caps a training set: the newest closed cases are used.
	MaxTrainingTexts = 200000
	// MinTrainingTexts is the least a training set may hold.
	MinTrainingTexts = 20
	// KeepModels is how many model versions stay stored.
	KeepModels = 5
	// MaxSuggest is the largest k Suggest answers.
	MaxSuggest = 20
	// maxClassifyText bounds the text of a classification request (runes).
	maxClassifyText = 10000
	// holdOutAbove: larger training sets are evaluated on one 20% hold-out
	// instead of 5-fold cross-validation.
	holdOutAbove = 5000
)

// classifierState is the service's current model; see Service.clf.
type classifierState struct {
	cur      atomic.Pointer[loadedModel]
	training sync.Mutex // one training at a time per node
	loadMu   sync.Mutex
	loaded   atomic.Bool
}

type loadedModel struct {
	model *classify.Model
	info  classify.StoredModel
}

// ClassifierInfo is the current model's stored record (without its data).
type ClassifierInfo = classify.StoredModel

// LoadClassifier loads the newest stored model version, if newer than the
// one in use (other nodes may have trained one). It is called at start and
// by the retraining loop; Suggest loads lazily too.
func (s *Service) LoadClassifier(ctx context.Context) error {
	s.clf.loadMu.Lock()
	defer s.clf.loadMu.Unlock()
	info, found, err := s.St.LatestClassifierModel(ctx, false)
	if err != nil {
		return err
	}
	s.clf.loaded.Store(true)
	if !found {
		return nil
	}
	if cur := s.clf.cur.Load(); cur != nil && cur.info.Version >= info.Version {
		return nil
	}
	full, found, err := s.St.LatestClassifierModel(ctx, true)
	if err != nil || !found {
		return err
	}
	m, err := classify.Load(full.Data)
	if err != nil {
		return fmt.Errorf("classifier version %d: %w", full.Version, err)
	}
	full.Data = nil
	s.clf.cur.Store(&loadedModel{model: m, info: full})
	s.Log.Info("classifier loaded", "version", full.Version, "algorithm", full.Algorithm, "examples", full.Examples)
	return nil
}

func (s *Service) classifier(ctx context.Context) (*loadedModel, error) {
	if !s.clf.loaded.Load() {
		if err := s.LoadClassifier(ctx); err != nil {
			return nil, errs.Wrap(err)
		}
	}
	cur := s.clf.cur.Load()
	if cur == nil {
		return nil, errs.E(errs.NoModel)
	}
	return cur, nil
}

// Classifier returns the record of the model in use.
func (s *Service) Classifier(ctx context.Context) (ClassifierInfo, error) {
	cur, err := s.classifier(ctx)
	if err != nil {
		return ClassifierInfo{}, err
	}
	return cur.info, nil
}

// Suggest returns the k most probable categories of a request's text
// (leaf categories of the city's taxonomy that are active, most probable
// first) with their calibrated probabilities and names.
func (s *Service) Suggest(ctx context.Context, text string, k int) ([]classify.Suggestion, error) {
	out, _, err := s.Classify(ctx, text, k)
	return out, err
}

// Classify is Suggest that also returns the version of the model used.
func (s *Service) Classify(ctx context.Context, text string, k int) ([]classify.Suggestion, int64, error) {
	if strings.TrimSpace(text) == "" {
		return nil, 0, errs.F(errs.FieldRequired, "text")
	}
	if utf8.RuneCountInString(text) > maxClassifyText {
		return nil, 0, errs.F(errs.FieldTooLong, "text")
	}
	if k == 0 {
		k = 3
	}
	if k < 1 || k > MaxSuggest {
		return nil, 0, &errs.Error{Code: errs.Invalid, Field: "k", Detail: fmt.Sprintf("1–%d", MaxSuggest)}
	}
	cur, err := s.classifier(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := make([]classify.Suggestion, 0, k)
	for _, p := range cur.model.Predict(text, 0) {
		c, ok := s.Category(p.Label)
		if !ok || !c.Leaf || !c.Active {
			continue // the taxonomy changed since training
		}
		out = append(out, classify.Suggestion{Code: c.Code, Name: c.NameZH, NameEN: c.NameEN, Probability: p.Prob})
		if len(out) == k {
			break
		}
	}
	return out, cur.info.Version, nil
}

// AutoDispatchable reports whether a request with this text may be
// dispatched automatically: the classifier's first category, its
// probability, and whether the centre turned automatic dispatch on for that
// category with a threshold the probability reaches. Without a model, or
// on any error, ok is false.
func (s *Service) AutoDispatchable(ctx context.Context, text string) (code string, prob float64, ok bool) {
	sug, err := s.Suggest(ctx, text, 1)
	if err != nil || len(sug) == 0 {
		return "", 0, false
	}
	code, prob = sug[0].Code, sug[0].Probability
	settings, err := s.St.AutoDispatchSettings(ctx)
	if err != nil {
		s.Log.Warn("auto-dispatch settings", "err", err)
		return code, prob, false
	}
	for _, a := range settings {
		if a.Category == code {
			return code, prob, a.Enabled && prob >= a.Threshold
		}
	}
	return code, prob, false
}

// AutoDispatchSettings lists the centre's per-category settings.
func (s *Service) AutoDispatchSettings(ctx context.Context) ([]classify.AutoDispatch, error) {
	out, err := s.St.AutoDispatchSettings(ctx)
	if out == nil {
		out = []classify.AutoDispatch{}
	}
	return out, errs.Wrap(err)
}

// AutoDispatchSetting is one category's requested setting.
type AutoDispatchSetting struct {
	Category  string  `json:"category"`
	Enabled   bool    `json:"enabled"`
	Threshold float64 `json:"threshold"`
}

// SetAutoDispatch stores per-category automatic dispatch settings (admin):
// each category must be an active leaf, the threshold a probability in
// [0.5, 1] (below one half the first suggestion may not even be the most
// likely category). All are stored, or none.
func (s *Service) SetAutoDispatch(ctx context.Context, a org.Actor, in []AutoDispatchSetting) ([]classify.AutoDispatch, error) {
	if err := core.RequireAdmin(a); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, errs.F(errs.FieldRequired, "settings")
	}
	seen := map[string]bool{}
	now := s.Now()
	rows := make([]classify.AutoDispatch, 0, len(in))
	for i, x := range in {
		field := fmt.Sprintf("settings[%d]", i)
		c, ok := s.Category(x.Category)
		if !ok || !c.Leaf {
			return nil, errs.F(errs.UnknownCategory, field+".category")
		}
		if seen[x.Category] {
			return nil, &errs.Error{Code: errs.Invalid, Field: field + ".category", Detail: "listed twice"}
		}
		seen[x.Category] = true
		if math.IsNaN(x.Threshold) || x.Threshold < 0.5 || x.Threshold > 1 {
			return nil, &errs.Error{Code: errs.Invalid, Field: field + ".threshold", Detail: "0.5–1"}
		}
		rows = append(rows, classify.AutoDispatch{Category: x.Category, Enabled: x.Enabled, Threshold: x.Threshold, UpdatedBy: a.User.ID, UpdatedAt: now})
	}
	err := s.St.Write(ctx, func(tx *store.Tx) error {
		for _, r := range rows {
			if err := tx.PutAutoDispatch(ctx, r); err != nil {
				return err
			}
		}
		return s.Audit(ctx, tx, a, "set_auto_dispatch", "classifier", in)
	})
	if err != nil {
		return nil, errs.Wrap(err)
	}
	return s.AutoDispatchSettings(ctx)
}

// RetrainClassifier trains a new model version on demand (admin).
func (s *Service) RetrainClassifier(ctx context.Context, a org.Actor) (ClassifierInfo, error) {
	if err := core.RequireAdmin(a); err != nil {
		return ClassifierInfo{}, err
	}
	return s.trainClassifier(ctx, a)
}

// TrainClassifier trains a new model version from the closed cases in the
// store (the label is the category the case closed with), evaluates it
// (up to 5,000 texts: 5-fold cross-validation and a model of all texts;
// above: a model of a stratified 80% measured on the other 20%), stores it
// with its evaluation as the next version and puts it in use.
func (s *Service) TrainClassifier(ctx context.Context) (ClassifierInfo, error) {
	return s.trainClassifier(ctx, org.System())
}

func (s *Service) trainClassifier(ctx context.Context, a org.Actor) (ClassifierInfo, error) {
	if !s.clf.training.TryLock() {
		return ClassifierInfo{}, errs.D(errs.Conflict, "a classifier is being trained")
	}
	defer s.clf.training.Unlock()
	ex, err := s.trainingSet(ctx)
	if err != nil {
		return ClassifierInfo{}, err
	}
	labels := map[string]bool{}
	for _, e := range ex {
		labels[e.Label] = true
	}
	if len(ex) < MinTrainingTexts || len(labels) < 2 {
		return ClassifierInfo{}, errs.D(errs.NotEnoughData, "%d closed cases in %d categories; at least %d in 2", len(ex), len(labels), MinTrainingTexts)
	}
	// Small sets: 5-fold cross-validation, then a model of every text.
	// Larger ones: the stored model is trained on four fifths and its
	// figures are measured on the other fifth (stratified), so the
	// evaluation is of the stored model itself and training runs once.
	var (
		opt  classify.Options
		rep  classify.Report
		m    *classify.Model
		took time.Duration
	)
	if len(ex) > holdOutAbove {
		train, test := holdOut(ex)
		start := time.Now()
		if m, err = classify.Train(ctx, train, opt); err != nil {
			return ClassifierInfo{}, classifyErr(err)
		}
		took = time.Since(start)
		if rep, err = m.Measure(ctx, test); err != nil {
			return ClassifierInfo{}, classifyErr(err)
		}
		rep.Train, rep.TrainS = len(train), took.Seconds()
		ex = train
	} else {
		if rep, err = classify.CrossValidate(ctx, ex, 5, 1, opt); err != nil {
			return ClassifierInfo{}, classifyErr(err)
		}
		start := time.Now()
		if m, err = classify.Train(ctx, ex, opt); err != nil {
			return ClassifierInfo{}, classifyErr(err)
		}
		took = time.Since(start)
	}
	data, err := m.MarshalBinary()
	if err != nil {
		return ClassifierInfo{}, errs.Wrap(err)
	}
	eval, err := json.Marshal(rep)
	if err != nil {
		return ClassifierInfo{}, errs.Wrap(err)
	}
	rec := classify.StoredModel{Algorithm: m.Opt.Algorithm, TrainedAt: s.Now(), TrainMS: took.Milliseconds(), Examples: len(ex),
		Labels: len(m.Labels), Eval: eval, CreatedBy: a.User.ID, Data: data}
	err = s.St.Write(ctx, func(tx *store.Tx) error {
		r := rec
		if err := tx.InsertClassifierModel(ctx, &r); err != nil {
			return err
		}
		if _, err := tx.PruneClassifierModels(ctx, KeepModels); err != nil {
			return err
		}
		rec.Version, rec.Eval = r.Version, r.Eval // the evaluation as stored (store.shortFloats)
		if a.IsSystem() {
			return nil
		}
		return s.Audit(ctx, tx, a, "train_classifier", fmt.Sprintf("classifier:%d", r.Version), map[string]any{"examples": len(ex), "top1": rep.Top1})
	})
	if err != nil {
		return ClassifierInfo{}, errs.Wrap(err)
	}
	rec.Data = nil
	s.clf.loadMu.Lock()
	if cur := s.clf.cur.Load(); cur == nil || cur.info.Version < rec.Version {
		s.clf.cur.Store(&loadedModel{model: m, info: rec})
	}
	s.clf.loaded.Store(true)
	s.clf.loadMu.Unlock()
	s.Log.Info("classifier trained", "version", rec.Version, "examples", len(ex), "labels", len(m.Labels),
		"top1", rep.Top1, "top3", rep.Top3, "took", took.Round(time.Millisecond))
	return rec, nil
}

// trainingSet reads the newest MaxTrainingTexts closed cases whose category
// is still a leaf of the taxonomy.
func (s *Service) trainingSet(ctx context.Context) ([]classify.Example, error) {
	var ex []classify.Example
	var after int64
	for {
		page, err := s.St.ClosedCaseTexts(ctx, after, 5000)
		if err != nil {
			return nil, errs.Wrap(err)
		}
		if len(page) == 0 {
			break
		}
		for _, t := range page {
			if c, ok := s.Category(t.Category); ok && c.Leaf {
				ex = append(ex, classify.Example{Text: t.Text, Label: t.Category})
			}
		}
		after = page[len(page)-1].CaseID
		if len(ex) > 2*MaxTrainingTexts {
			ex = append([]classify.Example(nil), ex[len(ex)-MaxTrainingTexts:]...)
		}
	}
	if len(ex) > MaxTrainingTexts {
		ex = ex[len(ex)-MaxTrainingTexts:]
	}
	return ex, nil
}

// holdOut splits ex into a stratified four fifths to train on and one
// fifth to test on.
func holdOut(ex []classify.Example) (train, test []classify.Example) {
	idx := map[string]int{}
	y := make([]int, len(ex))
	for i, e := range ex {
		if _, ok := idx[e.Label]; !ok {
			idx[e.Label] = len(idx)
		}
		y[i] = idx[e.Label]
	}
	folds := classify.Folds(y, 5, 1)
	for i, e := range ex {
		if folds[i] == 0 {
			test = append(test, e)
		} else {
			train = append(train, e)
		}
	}
	return train, test
}

func classifyErr(err error) error {
	if errors.Is(err, classify.ErrNoData) {
		return errs.D(errs.NotEnoughData, "%v", err)
	}
	return errs.Wrap(err)
}

// RunClassifierRetrain keeps the classifier fresh until ctx ends. Every
// minute (or every interval, if shorter) it loads a newer version that
// another node (or an on-demand training) stored, and when the newest
// version is an interval old, or there is none, it trains a new one.
// Failures are logged and retried at a later tick. every ≤ 0 turns
// scheduled retraining off (Suggest still loads stored versions).
func (s *Service) RunClassifierRetrain(ctx context.Context, every time.Duration) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(min(every, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.LoadClassifier(ctx); err != nil {
			if ctx.Err() == nil {
				s.Log.Warn("classifier load", "err", err)
			}
			continue
		}
		if cur := s.clf.cur.Load(); cur != nil && s.Now().Sub(cur.info.TrainedAt) < every {
			continue
		}
		_, err := s.TrainClassifier(ctx)
		switch {
		case err == nil || ctx.Err() != nil:
		case errs.Is(err, errs.NotEnoughData):
			s.Log.Debug("classifier not retrained", "err", err)
		default:
			s.Log.Warn("classifier retraining", "err", err)
		}
	}
}

// GuessCategory returns the classifier's first category for a text when a
// model is loaded ("" otherwise), for submissions whose sender did not
// know the taxonomy; the centre confirms it at acceptance.
func (s *Service) GuessCategory(ctx context.Context, text string) string {
	sug, err := s.Suggest(ctx, text, 1)
	if err != nil || len(sug) == 0 {
		return ""
	}
	return sug[0].Code
}

// ClassifierVersions lists the stored classifier versions with their
// evaluations, newest first.
func (s *Service) ClassifierVersions(ctx context.Context, limit int) ([]classify.StoredModel, error) {
	vs, err := s.St.ClassifierModels(ctx, limit)
	if vs == nil {
		vs = []classify.StoredModel{}
	}
	return vs, err
}
