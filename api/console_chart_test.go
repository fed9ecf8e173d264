package api

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Structural tests of the SVG charts: a chart is well-formed XML with its
// title and description, the bars' lengths are proportional to their
// values on one axis, and a missing value is drawn as missing (no bar, the
// words 无数据), which a value of 0 is not.

// svgNode is an element of a parsed chart.
type svgNode struct {
	Name string
	Attr map[string]string
	Text string
	Kids []*svgNode
}

// parseSVG parses s as XML (failing the test when it is not well formed)
// and returns its root.
func parseSVG(t *testing.T, s string) *svgNode {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var stack []*svgNode
	var root *svgNode
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v\n%s", err, s)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			n := &svgNode{Name: x.Name.Local, Attr: map[string]string{}}
			for _, a := range x.Attr {
				n.Attr[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			} else if root == nil {
				root = n
			} else {
				t.Fatal("the chart has more than one root element")
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(x)
			}
		}
	}
	if root == nil {
		t.Fatal("empty chart")
	}
	return root
}

// all returns the nodes below n (n included) that match.
func (n *svgNode) all(match func(*svgNode) bool) []*svgNode {
	var out []*svgNode
	if match(n) {
		out = append(out, n)
	}
	for _, k := range n.Kids {
		out = append(out, k.all(match)...)
	}
	return out
}

