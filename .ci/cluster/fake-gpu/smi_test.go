package main

import (
	"bytes"
	"strings"
	"testing"
)

func run(args []string, visible string) (int, string) {
	var out, errs bytes.Buffer
	code := nvidiaSmi(args, visible, &out, &errs)
	return code, out.String() + errs.String()
}

// What images/notebook/gpu-discovery.sh runs.
func TestDiscoveryQuery(t *testing.T) {
	code, out := run([]string{"--query-gpu=index", "--format=csv,noheader"}, "GPU-a,GPU-b")
	if code != 0 || out != "0\n1\n" {
		t.Fatalf("got %d %q", code, out)
	}
}

func TestQueryWithHeaderAndUUIDs(t *testing.T) {
	code, out := run([]string{"--query-gpu", "index,uuid", "--format", "csv"}, "GPU-b")
	if code != 0 || out != "index, uuid\n0, GPU-b\n" {
		t.Fatalf("got %d %q", code, out)
	}
}

func TestNoDevices(t *testing.T) {
	for _, v := range []string{"", "void", "none"} {
		code, out := run([]string{"--query-gpu=index", "--format=csv,noheader"}, v)
		if code != 6 || !strings.Contains(out, "No devices were found") {
			t.Fatalf("NVIDIA_VISIBLE_DEVICES=%q: got %d %q", v, code, out)
		}
	}
}

func TestList(t *testing.T) {
	code, out := run([]string{"-L"}, "GPU-a")
	if code != 0 || !strings.HasPrefix(out, "GPU 0: ") || !strings.Contains(out, "(UUID: GPU-a)") {
		t.Fatalf("got %d %q", code, out)
	}
}

func TestUnknownField(t *testing.T) {
	if code, _ := run([]string{"--query-gpu=temperature.gpu", "--format=csv"}, "GPU-a"); code != 2 {
		t.Fatalf("got %d", code)
	}
}

func TestDeviceIDs(t *testing.T) {
	a, b := deviceIDs("node-a", 2), deviceIDs("node-b", 2)
	if a[0] == a[1] || a[0] == b[0] || len(a[0]) > 63 || !strings.HasPrefix(a[0], "GPU-") {
		t.Fatalf("ids %v %v", a, b)
	}
}
