package workflow

import (
	"strings"
	"testing"
)

// TestValidateFileIDs: file_ids lists at most MaxFiles ids as POST /files
// gives them, none twice; the answer names file_ids.
func TestValidateFileIDs(t *testing.T) {
	id := func(c string) string { return strings.Repeat(c, 32) }
	many := make([]string, MaxFiles+1)
	for i := range many {
		many[i] = strings.Repeat("0", 31) + string("0123456789abcdef"[i%16])
	}
	for _, c := range []struct {
		name string
		ids  []string
		ok   bool
	}{
		{"one", []string{id("a")}, true},
		{"two", []string{id("a"), id("b")}, true},
		{"the most", many[:MaxFiles], true},
		{"none", []string{}, true},
		{"too many", many, false},
		{"twice", []string{id("a"), id("a")}, false},
		{"short", []string{"abc"}, false},
		{"upper case", []string{id("A")}, false},
		{"not hex", []string{id("g")}, false},
	} {
		err := ValidateFileIDs(c.ids)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && err.(*ValidationError).Errors[0].Field != "file_ids" {
			t.Errorf("%s: %v names another field", c.name, err)
		}
	}
}

// TestFileIDsOnlyWhereDesigned: respond, supplement and
// complete_rectification take file_ids, another action refuses it, and the
// ids never reach the payload (the store records the files with hashes).
func TestFileIDsOnlyWhereDesigned(t *testing.T) {
	ids := []string{strings.Repeat("a", 32)}
	c := Command{Action: Supplement, Present: []string{"action", "content", "file_ids"}, Content: "补充", FileIDs: ids}
	tr, _ := Request.Transition(Supplement)
	if err := c.validate(KindRequest, tr); err != nil {
		t.Fatalf("supplement with file_ids: %v", err)
	}
	if p := payload(c, Env{}); p["file_ids"] != nil || p["content"] != "补充" {
		t.Errorf("payload %v", p)
	}
	c = Command{Action: Withdraw, Present: []string{"action", "file_ids"}, FileIDs: ids}
	tr, _ = Request.Transition(Withdraw)
	if err := c.validate(KindRequest, tr); err == nil || err.(*ValidationError).Errors[0].Field != "file_ids" {
		t.Errorf("withdraw with file_ids: %v, want file_ids refused", err)
	}
}
