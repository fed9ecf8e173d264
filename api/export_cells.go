package api

import (
	"strings"

	"github.com/xuri/excelize/v2"
)

// Every CSV and XLSX export writes its text through safeText, so that a
// text a person typed (a request's title, an indicator's name …) never
// reaches a spreadsheet program as a formula (CSV injection, OWASP): a
// text that starts with =, +, -, @, a tab or a carriage return is written
// with a single quote in front. Numbers the exports compute are written as
// numbers and are not touched.

// formulaLead are the first characters that make a spreadsheet evaluate a cell.
const formulaLead = "=+-@\t\r"

// safeText is s as an export writes it.
func safeText(s string) string {
	if s != "" && strings.ContainsRune(formulaLead, rune(s[0])) {
		return "'" + s
	}
	return s
}

// safeRow is row with every text cell (a string, or an excelize.Cell holding
// one) passed through safeText.
func safeRow(row []any) []any {
	out := make([]any, len(row))
	for i, v := range row {
		switch x := v.(type) {
		case string:
			out[i] = safeText(x)
		case excelize.Cell:
			if s, ok := x.Value.(string); ok {
				x.Value = safeText(s)
			}
			out[i] = x
		default:
			out[i] = v
		}
	}
	return out
}
