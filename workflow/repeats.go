package workflow

import (
	"strings"
	"unicode"
)

// Repeats (重复诉求): when a request is filed, earlier requests that may be
// the same matter are offered to 工商联 (and to the filer) by the
// similarity of their texts.
//
// The method: each text is normalised (full-width letters and digits
// folded to half-width ones, as NFKC does for them; lower case; everything but letters and
// digits removed, so punctuation and spacing do not count), cut into
// overlapping character pairs (bigrams: 食品经营 → 食品, 品经, 经营), and two
// texts compared by the Jaccard index of their pair sets (shared pairs over
// all pairs). Chinese has no spaces between words; character pairs catch
// the same words in another order or with other words around them without
// a dictionary. A request's similarity to another is
// 0.6 × the titles' index + 0.4 × the contents' index; a candidate is a
// request of the same enterprise, or of the same category in the same
// region, filed within RepeatWindowDays before, scoring RepeatThreshold or
// more.

// RepeatThreshold is the lowest similarity offered as a possible repeat.
const RepeatThreshold = 0.3

// RepeatWindowDays is how far back candidates are looked for, in days.
const RepeatWindowDays = 90

// Similarity is the similarity of two requests (title and content each).
func Similarity(titleA, contentA, titleB, contentB string) float64 {
	return 0.6*Jaccard(bigrams(titleA), bigrams(titleB)) + 0.4*Jaccard(bigrams(contentA), bigrams(contentB))
}

// normalise is s as compared: full width folded, lower case, letters and
// digits only.
func normalise(s string) []rune {
	var out []rune
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII (ＡＢＣ１２３)
			r -= 0xFEE0
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, unicode.ToLower(r))
		}
	}
	return out
}

// bigrams is the set of character pairs of s (its one character, when it
// has only one).
func bigrams(s string) map[string]struct{} {
	rs := normalise(s)
	out := make(map[string]struct{}, len(rs))
	if len(rs) == 1 {
		out[string(rs)] = struct{}{}
	}
	var b strings.Builder
	for i := 0; i+1 < len(rs); i++ {
		b.Reset()
		b.WriteRune(rs[i])
		b.WriteRune(rs[i+1])
		out[b.String()] = struct{}{}
	}
	return out
}

// Jaccard is |a ∩ b| / |a ∪ b|; 0 when both are empty.
func Jaccard(a, b map[string]struct{}) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	shared := 0
	for k := range a {
		if _, ok := b[k]; ok {
			shared++
		}
	}
	return float64(shared) / float64(len(a)+len(b)-shared)
}
