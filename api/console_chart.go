package api

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts drawn on the server as SVG, inline in the page: no chart script,
// nothing fetched. A chart is an image with a title and a description
// (role="img", <title>, <desc>), each bar carries its own <title> (a
// tooltip and what a screen reader names), and the page shows the same
// figures as a table beside it. Colours come from console.css (classes).
//
// A missing value (no cases in the period) is drawn as missing — a dashed
// empty slot marked 无数据 — never as a bar of height zero, which would
// read as 0 %.

// chartBar is one bar: its label and value; Value nil is missing. Full
// names the bar in its tooltip when the label is short (2026年1月 for 1月),
// Note is added to it (the counts behind a rate). Total marks a bar that
// sums the others (drawn in another colour).
type chartBar struct {
	Label, Full string
	Value       *float64
	Note        string
	Total       bool
}

// class is the bar's class.
func (b chartBar) class() string {
	if b.Total {
		return "bar total"
	}
	return "bar"
}

// barChart is a bar chart. Horizontal bars suit long labels (regions),
// vertical ones a series (months).
type barChart struct {
	// ID makes the ids of the chart's title and description unique in the page.
	ID          string
	Title, Desc string
	// Unit follows each value ("%", "工作小时"); a unit of % puts the
	// axis at 0–100.
	Unit       string
	Horizontal bool
	Bars       []chartBar
}

// Geometry of the charts, in SVG user units (the chart scales to the
// width of its box).
const (
	chartWidth    = 520.0
	chartFontSize = 12.0
	// horizontal: a row per bar
	hLabelWidth = 120.0
	hRowHeight  = 26.0
	hBarHeight  = 16.0
	hValueRoom  = 84.0
	// vertical: a column per bar
	vHeight    = 280.0
	vAxisWidth = 44.0
	vTop       = 24.0
	vBottom    = 40.0
)

// axisMax is the top of the value axis: 100 for percentages (unless a
// value exceeds it), otherwise a round number (1, 2, 2.5 or 5 × 10^n) at
// or above the largest value.
func axisMax(unit string, bars []chartBar) float64 {
	top := 0.0
	for _, b := range bars {
		if b.Value != nil && *b.Value > top {
			top = *b.Value
		}
	}
	if unit == "%" && top <= 100 {
		return 100
	}
	if top <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(top)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= top {
			return m * mag
		}
	}
	return 10 * mag
}

// chartNumber writes a value for a label: one decimal, without a trailing .0.
func chartNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// coord writes an SVG coordinate.
func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// esc escapes text for SVG (XML) content and attributes.
func esc(s string) string { return template.HTMLEscapeString(s) }

// SVG draws the chart.
func (c barChart) SVG() template.HTML {
	if c.Horizontal {
		return c.horizontal()
	}
	return c.vertical()
}

// tooltip is a bar's <title>: 海曙区：92.5%（37 / 40）, 海曙区：无数据.
func (c barChart) tooltip(b chartBar) string {
	name := cmp.Or(b.Full, b.Label)
	if b.Value == nil {
		s := name + "：无数据"
		if b.Note != "" {
			s += "（" + b.Note + "）"
		}
		return s
	}
	s := name + "：" + chartNumber(*b.Value) + c.unitSuffix()
	if b.Note != "" {
		s += "（" + b.Note + "）"
	}
	return s
}

func (c barChart) unitSuffix() string {
	if c.Unit == "%" {
		return "%"
	}
	if c.Unit == "" {
		return ""
	}
	return " " + c.Unit
}

// open starts the <svg> element with its title and description.
func (c barChart) open(b *strings.Builder, height float64) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %s %s" width="100%%" role="img" aria-labelledby="%s-t %s-d" font-size="%s">`,
		coord(chartWidth), coord(height), esc(c.ID), esc(c.ID), coord(chartFontSize))
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, esc(c.ID), esc(c.Title), esc(c.ID), esc(c.Desc))
}

// ticks are the axis' values from 0 to max in 5 or 4 equal steps, a step
// of 1, 2, 2.5 or 5 × 10^n when one fits (0, 20 … 100; 0, 50 … 250).
func ticks(max float64) []float64 {
	n := 4
	for _, k := range []int{5, 4} {
		if roundStep(max / float64(k)) {
			n = k
			break
		}
	}
	out := make([]float64, n+1)
	for i := range out {
		out[i] = max * float64(i) / float64(n)
	}
	return out
}

// roundStep tells a round step: 1, 2, 2.5 or 5 × 10^n.
func roundStep(step float64) bool {
	if step <= 0 {
		return false
	}
	m := step / math.Pow(10, math.Floor(math.Log10(step)))
	for _, r := range []float64{1, 2, 2.5, 5, 10} {
		if math.Abs(m-r) < 1e-9 {
			return true
		}
	}
	return false
}

// valueText is a bar's value as written at its end: 92.5%, or the number
// alone when the unit is written once on the axis.
func (c barChart) valueText(v float64) string {
	if c.Unit == "%" {
		return chartNumber(v) + "%"
	}
	return chartNumber(v)
}

