package query

import (
	"strings"
	"testing"
)

func TestGGUFQuant(t *testing.T) {
	tests := []struct {
		name  string
		quant string
		ok    bool
	}{
		{"model-Q4_K_M.gguf", "Q4_K_M", true},
		{"Llama-3-8B-Instruct.Q5_K_S.gguf", "Q5_K_S", true},
		{"gguf/model-q8_0.gguf", "Q8_0", true},
		{"qwen2-7b-instruct-iq2_xs.gguf", "IQ2_XS", true},
		{"m-IQ4_NL.GGUF", "IQ4_NL", true},
		{"ggml-model-f16.gguf", "F16", true},
		{"model-bf16-00001-of-00003.gguf", "BF16", true},
		{"model-BF16-00003-of-00003.gguf", "BF16", true},
		{"Q4_K_M/model-Q4_K_M-00002-of-00002.gguf", "Q4_K_M", true},
		{"model.F32.gguf", "F32", true},
		{"model-Q4_0.gguf", "Q4_0", true},
		{"model-IQ3_XXS.gguf", "IQ3_XXS", true},
		{"model-Q4_0_4_4.gguf", "Q4_0_4_4", true},
		{"llama_q4_k_m.gguf", "Q4_K_M", true},
		{"tiny_iq2_xs.gguf", "IQ2_XS", true},
		{"gpt-oss-20b-mxfp4.gguf", "MXFP4", true},
		{"model.gguf", UnnamedGGUF, true},
		{"mmproj-model.gguf", UnnamedGGUF, true},
		{"qwen.gguf", UnnamedGGUF, true},
		{"model-Q4_K_M.safetensors", "", false},
		{"README.md", "", false},
		{"gguf", "", false},
	}
	for _, tt := range tests {
		base := tt.name[strings.LastIndexByte(tt.name, '/')+1:]
		q, ok := GGUFQuant(base)
		if q != tt.quant || ok != tt.ok {
			t.Errorf("GGUFQuant(%q) = %q, %v, want %q, %v", base, q, ok, tt.quant, tt.ok)
		}
	}
}

func TestExtOrg(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"model.safetensors", "safetensors"}, {"archive.tar.gz", "gz"}, {"README.MD", "md"},
		{".gitattributes", NoGroup}, {"LICENSE", NoGroup}, {"trailing.", NoGroup}, {"a.b.Json", "json"},
	} {
		if got := Ext(tt.in); got != tt.want {
			t.Errorf("Ext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"org/name", "org"}, {"gpt2", NoGroup}, {"/x", NoGroup}, {"a/b/c", "a"},
	} {
		if got := Org(tt.in); got != tt.want {
			t.Errorf("Org(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzGGUFQuant holds the parser's promises on any name: a quant only for
// a .gguf name, upper-case, and a word of the name.
func FuzzGGUFQuant(f *testing.F) {
	for _, s := range []string{"model-Q4_K_M.gguf", "x.GGUF", "llama_q4_k_m.gguf", "a.b", "-.gguf", "\xff.gguf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		q, ok := GGUFQuant(name)
		if ok != strings.HasSuffix(strings.ToLower(name), ".gguf") && ok != strings.HasSuffix(strings.ToUpper(name), ".GGUF") {
			t.Fatalf("GGUFQuant(%q) ok = %v", name, ok)
		}
		if !ok {
			if q != "" {
				t.Fatalf("GGUFQuant(%q) = %q for a name that is not GGUF", name, q)
			}
			return
		}
		if q != UnnamedGGUF && (q != strings.ToUpper(q) || !strings.Contains(strings.ToUpper(name), q)) {
			t.Fatalf("GGUFQuant(%q) = %q: not an upper-cased part of the name", name, q)
		}
	})
}
