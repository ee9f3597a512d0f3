package dutylist

import "time"

// Records as the store keeps and lists them.

// Stored is a stored version of the dispatch catalogue.
type Stored struct {
	List
	CreatedBy   int64     `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	PublishedBy int64     `json:"published_by,omitempty"`
	PublishedAt time.Time `json:"published_at,omitzero"`
}
