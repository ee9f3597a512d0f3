// Package csvsafe is the one CSV writer of every export: UTF-8 with a
// byte-order mark and CRLF line ends, as spreadsheets (Excel, WPS) expect,
// and no cell a spreadsheet would run as a formula (CSV injection, OWASP):
// a cell that begins with = + - @, a tab or a carriage return gets a
// single quote in front, unless it is a plain number ("-3.5" stays a
// number). Values are never dropped or otherwise changed.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strconv"
)

// Cell returns s as a spreadsheet will show it and never run it.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil && s[0] != '\t' && s[0] != '\r' {
			return s
		}
		return "'" + s
	}
	return s
}

// Writer writes records with every cell passed through Cell.
type Writer struct {
	cw  *csv.Writer
	buf []string
}

// NewWriter writes the byte-order mark to w and returns a writer with
// CRLF line ends.
func NewWriter(w io.Writer) (*Writer, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &Writer{cw: cw}, nil
}

// Write writes one record.
func (w *Writer) Write(rec []string) error {
	w.buf = w.buf[:0]
	for _, s := range rec {
		w.buf = append(w.buf, Cell(s))
	}
	return w.cw.Write(w.buf)
}

// WriteAll writes records and flushes.
func (w *Writer) WriteAll(recs [][]string) error {
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return w.Flush()
}

// Flush writes what is buffered and reports any error of the writes.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}
