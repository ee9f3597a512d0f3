package classify

import (
	"encoding/json"
	"time"
)

// Records as the store keeps and lists them.

// StoredModel is one stored version of the text classifier. Data is
// the encoded model (empty when listed without it); Eval its evaluation as
// JSON.
type StoredModel struct {
	Version   int64           `json:"version"`
	Algorithm string          `json:"algorithm"`
	TrainedAt time.Time       `json:"trained_at"`
	TrainMS   int64           `json:"train_ms"`
	Examples  int             `json:"examples"`
	Labels    int             `json:"labels"`
	Eval      json.RawMessage `json:"evaluation"`
	CreatedBy int64           `json:"created_by"` // 0 = the scheduled retraining
	Data      []byte          `json:"-"`
}

// AutoDispatch is the centre's setting for one category: whether requests
// the classifier assigns to it with at least Threshold probability may be
// dispatched automatically.
type AutoDispatch struct {
	Category  string    `json:"category"`
	Enabled   bool      `json:"enabled"`
	Threshold float64   `json:"threshold"`
	UpdatedBy int64     `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}
