package workflow

import (
	"math"
	"testing"
)

func TestJaccard(t *testing.T) {
	cases := []struct {
		a, b string
		want float64
	}{
		{"食品经营", "食品经营", 1},
		{"食品经营", "经营食品", 2.0 / 4},  // 食品 经营 shared; 品经 营食 not
		{"食品经营许可", "食品 经营、许可！", 1}, // punctuation and spaces do not count
		{"ＡＢＣ１２３", "abc123", 1},    // full width = half width, case folded
		{"许可证", "营业执照", 0},
		{"", "", 0},
		{"证", "证", 1}, // one character is its own pair
	}
	for _, c := range cases {
		if got := Jaccard(bigrams(c.a), bigrams(c.b)); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Jaccard(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestSimilarity: the same matter in other words scores at or above the
// threshold; another matter of the same category stays below it.
func TestSimilarity(t *testing.T) {
	base := [2]string{"申请办理食品经营许可证延续", "我公司食品经营许可证将于下月到期，材料已备齐，请协助加快办理延续手续。"}
	cases := []struct {
		name   string
		other  [2]string
		repeat bool
	}{
		{"the same text", base, true},
		{"reworded", [2]string{"食品经营许可证延续办理", "食品经营许可证下月到期，请尽快办理延续。"}, true},
		{"a retry with a typo", [2]string{"申请办理食品经营许可证延期", "我公司食品经营许可证将于下月到期，材料已齐，请协助加快办理延续手续"}, true},
		{"same category, other matter", [2]string{"申请办理建筑工程施工许可", "新厂房项目需要办理施工许可证，请协调住建部门。"}, false},
		{"unrelated", [2]string{"招工难", "园区企业普遍反映一线工人招聘困难。"}, false},
	}
	for _, c := range cases {
		s := Similarity(base[0], base[1], c.other[0], c.other[1])
		if (s >= RepeatThreshold) != c.repeat {
			t.Errorf("%s: similarity %.3f, threshold %.2f, want repeat=%v", c.name, s, RepeatThreshold, c.repeat)
		}
	}
}
