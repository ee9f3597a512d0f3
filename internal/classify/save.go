package classify

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
)

// formatVersion is bumped when the saved form changes incompatibly.
const formatVersion = 1

// saved is the stored form of a Model: only the features of the model
// (idf > 0) are kept; every other row of the weights is unused.
type saved struct {
	Format int
	Labels []string
	Opt    Options
	Rows   []int32
	IDF    []float32
	Parts  []savedPart
}

type savedPart struct {
	Algo string
	Temp float64
	B    []float32
	W    []float32 // len(Rows) × len(Labels), row-major
}

// MarshalBinary encodes the model (gob, gzip-compressed).
func (m *Model) MarshalBinary() ([]byte, error) {
	nc := len(m.Labels)
	s := saved{Format: formatVersion, Labels: m.Labels, Opt: m.Opt}
	for f, v := range m.idf {
		if v != 0 {
			s.Rows = append(s.Rows, int32(f))
			s.IDF = append(s.IDF, v)
		}
	}
	for _, p := range m.parts {
		sp := savedPart{Algo: p.Algo, Temp: p.Temp, B: p.B, W: make([]float32, 0, len(s.Rows)*nc)}
		for _, f := range s.Rows {
			sp.W = append(sp.W, p.W[int(f)*nc:int(f)*nc+nc]...)
		}
		s.Parts = append(s.Parts, sp)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err := gob.NewEncoder(zw).Encode(&s); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Load decodes a model saved by MarshalBinary.
func Load(b []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("classify: load: %w", err)
	}
	var s saved
	if err := gob.NewDecoder(zr).Decode(&s); err != nil {
		return nil, fmt.Errorf("classify: load: %w", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("classify: load: %w", err)
	}
	if s.Format != formatVersion {
		return nil, fmt.Errorf("classify: load: model format %d, this build reads %d", s.Format, formatVersion)
	}
	if err := s.Opt.validate(); err != nil {
		return nil, err
	}
	nc := len(s.Labels)
	d := 1 << s.Opt.Bits
	if nc < 2 || len(s.Rows) != len(s.IDF) || len(s.Parts) == 0 {
		return nil, errors.New("classify: load: malformed model")
	}
	m := &Model{Labels: s.Labels, Opt: s.Opt, idf: make([]float32, d)}
	for i, f := range s.Rows {
		if f < 0 || int(f) >= d {
			return nil, errors.New("classify: load: malformed model")
		}
		m.idf[f] = s.IDF[i]
	}
	for _, sp := range s.Parts {
		if len(sp.B) != nc || len(sp.W) != len(s.Rows)*nc || sp.Temp <= 0 {
			return nil, errors.New("classify: load: malformed model")
		}
		p := linear{Algo: sp.Algo, Temp: sp.Temp, B: sp.B, W: make([]float32, d*nc)}
		for i, f := range s.Rows {
			copy(p.W[int(f)*nc:int(f)*nc+nc], sp.W[i*nc:i*nc+nc])
		}
		m.parts = append(m.parts, p)
	}
	return m, nil
}
