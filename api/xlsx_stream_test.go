package api

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestXLSXStream: the streamed workbook opens in excelize with its cells as
// written, and a full sheet goes on in the next one, header again.
func TestXLSXStream(t *testing.T) {
	var buf bytes.Buffer
	x, err := newXLSXStream(&buf, "诉求台账", []string{"编号", "标题", "次数", "时间"}, []float64{10, 30, 6, 17})
	if err != nil {
		t.Fatal(err)
	}
	x.maxRows = 4 // the header and three rows a sheet
	beijing := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	for i := range 7 {
		title := "标题 <" + strconv.Itoa(i) + "> & \x01“引号”"
		if err := x.Row([]any{"QH-" + strconv.Itoa(i), title, i, xlsxDate(at.In(beijing)), ""}); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if x.Rows() != 7 {
		t.Errorf("Rows() = %d, want 7", x.Rows())
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"诉求台账", "诉求台账（2）", "诉求台账（3）"}) {
		t.Fatalf("sheets %v", got)
	}
	n := 0
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], []string{"编号", "标题", "次数", "时间"}) {
			t.Errorf("%s header %v", sheet, rows[0])
		}
		for _, r := range rows[1:] {
			want := []string{"QH-" + strconv.Itoa(n), "标题 <" + strconv.Itoa(n) + "> & “引号”", strconv.Itoa(n), "2026-12-01 17:30"}
			if !slices.Equal(r, want) {
				t.Errorf("%s row %v, want %v", sheet, r, want)
			}
			n++
		}
	}
	if n != 7 {
		t.Errorf("%d rows read back, want 7", n)
	}
	if ty, _ := f.GetCellType("诉求台账", "B2"); ty != excelize.CellTypeInlineString {
		t.Errorf("B2 type %v, want an inline string", ty)
	}
	if raw, _ := f.GetCellValue("诉求台账", "C2", excelize.Options{RawCellValue: true}); raw != "0" {
		t.Errorf("C2 %q, want the number 0", raw)
	}
}
