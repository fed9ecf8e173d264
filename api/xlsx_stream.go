package api

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// xlsxStream writes an Excel workbook (Office Open XML) to w as
// rows come: the zip entries are compressed on the fly, so memory stays a
// few buffers whatever the number of rows, and the first bytes leave with
// the first rows. A sheet holds 1,048,576 rows: past that the rows go on
// in a second sheet (the parts that name the sheets are written last). The ledgers use it; excelize, which the other exports
// use, builds the whole zip in memory before writing it (120 MiB for a
// million requests).
//
// A row's cells are written by type: a string as an inline string (never a
// formula: the caller passes text through safeText first), an int as a
// number, an xlsxDate as a number with the date style. Text is cut to what
// a cell holds (fitCell) and characters XML 1.0 cannot carry are dropped.
type xlsxStream struct {
	zw     *zip.Writer
	w      *bufio.Writer
	name   string
	header []string
	widths []float64
	sheets int // sheets begun
	rows   int // rows of the current sheet, its header included
	total  int // data rows written
	// maxRows is the most rows of a sheet, its header included.
	maxRows int
}

// xlsxDate is a time shown as a date cell, in the location it carries.
type xlsxDate time.Time

// Style ids of xlsxStyles: 0 plain, 1 the header, 2 a date.
const (
	xlsxStyleHeader = 1
	xlsxStyleDate   = 2
)

const xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
	`<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>` +
	`<fill><patternFill patternType="solid"><fgColor rgb="FFEEF2F7"/><bgColor indexed="64"/></patternFill></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>` +
	`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`

// newXLSXStream starts a workbook whose sheets are named sheet (then
// sheet（2）… when one is full), with the column widths given and the
// header row at the top of each.
func newXLSXStream(w io.Writer, sheet string, header []string, widths []float64) (*xlsxStream, error) {
	x := &xlsxStream{zw: zip.NewWriter(w), name: sheet, header: header, widths: widths, maxRows: xlsxMaxRows}
	return x, x.newSheet()
}

// newSheet starts the next sheet with its header row.
func (x *xlsxStream) newSheet() error {
	x.sheets++
	f, err := x.zw.Create("xl/worksheets/sheet" + strconv.Itoa(x.sheets) + ".xml")
	if err != nil {
		return err
	}
	if x.w == nil {
		x.w = bufio.NewWriterSize(f, 64<<10)
	} else {
		x.w.Reset(f)
	}
	x.rows = 0
	x.w.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><cols>`)
	for i, wd := range x.widths {
		n := strconv.Itoa(i + 1)
		x.w.WriteString(`<col min="` + n + `" max="` + n + `" width="` + strconv.FormatFloat(wd, 'f', -1, 64) + `" customWidth="1"/>`)
	}
	x.w.WriteString(`</cols><sheetData>`)
	cells := make([]any, len(x.header))
	for i, h := range x.header {
		cells[i] = h
	}
	return x.row(cells, xlsxStyleHeader)
}

// endSheet closes the sheet being written.
func (x *xlsxStream) endSheet() error {
	x.w.WriteString(`</sheetData></worksheet>`)
	return x.w.Flush()
}

// Row writes the next row, on a new sheet when this one is full.
func (x *xlsxStream) Row(cells []any) error {
	if x.rows >= x.maxRows {
		if err := x.endSheet(); err != nil {
			return err
		}
		if err := x.newSheet(); err != nil {
			return err
		}
	}
	x.total++
	return x.row(cells, 0)
}

// xlsxMaxRows is the most rows a sheet holds.
const xlsxMaxRows = 1 << 20

func (x *xlsxStream) row(cells []any, style int) error {
	x.rows++
	r := strconv.Itoa(x.rows)
	x.w.WriteString(`<row r="` + r + `">`)
	for i, v := range cells {
		ref := xlsxColumn(i) + r
		s := ""
		if style != 0 {
			s = ` s="` + strconv.Itoa(style) + `"`
		}
		switch c := v.(type) {
		case string:
			if c == "" {
				continue
			}
			x.w.WriteString(`<c r="` + ref + `"` + s + ` t="inlineStr"><is><t xml:space="preserve">` + xmlText(fitCell(c)) + `</t></is></c>`)
		case int:
			x.w.WriteString(`<c r="` + ref + `"` + s + `><v>` + strconv.Itoa(c) + `</v></c>`)
		case xlsxDate:
			x.w.WriteString(`<c r="` + ref + `" s="` + strconv.Itoa(xlsxStyleDate) + `"><v>` + excelSerial(time.Time(c)) + `</v></c>`)
		}
	}
	_, err := x.w.WriteString(`</row>`)
	return err
}

// Rows is how many data rows were written (headers excluded).
func (x *xlsxStream) Rows() int { return x.total }

// Close ends the last sheet and writes the parts that name the sheets,
// then the zip's directory.
func (x *xlsxStream) Close() error {
	if err := x.endSheet(); err != nil {
		return err
	}
	var sheets, rels, types strings.Builder
	for i := 1; i <= x.sheets; i++ {
		n := strconv.Itoa(i)
		name := x.name
		if i > 1 {
			name += "（" + n + "）"
		}
		sheets.WriteString(`<sheet name="` + xmlText(name) + `" sheetId="` + n + `" r:id="rId` + n + `"/>`)
		rels.WriteString(`<Relationship Id="rId` + n + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet` + n + `.xml"/>`)
		types.WriteString(`<Override PartName="/xl/worksheets/sheet` + n + `.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
	}
	styles := strconv.Itoa(x.sheets + 1)
	parts := []struct{ name, body string }{
		{"xl/styles.xml", xlsxStyles},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets>` + sheets.String() + `</sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels.String() +
			`<Relationship Id="rId` + styles + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			types.String() +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`},
	}
	for _, p := range parts {
		f, err := x.zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return err
		}
	}
	return x.zw.Close()
}

// xlsxColumn is the letters of column i (0: A).
func xlsxColumn(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// excelSerial is t's wall clock (in its location) as an Excel date serial:
// days since 1899-12-30, the fraction the time of day.
func excelSerial(t time.Time) string {
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	d := wall.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC))
	return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64)
}

// xmlText is s escaped for XML text, without the characters XML 1.0
// cannot carry (controls other than tab and line breaks).
func xmlText(s string) string {
	clean := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != 0xFFFE && r != 0xFFFF && r != utf8.RuneError) {
			return r
		}
		return -1
	}, s)
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(clean))
	return b.String()
}
