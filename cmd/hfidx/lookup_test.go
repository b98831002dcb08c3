package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache/reftest"
)

// TestLookupReference holds `hfidx lookup` against every
// try_to_load_from_cache answer huggingface_hub gave on the cache its own
// client wrote: the JSON status and path, the text output and the exit
// code of each.
func TestLookupReference(t *testing.T) {
	hub, ref := reftest.Load(t, "client-written")
	if len(ref.Lookups) < 10 {
		t.Fatalf("only %d lookups in the reference", len(ref.Lookups))
	}
	for _, l := range ref.Lookups {
		args := []string{"lookup", l.RepoID, l.Filename, "--cache-dir", hub}
		if l.Revision != nil {
			args = append(args, "--revision", *l.Revision)
		}
		if l.RepoType != nil {
			args = append(args, "--type", *l.RepoType)
		}
		wantStatus, wantPath, wantCode := "not_cached", "", exitNotCached
		switch {
		case l.Result == nil:
		case *l.Result == "NO_EXIST":
			wantStatus, wantCode = "no_exist", exitNoExist
		default:
			wantStatus, wantPath, wantCode = "cached", hub+"/"+*l.Result, exitOK
		}

		var out, errb bytes.Buffer
		code := run(append(args, "--format", "json"), strings.NewReader(""), &out, &errb)
		var got struct {
			Status string  `json:"status"`
			Path   *string `json:"path"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Errorf("%v: stdout %q is not JSON: %v", args, out.String(), err)
			continue
		}
		gotPath := ""
		if got.Path != nil {
			gotPath = *got.Path
		}
		if code != wantCode || got.Status != wantStatus || gotPath != wantPath || (wantPath == "") != (got.Path == nil) {
			t.Errorf("%v: exit %d, %s %v; the library says %s %q (exit %d); stderr %q",
				args, code, got.Status, got.Path, wantStatus, wantPath, wantCode, errb.String())
		}

		out.Reset()
		errb.Reset()
		code = run(args, strings.NewReader(""), &out, &errb)
		wantOut := ""
		if wantPath != "" {
			wantOut = wantPath + "\n"
		}
		if code != wantCode || out.String() != wantOut {
			t.Errorf("%v (text): exit %d, stdout %q; want exit %d, %q", args, code, out.String(), wantCode, wantOut)
		}
	}
}
