package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"whistle/internal/importer"
)

// TestImportCommand: 'whistle import open311' creates a store, imports,
// reports (as JSON) and refuses nothing twice; a second run imports
// nothing; 'whistle import csv' needs its mapping; bad usage is exit 2.
func TestImportCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "r.jsonl")
	body := `{"service_request_id":"1","status":"open","service_name":"Pothole","service_code":"P","requested_datetime":"2015-03-01T10:00:00-05:00","lat":42.3,"long":-71.1,"address":"1 Main St"}
{"service_request_id":"2","status":"closed","service_name":"Pothole","service_code":"P","requested_datetime":"2015-03-01T11:00:00-05:00","updated_datetime":"2015-03-02T11:00:00-05:00"}
{"service_request_id":"3","status":"lost","service_code":"P","requested_datetime":"2015-03-01T11:00:00-05:00"}
`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	out, stderr, err := cmd("import", "open311", file, "--data", data, "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var rep importer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report %q: %v", out, err)
	}
	if rep.Imported != 2 || rep.Refused != 1 || rep.RefusedBy[importer.ReasonUnknownStatus] != 1 || rep.Examples[importer.ReasonUnknownStatus][0].Line != 3 {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(stderr, "username: admin") || !strings.Contains(stderr, "import:") {
		t.Errorf("stderr without the new store's administrator or progress:\n%s", stderr)
	}
	out, _, err = cmd("import", "open311", file, "--data", data)
	if err != nil || !strings.Contains(out, "imported already") || !strings.Contains(out, "unknown_status") {
		t.Errorf("second run: %v\n%s", err, out)
	}
	var ue usageError
	for _, args := range [][]string{{"import"}, {"import", "xml", file}, {"import", "csv", file, "--data", data},
		{"import", "open311", filepath.Join(dir, "missing.jsonl"), "--data", data}, {"import", "open311", file, "--batch", "0"}, {"import", "open311", file, "--window", "-5"}} {
		if _, _, err := cmd(args...); !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