func (c barChart) horizontal() template.HTML {
	var b strings.Builder
	y0 := 8.0
	height := y0 + float64(len(c.Bars))*hRowHeight + 28
	plot := chartWidth - hLabelWidth - hValueRoom
	top := axisMax(c.Unit, c.Bars)
	c.open(&b, height)
	axisY := y0 + float64(len(c.Bars))*hRowHeight
	for _, t := range ticks(top) {
		x := hLabelWidth + plot*t/top
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`, coord(x), coord(y0), coord(x), coord(axisY))
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`, coord(x), coord(axisY+16), chartNumber(t))
	}
	for i, bar := range c.Bars {
		y := y0 + float64(i)*hRowHeight
		mid := y + hRowHeight/2
		b.WriteString(`<g class="row">`)
		fmt.Fprintf(&b, `<title>%s</title>`, esc(c.tooltip(bar)))
		fmt.Fprintf(&b, `<text class="label" x="%s" y="%s" text-anchor="end" dominant-baseline="central">%s</text>`,
			coord(hLabelWidth-8), coord(mid), esc(bar.Label))
		by := mid - hBarHeight/2
		if bar.Value == nil {
			fmt.Fprintf(&b, `<rect class="missing" x="%s" y="%s" width="%s" height="%s"/>`,
				coord(hLabelWidth), coord(by), coord(plot), coord(hBarHeight))
			fmt.Fprintf(&b, `<text class="value missing-text" x="%s" y="%s" text-anchor="middle" dominant-baseline="central">无数据</text>`,
				coord(hLabelWidth+plot/2), coord(mid))
		} else {
			w := plot * math.Max(*bar.Value, 0) / top
			fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s" data-value="%s"/>`,
				bar.class(), coord(hLabelWidth), coord(by), coord(w), coord(hBarHeight), strconv.FormatFloat(*bar.Value, 'g', -1, 64))
			fmt.Fprintf(&b, `<text class="value" x="%s" y="%s" dominant-baseline="central">%s</text>`,
				coord(hLabelWidth+w+6), coord(mid), esc(c.valueText(*bar.Value)))
		}
		b.WriteString(`</g>`)
	}
	if c.Unit != "" && c.Unit != "%" {
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="start">%s</text>`, coord(hLabelWidth+plot+14), coord(axisY+16), esc(c.Unit))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`, coord(hLabelWidth), coord(y0), coord(hLabelWidth), coord(axisY))
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`, coord(hLabelWidth), coord(axisY), coord(hLabelWidth+plot), coord(axisY))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (c barChart) vertical() template.HTML {
	var b strings.Builder
	plotH := vHeight - vTop - vBottom
	plotW := chartWidth - vAxisWidth - 8
	top := axisMax(c.Unit, c.Bars)
	base := vTop + plotH
	c.open(&b, vHeight)
	for _, t := range ticks(top) {
		y := base - plotH*t/top
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`, coord(vAxisWidth), coord(y), coord(vAxisWidth+plotW), coord(y))
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="end" dominant-baseline="central">%s</text>`, coord(vAxisWidth-6), coord(y), chartNumber(t))
	}
	if c.Unit != "" {
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="start">%s</text>`, coord(4), coord(vTop-10), esc(c.Unit))
	}
	slot := plotW / float64(max(len(c.Bars), 1))
	bw := math.Min(slot*0.6, 48)
	for i, bar := range c.Bars {
		cx := vAxisWidth + slot*(float64(i)+0.5)
		b.WriteString(`<g class="col">`)
		fmt.Fprintf(&b, `<title>%s</title>`, esc(c.tooltip(bar)))
		if bar.Value == nil {
			fmt.Fprintf(&b, `<rect class="missing" x="%s" y="%s" width="%s" height="%s"/>`, coord(cx-bw/2), coord(vTop), coord(bw), coord(plotH))
			fmt.Fprintf(&b, `<text class="value missing-text" x="%s" y="%s" text-anchor="middle" dominant-baseline="central" writing-mode="tb">无数据</text>`,
				coord(cx), coord(vTop+plotH/2))
		} else {
			h := plotH * math.Max(*bar.Value, 0) / top
			fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s" data-value="%s"/>`,
				bar.class(), coord(cx-bw/2), coord(base-h), coord(bw), coord(h), strconv.FormatFloat(*bar.Value, 'g', -1, 64))
			fmt.Fprintf(&b, `<text class="value" x="%s" y="%s" text-anchor="middle">%s</text>`, coord(cx), coord(base-h-6), esc(chartNumber(*bar.Value)))
		}
		fmt.Fprintf(&b, `<text class="label" x="%s" y="%s" text-anchor="middle">%s</text>`, coord(cx), coord(base+18), esc(bar.Label))
		b.WriteString(`</g>`)
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`, coord(vAxisWidth), coord(vTop), coord(vAxisWidth), coord(base))
	fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`, coord(vAxisWidth), coord(base), coord(vAxisWidth+plotW), coord(base))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
