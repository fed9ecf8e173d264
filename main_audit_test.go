package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"qinqing/configs"
	"qinqing/model"
)

// TestAuditVerifyCommand: `qinqing audit verify` walks the chains of the
// configured database, prints the report, and fails naming the event that
// was edited behind the service's back.
func TestAuditVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"QINQING_ADDR": "127.0.0.1:0", "QINQING_DATA_DIR": dir,
		"QINQING_ADMIN_PASSWORD": "first-start-pass", "QINQING_RATE_LIMIT": "0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	base, stop := startProgram(t, env)
	c := &client{t: t, base: base}
	admin := c.login("admin", "first-start-pass")
	ent := c.call(admin, "POST", "/enterprises", `{"uscc":"91330203MA2J8K7Q3Q","name":"宁波甬兴机械有限公司","region_code":"330203","contact_name":"王海","contact_phone":"0574-87000001"}`, 201)["id"]
	c.call(admin, "POST", "/users", `{"username":"yongxing","password":"yongxing-2026","role":"enterprise","region_code":"330203","enterprise_id":"`+ent.(string)+`"}`, 201)
	e := c.login("yongxing", "yongxing-2026")
	for range 3 {
		c.call(e, "POST", "/requests", `{"title":"厂房消防验收","content":"请协调消防验收时间","category":"approval"}`, 201)
	}
	id := c.call(e, "POST", "/requests", `{"title":"撤回的诉求","content":"c","category":"approval"}`, 201)["id"].(string)
	c.call(e, "POST", "/requests/"+id+"/transitions", `{"action":"withdraw","reason":"已自行解决"}`, 200)
	stop()

	verify := func() (map[string]any, error) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"audit", "verify"}, lookup, &out, nil)
		var rep map[string]any
		if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
			t.Fatalf("output %q: %v", out.String(), jerr)
		}
		return rep, err
	}
	rep, err := verify()
	if err != nil || rep["ok"] != true || rep["events_checked"] != float64(5) || rep["cases_checked"] != float64(4) {
		t.Fatalf("audit verify on an untouched database: %v %v", rep, err)
	}

	cfg, err := configs.Load("", lookup)
	if err != nil {
		t.Fatal(err)
	}
	db, err := model.Open(cfg.DB.Driver, cfg.DB.DSN, model.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var last model.Event
	if err := db.Order("id DESC").Take(&last).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("UPDATE events SET payload = ? WHERE id = ?", `{"reason":"改写"}`, last.ID).Error; err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.Close()
	rep, err = verify()
	fb, _ := rep["first_broken"].(map[string]any)
	if err == nil || !strings.Contains(err.Error(), "content_changed") || rep["ok"] != false ||
		fb["event_id"] != idString(last.ID) || fb["case_id"] != id {
		t.Fatalf("audit verify after editing event %d: %v %v", last.ID, rep, err)
	}
	if err := run(context.Background(), []string{"audit", "nothing"}, lookup, &bytes.Buffer{}, nil); err == nil {
		t.Error("audit with an unknown subcommand succeeded")
	}
}

func idString(id uint64) string { return strconv.FormatUint(id, 10) }
