package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// postFile sends an action form of a case page with one file, as a browser
// sends a form with enctype multipart/form-data.
func (cc *consoleClient) postFile(path string, fields map[string]string, name string, content []byte) *page {
	cc.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("csrf", cc.csrf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", cc.ts.url+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := cc.hc.Do(req)
	if err != nil {
		cc.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &page{status: res.StatusCode, header: res.Header, body: string(body)}
}

// TestConsoleAttachments: the unit answers with a file from the request's
// page; the timeline links it, and it downloads for whoever sees the request.
func TestConsoleAttachments(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		id := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", id, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id, "claim", nil).want(http.StatusOK)

		dept := ts.consoleAs(t, "dept_hs_scjg")
		form := dept.get("/requests/"+id).want(t, http.StatusOK)
		form.wantText(t, `enctype="multipart/form-data"`, `type="file" name="file"`)
		dept.postFile("/requests/"+id, map[string]string{"action": "respond", "response": "已办结，见答复函。", "expected_version": "3"},
			"答复函.pdf", fxPDF()).wantRedirect(t, "/requests/"+id+"?done=respond")

		ent := ts.consoleAs(t, "ent_hs")
		pg := ent.get("/requests/"+id).want(t, http.StatusOK)
		m := regexp.MustCompile(`href="(/files/[0-9a-f]{32})" download>答复函.pdf<`).FindStringSubmatch(pg.body)
		if m == nil {
			t.Fatalf("the enterprise's page does not link the answer's file")
		}
		res := ent.get(m[1]).want(t, http.StatusOK)
		if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || res.body != string(fxPDF()) {
			t.Errorf("download: %q, %d bytes", cd, len(res.body))
		}
		ts.consoleAs(t, "dept_hs_sw").get(m[1]).want(t, http.StatusNotFound)

		// A file of a type not taken is refused and the request not answered.
		id2 := ts.fileRequest(t, "ent_hs", "")["id"].(string)
		ts.act(t, "acfic_hs", id2, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", id2, "claim", nil).want(http.StatusOK)
		dept.get("/requests/" + id2)
		res = dept.postFile("/requests/"+id2, map[string]string{"action": "respond", "response": "见附件。", "expected_version": "3"},
			"脚本.html", []byte("<html><script>alert(1)</script></html>"))
		if res.status != http.StatusUnsupportedMediaType {
			t.Errorf("an HTML upload answered %d", res.status)
		}
		if st := ts.as(t, "acfic_hs", "GET", reqPath(id2), nil).want(http.StatusOK).obj()["status"]; st != "in_progress" {
			t.Errorf("the request after a refused upload: %v", st)
		}
	})
}

// TestConsoleFilingWithFile: an enterprise files a request with its 营业执照
// attached from the filing form.
func TestConsoleFilingWithFile(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ent := ts.consoleAs(t, "ent_hs")
		ent.get("/requests/new").want(t, http.StatusOK).wantText(t, `enctype="multipart/form-data"`, `type="file" name="file"`)
		res := ent.postFile("/requests", map[string]string{"title": "许可证延续", "content": "营业执照见附件。", "category": "approval", "key": "k1"},
			"营业执照.pdf", fxPDF())
		if res.status != http.StatusSeeOther {
			t.Fatalf("filing with a file: %d %.300s", res.status, res.body)
		}
		loc := res.header.Get("Location")
		id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/requests/")
		ev := ts.as(t, "ent_hs", "GET", reqPath(id, "/events"), nil).want(http.StatusOK).obj()["items"].([]any)
		files, _ := ev[0].(map[string]any)["payload"].(map[string]any)["files"].([]any)
		if len(files) != 1 || files[0].(map[string]any)["name"] != "营业执照.pdf" {
			t.Errorf("the create event's files: %v", ev[0])
		}
		ent.get(loc).want(t, http.StatusOK).wantText(t, "营业执照.pdf")
	})
}

// TestConsoleReportWithFile: an enterprise's lead report carries an
// evidence file, which only inspectors find on the lead.
func TestConsoleReportWithFile(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ent := ts.consoleAs(t, "ent_hs")
		ent.get("/leads/new").want(t, http.StatusOK).wantText(t, `enctype="multipart/form-data"`, "证据文件")
		res := ent.postFile("/leads", map[string]string{"content": "审批窗口工作人员暗示需要请客才能加快办理。", "region_code": "330203",
			"subject_name": "某审批窗口工作人员"}, "聊天记录.png", fxPNG(t))
		if res.status != http.StatusSeeOther {
			t.Fatalf("reporting with a file: %d %.300s", res.status, res.body)
		}
		ids := qaIDs(t, ts.as(t, "insp_hs", "GET", "/api/v1/leads", nil).want(http.StatusOK))
		if len(ids) != 1 {
			t.Fatalf("the inspector lists %v", ids)
		}
		l := ts.as(t, "insp_hs", "GET", "/api/v1/leads/"+ids[0], nil).want(http.StatusOK).obj()
		files, _ := l["evidence_files"].([]any)
		if len(files) != 1 || files[0].(map[string]any)["name"] != "聊天记录.png" {
			t.Errorf("the lead's evidence files: %v", l["evidence_files"])
		}
	})
}