func hasClass(n *svgNode, class string) bool {
	for _, c := range strings.Fields(n.Attr["class"]) {
		if c == class {
			return true
		}
	}
	return false
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

func fp(v float64) *float64 { return &v }

func TestChartSVG(t *testing.T) {
	for _, horizontal := range []bool{true, false} {
		name := "vertical"
		if horizontal {
			name = "horizontal"
		}
		t.Run(name, func(t *testing.T) {
			c := barChart{ID: "c1", Title: "按期办结率 <海曙> & “鄞州”", Desc: "各区划的按期办结率", Unit: "%", Horizontal: horizontal,
				Bars: []chartBar{
					{Label: "海曙区", Value: fp(80), Note: "8 / 10"},
					{Label: "鄞州区", Value: fp(40)},
					{Label: "江北区"}, // missing
					{Label: "北仑区", Value: fp(0)},
					{Label: "宁波市（合计）", Value: fp(20), Total: true},
				}}
			root := parseSVG(t, string(c.SVG()))
			if root.Name != "svg" || root.Attr["role"] != "img" || root.Attr["aria-labelledby"] != "c1-t c1-d" {
				t.Errorf("root <%s %v>: want <svg role=img aria-labelledby=…>", root.Name, root.Attr)
			}
			if len(root.Kids) < 2 || root.Kids[0].Name != "title" || root.Kids[1].Name != "desc" {
				t.Fatalf("the chart does not open with <title> and <desc>")
			}
			if got := root.Kids[0].Text; got != c.Title || root.Kids[0].Attr["id"] != "c1-t" {
				t.Errorf("title %q (id %s), want %q", got, root.Kids[0].Attr["id"], c.Title)
			}

			// One group per bar, in order, each with its tooltip and label.
			groups := root.all(func(n *svgNode) bool { return n.Name == "g" })
			if len(groups) != len(c.Bars) {
				t.Fatalf("%d bar groups, want %d", len(groups), len(c.Bars))
			}
			size := "height"
			if horizontal {
				size = "width"
			}
			ratio := 0.0
			for i, g := range groups {
				bar := c.Bars[i]
				titles := g.all(func(n *svgNode) bool { return n.Name == "title" })
				if len(titles) != 1 || !strings.HasPrefix(titles[0].Text, bar.Label+"：") {
					t.Errorf("bar %d: tooltip %v, want one starting with %s：", i, titles, bar.Label)
				}
				labels := g.all(func(n *svgNode) bool { return hasClass(n, "label") })
				if len(labels) != 1 || labels[0].Text != bar.Label {
					t.Errorf("bar %d: label %v, want %q", i, labels, bar.Label)
				}
				rects := g.all(func(n *svgNode) bool { return hasClass(n, "bar") })
				if bar.Value == nil {
					if len(rects) != 0 {
						t.Errorf("missing %s is drawn as a bar: %v", bar.Label, rects[0].Attr)
					}
					if len(g.all(func(n *svgNode) bool { return hasClass(n, "missing") })) != 1 ||
						len(g.all(func(n *svgNode) bool { return n.Text == "无数据" })) != 1 {
						t.Errorf("missing %s is not marked 无数据", bar.Label)
					}
					if !strings.Contains(titles[0].Text, "无数据") {
						t.Errorf("the tooltip of missing %s says %q", bar.Label, titles[0].Text)
					}
					continue
				}
				if len(rects) != 1 {
					t.Fatalf("%s: %d bars, want 1", bar.Label, len(rects))
				}
				if hasClass(rects[0], "total") != bar.Total {
					t.Errorf("%s: class %q", bar.Label, rects[0].Attr["class"])
				}
				if len(g.all(func(n *svgNode) bool { return hasClass(n, "missing") })) != 0 {
					t.Errorf("%s (a value of %v) is marked missing", bar.Label, *bar.Value)
				}
				if v := num(t, rects[0].Attr["data-value"]); v != *bar.Value {
					t.Errorf("%s: data-value %v, want %v", bar.Label, v, *bar.Value)
				}
				l := num(t, rects[0].Attr[size])
				if *bar.Value == 0 {
					if l != 0 {
						t.Errorf("%s: a 0 drawn %v long", bar.Label, l)
					}
					continue
				}
				if ratio == 0 {
					ratio = l / *bar.Value
				} else if math.Abs(l / *bar.Value - ratio) > 0.01 {
					t.Errorf("%s: %s %v for %v, not proportional (%.3f per unit elsewhere)", bar.Label, size, l, *bar.Value, ratio)
				}
			}
			// A percentage axis runs to 100: the 80 bar is 0.8 of it.
			ticks := root.all(func(n *svgNode) bool { return hasClass(n, "tick") })
			if !slices.ContainsFunc(ticks, func(n *svgNode) bool { return n.Text == "100" }) {
				t.Errorf("the axis does not end at 100")
			}
			if strings.Contains(string(c.SVG()), "style=") {
				t.Error("the chart carries a style attribute, which the pages' CSP forbids")
			}
		})
	}
}

// TestChartAxis: percentages run to 100; other units to a round number at
// or above the largest value; nothing but missing values still draws.
func TestChartAxis(t *testing.T) {
	for _, c := range []struct {
		unit string
		vals []*float64
		want float64
	}{
		{"%", []*float64{fp(37.5), nil}, 100},
		{"工作小时", []*float64{fp(3.7), fp(1)}, 5},
		{"工作小时", []*float64{fp(12)}, 20},
		{"工作小时", []*float64{fp(180.7)}, 200},
		{"工作小时", []*float64{fp(0.3)}, 0.5},
		{"工作小时", []*float64{nil, nil}, 1},
	} {
		var bars []chartBar
		for _, v := range c.vals {
			bars = append(bars, chartBar{Label: "x", Value: v})
		}
		if got := axisMax(c.unit, bars); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("axisMax(%s, %v) = %v, want %v", c.unit, c.vals, got, c.want)
		}
		root := parseSVG(t, string(barChart{ID: "a", Title: "t", Unit: c.unit, Bars: bars}.SVG()))
		for _, r := range root.all(func(n *svgNode) bool { return hasClass(n, "bar") }) {
			if h := num(t, r.Attr["height"]); h < 0 || h > vHeight-vTop-vBottom+0.1 {
				t.Errorf("%s %v: a bar %v high leaves the plot", c.unit, c.vals, h)
			}
		}
	}
	// Ticks fall on round numbers.
	for max, want := range map[float64][]float64{100: {0, 20, 40, 60, 80, 100}, 250: {0, 50, 100, 150, 200, 250},
		200: {0, 50, 100, 150, 200}, 5: {0, 1, 2, 3, 4, 5}, 0.5: {0, 0.1, 0.2, 0.3, 0.4, 0.5}} {
		got := ticks(max)
		if len(got) != len(want) {
			t.Errorf("ticks(%v) = %v, want %v", max, got, want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-9 {
				t.Errorf("ticks(%v) = %v, want %v", max, got, want)
				break
			}
		}
	}
}
