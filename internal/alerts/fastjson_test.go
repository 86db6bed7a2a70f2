package alerts_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"hindsight/internal/alerts"
)

// referenceDecodable is what fastDecodable must answer: encoding/json's
// Valid, after a pass that refuses bytes beyond ASCII, escaped field
// names and \u escapes beyond ASCII. (It was fastDecodable until the one
// pass of its own scanner replaced it, for speed.)
func referenceDecodable(body []byte) bool {
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c >= utf8.RuneSelf {
			return false
		}
		if c != '"' {
			continue
		}
		escaped := false
		for i++; i < len(body) && body[i] != '"'; i++ {
			switch c := body[i]; {
			case c >= utf8.RuneSelf:
				return false
			case c == '\\' && i+1 < len(body):
				escaped = true
				i++
				if body[i] == 'u' && (i+4 >= len(body) || body[i+1] != '0' || body[i+2] != '0' || body[i+3] > '7') {
					return false
				}
			}
		}
		if i >= len(body) {
			return false // a string without its end: not JSON
		}
		rest := bytes.TrimLeft(body[i+1:], " \t\r\n")
		if escaped && len(rest) > 0 && rest[0] == ':' {
			return false // an escaped field name
		}
	}
	return json.Valid(body) && !longInteger(body)
}

// longInteger reports whether body holds, outside its strings, a number
// whose integer part has 19 digits or more, which go-json reads into an
// int wrapped around where encoding/json refuses it.
func longInteger(body []byte) bool {
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
			continue
		case c == '"':
			inString = true
			continue
		}
		if (c == '-' || '0' <= c && c <= '9') && (i == 0 || !strings.ContainsRune(".eE+-0123456789", rune(body[i-1]))) {
			j := i
			if c == '-' {
				j++
			}
			start := j
			for j < len(body) && '0' <= body[j] && body[j] <= '9' {
				j++
			}
			if j-start >= 19 {
				return true
			}
			i = j - 1
		}
	}
	return false
}

var decodableSeeds = []string{
	``, ` `, `{}`, `[]`, ` {} `, `{} {}`, `{}x`, `{`, `}`, `[`, `[1,]`, `[,1]`, `{"a":1,}`, `{,}`,
	`{"a"}`, `{"a":}`, `{"a" : 1 , "b" : [ true , false , null ] }`, `{1:2}`, `{"a":1 "b":2}`,
	"{\"a\":1}\n", "\t\r\n[]", "[1]\f", `"x"`, `"x`, `"`, `"\"`, `"\\"`, `"\/\b\f\n\r\t"`, `"\x"`, `"\'"`,
	`"\u0041"`, `"\u007f"`, `"\u007F"`, `"\u0080"`, `"\u00e9"`, `"\u004g"`, `"\u004"`, `"\u00"`, `"\u"`, `"\U0041"`,
	`{"\u0061":1}`, `{"\n":1}`, `{"a\"":1}`, `{"a" :1}`, `["\u0061" ,1]`, `{"a":"\u0061"}`,
	"\"\x00\"", "\"\x1f\"", "\"\x7f\"", "\"\xc3\xa9\"", "\xef\xbb\xbf{}", "[1]\x80",
	`0`, `-0`, `00`, `01`, `-`, `-a`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.5e10`, `1.e5`, `+1`, `0x1`,
	`1 2`, `[1 2]`, `[-]`, `[0.0e0]`, `[01.5]`,
	`true`, `false`, `null`, `tru`, `nul`, `nulls`, `True`, `[true,false,null]`, `[truex]`,
	`{"alerts":[{"labels":{"a":"1"}}],"status":"firing"}`,
	`{"orgId":9223372036854775808}`, `[9223372036854775807]`, `[-9223372036854775809]`, `[999999999999999999]`,
	`[1.12345678901234567890]`, `[1e1234567890123456789]`, `["1234567890123456789"]`, `[0.5,12345678901234567890]`,
}

// FuzzFastDecodable holds fastDecodable's scanner to its reference, and so
// to encoding/json's idea of valid JSON.
func FuzzFastDecodable(f *testing.F) {
	for _, s := range seedFixtures(f) {
		f.Add(s)
	}
	for _, s := range decodableSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := alerts.FastDecodable(body), referenceDecodable(body); got != want {
			t.Fatalf("fastDecodable says %v, the reference %v: %q", got, want, body)
		}
	})
}

// Nesting deeper than encoding/json allows is refused, as it refuses it.
func TestFastDecodableDepth(t *testing.T) {
	for _, open := range []string{"[", `{"a":`} {
		closing := map[string]string{"[": "]", `{"a":`: "}"}[open]
		for _, depth := range []int{10000, 10001} {
			body := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(closing, depth))
			if got, want := alerts.FastDecodable(body), json.Valid(body); got != want || want != (depth == 10000) {
				t.Errorf("%q nested %d deep: fastDecodable %v, json.Valid %v", open, depth, got, want)
			}
		}
	}
}

// The scanner against its reference, on Alertmanager's sample
// notification: go test -run '^$' -bench FastDecodable ./internal/alerts
func BenchmarkFastDecodable(b *testing.B) {
	body := fixture(b, "alertmanager-firing.json")
	for _, c := range []struct {
		name string
		fn   func([]byte) bool
	}{{"scanner", alerts.FastDecodable}, {"reference", referenceDecodable}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !c.fn(body) {
					b.Fatal("the sample does not take the fast decoder")
				}
			}
		})
	}
}
