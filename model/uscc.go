package model

import (
	"fmt"
	"strings"
)

// usccCharset is the 31-character alphabet of GB 32100-2015 (no I, O, S, V, Z);
// a character's value is its index.
const usccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i-1) mod 31 for positions 1..17.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCProblem explains why a code is not a valid 统一社会信用代码, in
// Chinese; it returns "" for a valid code. Lower-case letters are not
// accepted: codes are printed in capitals.
func USCCProblem(code string) string {
	if len(code) != 18 {
		return "统一社会信用代码必须为 18 位"
	}
	sum := 0
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(usccCharset, code[i])
		if v < 0 {
			return fmt.Sprintf("统一社会信用代码第 %d 位含有不允许的字符", i+1)
		}
		if i >= 2 && i < 8 && v > 9 {
			return "统一社会信用代码第 3–8 位应为行政区划数字"
		}
		if i < 17 {
			sum += v * usccWeights[i]
		}
	}
	check := usccCharset[(31-sum%31)%31]
	if code[17] != check {
		return "统一社会信用代码校验位错误"
	}
	return ""
}
