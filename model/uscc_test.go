package model

import (
	"strings"
	"testing"
)

func TestUSCC(t *testing.T) {
	cases := []struct {
		code  string
		valid bool
	}{
		{"91350200MA2YJ1XR9G", true},
		{"91440101MA5CJQ4N59", true},
		{"91330212MA2H0A1BX9", true},
		{"91330203MA2J8K7Q3Q", true},
		{"92330281MA2CX4R39E", true},
		{"93330226MA2AB3C470", true}, // check digit wraps to 0
		{"51330200MA2C9D4E6C", true},
		{"91330212MA2H0A1BX8", false}, // wrong check digit
		{"9133021IMA2H0A1BX9", false}, // I is not in the alphabet
		{"91330212ma2h0a1bx9", false}, // lower case
		{"91330212MA2H0A1BX", false},  // 17 characters
		{"91330212MA2H0A1BX99", false},
		{"", false},
		{"9133A212MA2H0A1BX9", false}, // region code must be digits
	}
	for _, c := range cases {
		if got := USCCProblem(c.code) == ""; got != c.valid {
			t.Errorf("USCCProblem(%q) = %q, valid %v, want %v", c.code, USCCProblem(c.code), got, c.valid)
		}
	}
}

// FuzzUSCC: any input is answered without panicking; an accepted code has
// 18 characters of the alphabet, and changing its check character makes it
// invalid.
func FuzzUSCC(f *testing.F) {
	for _, s := range []string{"91330212MA2H0A1BX9", "93330226MA2AB3C470", "9133021IMA2H0A1BX9", "", "𠮷𠮷𠮷", "000000000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if USCCProblem(s) != "" {
			return
		}
		if len(s) != 18 {
			t.Fatalf("accepted %q of length %d", s, len(s))
		}
		for i := 0; i < 18; i++ {
			if !strings.ContainsRune(usccCharset, rune(s[i])) {
				t.Fatalf("accepted %q with %q", s, s[i])
			}
		}
		other := usccCharset[(strings.IndexByte(usccCharset, s[17])+1)%31]
		if USCCProblem(s[:17]+string(other)) == "" {
			t.Fatalf("both %q and %q accepted", s, s[:17]+string(other))
		}
	})
}
