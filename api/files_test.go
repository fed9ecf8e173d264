package api_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/xuri/excelize/v2"

	"qinqing/configs"
)

// Attachments (docs/design.md#attachments) through the API: types by
// content, size, names, download headers, attaching on every route that
// takes file_ids, the hash chain, orphan expiry and the S3 store. Who may
// download what is the matrix of TestAuthzFiles (authz_matrix_test.go).

// upload sends content as the multipart field "file" named name, as user.
func (ts *testServer) upload(t testing.TB, user, name string, content []byte) *response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(content)
	mw.Close()
	return ts.do(t, ts.login(t, user), "POST", "/api/v1/files", body.Bytes(), "Content-Type", mw.FormDataContentType())
}

// uploadID uploads and returns the new file's id.
func (ts *testServer) uploadID(t testing.TB, user, name string, content []byte) string {
	t.Helper()
	return ts.upload(t, user, name, content).want(http.StatusCreated).obj()["id"].(string)
}

// Sample contents of every accepted type, and of some refused ones.
func fxPDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

func fxPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fxJPEG is a JPEG carrying an EXIF segment (GPS and a script-like
// comment) right after its start marker: metadata the service keeps as is.
func fxJPEG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	exif := append([]byte("Exif\x00\x00"), []byte("GPS 29.87N 121.54E <script>alert(1)</script>")...)
	seg := append([]byte{0xFF, 0xE1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	return append(append(append([]byte{}, raw[:2]...), seg...), raw[2:]...)
}

func fxZip(t testing.TB, entries ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><x>%s</x>", name)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func fxOFD(t testing.TB) []byte {
	return fxZip(t, "OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml")
}

func fxDOCX(t testing.TB) []byte {
	return fxZip(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/_rels/document.xml.rels")
}

func fxXLSX(t testing.TB) []byte {
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "整改清单")
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestFileTypesByContent: each accepted type is recognised from its bytes
// whatever the name says, and kept under a name with the right extension;
// other contents answer 415 and keep nothing.
func TestFileTypesByContent(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		accepted := []struct {
			name     string
			content  []byte
			kind     string
			ctype    string
			keptName string
		}{
			{"材料.pdf", fxPDF(), "pdf", "application/pdf", "材料.pdf"},
			{"现场照片.JPEG", fxJPEG(t), "jpg", "image/jpeg", "现场照片.JPEG"},
			{"截图.png", fxPNG(t), "png", "image/png", "截图.png"},
			{"发票.ofd", fxOFD(t), "ofd", "application/ofd", "发票.ofd"},
			{"说明.docx", fxDOCX(t), "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "说明.docx"},
			{"清单.xlsx", fxXLSX(t), "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "清单.xlsx"},
			// the name lies: the content decides, the name gains the true extension
			{"合同.pdf", fxPNG(t), "png", "image/png", "合同.pdf.png"},
			{"report.docx", fxOFD(t), "ofd", "application/ofd", "report.docx.ofd"},
			{`C:\Users\王\桌面\..\invoice.html`, fxPDF(), "pdf", "application/pdf", "invoice.html.pdf"},
			{"", fxPDF(), "pdf", "application/pdf", "附件.pdf"},
		}
		for _, c := range accepted {
			res := ts.upload(t, "ent_hs", c.name, c.content).want(http.StatusCreated)
			v := res.obj()
			if v["kind"] != c.kind || v["content_type"] != c.ctype || v["name"] != c.keptName ||
				v["sha256"] != sha(c.content) || v["size"] != float64(len(c.content)) || v["expires_at"] == nil {
				t.Errorf("upload %q: %v, want kind %s type %s name %q", c.name, v, c.kind, c.ctype, c.keptName)
			}
			if res.header.Get("Location") != "/api/v1/files/"+v["id"].(string) {
				t.Errorf("Location %q", res.header.Get("Location"))
			}
		}
		refused := []struct {
			name    string
			content []byte
		}{
			{"a.pdf", []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")},
			{"a.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
			{"a.png", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")},
			{"a.docx", fxZip(t, "readme.txt")},                                         // a zip of nothing we know
			{"a.docx", fxZip(t, "word/document.xml")},                                  // no [Content_Types].xml
			{"a.ofd", fxZip(t, "OFD.xml", "[Content_Types].xml", "word/document.xml")}, // two formats at once
			{"a.exe", append([]byte("MZ\x90\x00"), make([]byte, 200)...)},
			{"a.txt", []byte("纯文本")},
		}
		for _, c := range refused {
			p := ts.upload(t, "ent_hs", c.name, c.content).wantProblem(http.StatusUnsupportedMediaType, "unsupported_media_type")
			if !strings.Contains(p.Detail, "按文件内容识别") {
				t.Errorf("upload %q: detail %q", c.name, p.Detail)
			}
		}
		var n int64
		ts.db.Table("files").Count(&n)
		if n != int64(len(accepted)) {
			t.Errorf("%d files kept, want %d (refused uploads keep nothing)", n, len(accepted))
		}
		// Not multipart, no file, an empty file, two files.
		ts.as(t, "ent_hs", "POST", "/api/v1/files", map[string]any{"file": "x"}).wantProblem(http.StatusUnsupportedMediaType, "unsupported_media_type")
		ts.upload(t, "ent_hs", "empty.pdf", nil).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "file")
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for range 2 {
			w, _ := mw.CreateFormFile("file", "a.pdf")
			w.Write(fxPDF())
		}
		mw.Close()
		ts.do(t, ts.login(t, "ent_hs"), "POST", "/api/v1/files", body.Bytes(), "Content-Type", mw.FormDataContentType()).
			wantProblem(http.StatusBadRequest, "validation_failed")
		body.Reset()
		mw = multipart.NewWriter(&body)
		mw.WriteField("note", "x")
		mw.Close()
		ts.do(t, ts.login(t, "ent_hs"), "POST", "/api/v1/files", body.Bytes(), "Content-Type", mw.FormDataContentType()).
			wantProblem(http.StatusBadRequest, "validation_failed")
	})
}

// TestFileSizeLimit: the configured limit holds, whether the body says its
// length or streams; the default is 20 MiB.
func TestFileSizeLimit(t *testing.T) {
	t.Parallel()
	cfg, err := configs.Load("", func(string) (string, bool) { return "", false })
	if err != nil || cfg.Files.MaxSize != 20<<20 || cfg.Files.OrphanTTL != 24*time.Hour {
		t.Fatalf("defaults: %+v %v", cfg.Files, err)
	}
	eachDBWith(t, func(c *configs.Config) { c.Files.MaxSize = 4 << 10 }, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		big := append(fxPDF(), bytes.Repeat([]byte(" "), 4<<10)...)
		p := ts.upload(t, "ent_hs", "big.pdf", big).wantProblem(http.StatusRequestEntityTooLarge, "payload_too_large")
		if !strings.Contains(p.Detail, "4 KiB") {
			t.Errorf("detail %q does not name the limit", p.Detail)
		}
		exact := append(fxPDF(), bytes.Repeat([]byte(" "), 4<<10-len(fxPDF()))...)
		ts.upload(t, "ent_hs", "exact.pdf", exact).want(http.StatusCreated)
		// A body far over the limit is refused by its declared length.
		huge := append(fxPDF(), bytes.Repeat([]byte(" "), 200<<10)...)
		ts.upload(t, "ent_hs", "huge.pdf", huge).wantProblem(http.StatusRequestEntityTooLarge, "payload_too_large")
		var n int64
		ts.db.Table("files").Count(&n)
		if n != 1 {
			t.Errorf("%d files kept, want 1", n)
		}
	})
}

// download fetches file id as user.
func (ts *testServer) download(t testing.TB, user, id string) *response {
	t.Helper()
	return ts.as(t, user, "GET", "/api/v1/files/"+id, nil)
}

// TestFileDownloadHeaders: a download is always an attachment of the
// recognised type with nosniff and a sandboxing CSP, byte for byte what was
// uploaded (image metadata included), with its SHA-256; a name with CJK
// and quotes is encoded, never breaks the header.
func TestFileDownloadHeaders(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		jpg := fxJPEG(t)
		id := ts.uploadID(t, "ent_hs", `现场"照片"; x.jpg`, jpg)
		res := ts.download(t, "ent_hs", id).want(http.StatusOK)
		if !bytes.Equal(res.body, jpg) {
			t.Fatalf("downloaded %d bytes differ from the %d uploaded", len(res.body), len(jpg))
		}
		if !bytes.Contains(res.body, []byte("GPS 29.87N")) {
			t.Error("the EXIF segment was not kept")
		}
		h := res.header
		if h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("headers %v", h)
		}
		disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != `现场照片; x.jpg` {
			t.Errorf("Content-Disposition %q: %s %v %v", h.Get("Content-Disposition"), disp, params, err)
		}
		sum := sha256.Sum256(jpg)
		if want := "sha-256=:" + b64(sum[:]) + ":"; h.Get("Repr-Digest") != want {
			t.Errorf("Repr-Digest %q, want %q", h.Get("Repr-Digest"), want)
		}
		// A PDF goes out as a PDF attachment too, never inline.
		pid := ts.uploadID(t, "ent_hs", "a.pdf", fxPDF())
		res = ts.download(t, "ent_hs", pid).want(http.StatusOK)
		if res.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("pdf headers %v", res.header)
		}
		// Ids that are not ids.
		for _, bad := range []string{"x", strings.Repeat("A", 32), strings.Repeat("0", 32), "..%2f..%2fetc"} {
			ts.download(t, "ent_hs", bad).wantProblem(http.StatusNotFound, "not_found")
		}
	})
}

func b64(b []byte) string {
	out, _ := json.Marshal(b) // base64 std with padding, quoted
	return strings.Trim(string(out), `"`)
}

// fileRefs returns the files the event of action in the timeline records.
func fileRefs(t testing.TB, ts *testServer, user, path, action string) []map[string]any {
	t.Helper()
	var v struct {
		Items []struct {
			Action  string         `json:"action"`
			Payload map[string]any `json:"payload"`
		} `json:"items"`
	}
	ts.as(t, user, "GET", path+"/events?page_size=100", nil).want(http.StatusOK).decode(&v)
	var out []map[string]any
	for _, e := range v.Items {
		if e.Action != action {
			continue
		}
		fs, _ := e.Payload["files"].([]any)
		for _, f := range fs {
			out = append(out, f.(map[string]any))
		}
	}
	return out
}

// TestFilesAttachOnEveryRoute: filing, supplement, respond, a lead report
// and complete_rectification take file_ids; the event records each file's
// hash; a file attaches once, only by its uploader, and a refused call
// attaches nothing and changes nothing.
func TestFilesAttachOnEveryRoute(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		pdf, png := fxPDF(), fxPNG(t)
		f1 := ts.uploadID(t, "ent_hs", "营业执照.pdf", pdf)
		f2 := ts.uploadID(t, "ent_hs", "现场.png", png)
		body := map[string]any{"title": "申请办理食品经营许可证延续", "content": "材料见附件。", "category": "approval", "file_ids": []string{f1, f2}}
		r := ts.as(t, "ent_hs", "POST", "/api/v1/requests", body).want(http.StatusCreated).obj()
		rid := r["id"].(string)
		refs := fileRefs(t, ts, "ent_hs", reqPath(rid), "create")
		if len(refs) != 2 || refs[0]["id"] != f1 || refs[0]["sha256"] != sha(pdf) || refs[1]["sha256"] != sha(png) ||
			refs[0]["name"] != "营业执照.pdf" || refs[1]["content_type"] != "image/png" {
			t.Fatalf("filing event files %v", refs)
		}
		// Attached once only: filing again with f1 is refused and files nothing.
		body["file_ids"] = []string{f1}
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", body).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "file_ids")
		// Someone else's upload.
		other := ts.uploadID(t, "ent_yz", "他人.pdf", pdf)
		body["file_ids"] = []string{other}
		ts.as(t, "ent_hs", "POST", "/api/v1/requests", body).wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "file_ids")
		// Malformed lists.
		for _, ids := range []any{[]string{"nope"}, []string{f1, f1}, "f1", make([]string, 11)} {
			body["file_ids"] = ids
			ts.as(t, "ent_hs", "POST", "/api/v1/requests", body).wantProblem(http.StatusBadRequest, "validation_failed")
		}
		var n int64
		ts.db.Table("requests").Count(&n)
		if n != 1 {
			t.Errorf("%d requests after the refused filings, want 1", n)
		}
		// supplement, then respond.
		f3 := ts.uploadID(t, "ent_hs", "补充.docx", fxDOCX(t))
		ts.act(t, "ent_hs", rid, "supplement", map[string]any{"content": "补充材料。", "file_ids": []string{f3}}).want(http.StatusOK)
		// file_ids on an action that does not take it
		f4 := ts.uploadID(t, "ent_hs", "撤回.pdf", pdf)
		ts.act(t, "ent_hs", rid, "withdraw", map[string]any{"file_ids": []string{f4}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "file_ids")
		ts.act(t, "acfic_hs", rid, "assign", map[string]any{"department_code": "scjg", "region_code": "330203"}).want(http.StatusOK)
		ts.act(t, "dept_hs_scjg", rid, "claim", nil).want(http.StatusOK)
		f5 := ts.uploadID(t, "dept_hs_scjg", "答复函.ofd", fxOFD(t))
		// a stale version refuses the action and leaves the file unattached
		ts.act(t, "dept_hs_scjg", rid, "respond", map[string]any{"response": "已办理。", "file_ids": []string{f5}, "expected_version": 1}).
			wantProblem(http.StatusConflict, "conflict")
		ts.act(t, "dept_hs_scjg", rid, "respond", map[string]any{"response": "已办理。", "file_ids": []string{f5}}).want(http.StatusOK)
		if refs := fileRefs(t, ts, "ent_hs", reqPath(rid), "supplement"); len(refs) != 1 || refs[0]["id"] != f3 {
			t.Errorf("supplement files %v", refs)
		}
		if refs := fileRefs(t, ts, "ent_hs", reqPath(rid), "respond"); len(refs) != 1 || refs[0]["id"] != f5 || refs[0]["kind"] != nil {
			t.Errorf("respond files %v", refs)
		}
		// The filer downloads the unit's answer; f4 stayed the uploader's own.
		ts.download(t, "ent_hs", f5).want(http.StatusOK)
		ts.download(t, "ent_hs", f4).want(http.StatusOK)
		ts.download(t, "dept_hs_scjg", f4).wantProblem(http.StatusNotFound, "not_found")

		// A lead report and a rectification report.
		c1 := ts.uploadID(t, "station_hs", "回执.jpg", fxJPEG(t))
		l := ts.fileLead(t, "station_hs", map[string]any{"file_ids": []string{c1}})
		lid := l["id"].(string)
		if refs := fileRefs(t, ts, "insp_hs", leadPath(lid), "report"); len(refs) != 1 || refs[0]["id"] != c1 {
			t.Errorf("report files %v", refs)
		}
		ts.leadAct(t, "insp_hs", lid, "register", nil).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", lid, "investigate", map[string]any{"notes": "核查。"}).want(http.StatusOK)
		ts.leadAct(t, "insp_hs", lid, "decide", ldRectify("talk_reminder", 10)).want(http.StatusOK)
		r1 := ts.uploadID(t, "dept_hs_scjg", "整改报告.xlsx", fxXLSX(t))
		ts.leadAct(t, "dept_hs_scjg", lid, "complete_rectification", map[string]any{"report": "已整改。", "file_ids": []string{r1}}).want(http.StatusOK)
		if refs := fileRefs(t, ts, "insp_hs", leadPath(lid), "complete_rectification"); len(refs) != 1 || refs[0]["id"] != r1 {
			t.Errorf("rectification files %v", refs)
		}
		// The lead's detail lists each group's files with the group: the
		// inspector both, the unit its task's only, the reporter none.
		ids := func(v any) []string {
			var out []string
			list, _ := v.([]any)
			for _, f := range list {
				out = append(out, f.(map[string]any)["id"].(string))
			}
			return out
		}
		insp := ldGet(t, ts, "insp_hs", lid)
		if got := ids(insp["evidence_files"]); len(got) != 1 || got[0] != c1 {
			t.Errorf("inspector's evidence_files %v", insp["evidence_files"])
		}
		if got := ids(insp["rectification"].(map[string]any)["files"]); len(got) != 1 || got[0] != r1 {
			t.Errorf("inspector's rectification files %v", insp["rectification"])
		}
		dept := ldGet(t, ts, "dept_hs_scjg", lid)
		if _, seen := dept["evidence_files"]; seen {
			t.Errorf("the unit sees the report's files: %v", dept["evidence_files"])
		}
		if got := ids(dept["rectification"].(map[string]any)["files"]); len(got) != 1 || got[0] != r1 {
			t.Errorf("the unit's rectification files %v", dept["rectification"])
		}
		if st := ldGet(t, ts, "station_hs", lid); st["evidence_files"] != nil || st["rectification"] != nil {
			t.Errorf("the reporter sees files: %v", st)
		}
		// The chains hold, and cover the hashes: change one recorded hash
		// and the audit names that event.
		ts.as(t, "admin", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK)
		audit := ts.as(t, "admin", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK).obj()
		if audit["ok"] != true {
			t.Fatalf("audit %v", audit)
		}
		if err := ts.db.Exec("UPDATE events SET payload = REPLACE(payload, ?, ?) WHERE case_kind = 'request' AND action = 'respond'",
			sha(fxOFD(t)), strings.Repeat("0", 64)).Error; err != nil {
			t.Fatal(err)
		}
		audit = ts.as(t, "admin", "GET", "/api/v1/audit/verify", nil).want(http.StatusOK).obj()
		first, _ := audit["first_broken"].(map[string]any)
		if audit["ok"] != false || first == nil || first["reason"] != "content_changed" || first["case_kind"] != "request" {
			t.Errorf("audit after changing a file's recorded hash: %v", audit)
		}
	})
}

// TestAnonymousLeadFiles: files of an anonymous report lose their uploader
// and take the report's day, so they cannot name or date the reporter; the
// reporter can no longer fetch them, inspectors can.
func TestAnonymousLeadFiles(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		ts.clock.Advance(5*time.Hour + 17*time.Minute)
		f := ts.uploadID(t, "ent_hs", "照片.png", fxPNG(t))
		ts.download(t, "ent_hs", f).want(http.StatusOK)
		l := ts.fileLead(t, "ent_hs", map[string]any{"anonymous": true, "file_ids": []string{f}})
		if l["receipt"] == nil {
			t.Fatalf("no receipt: %v", l)
		}
		var row struct {
			UploadedBy   *uint64
			UploaderRole string
			CreatedAt    time.Time
			AttachedAt   *time.Time
		}
		ts.db.Table("files").Where("id = ?", f).Take(&row)
		day := time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC) // 2026-11-25 00:00 Beijing
		if row.UploadedBy != nil || row.UploaderRole != "anonymous" || !row.CreatedAt.Equal(day) || row.AttachedAt == nil || !row.AttachedAt.Equal(day) {
			t.Errorf("file row %+v, want no uploader and the report day %s", row, day)
		}
		ts.download(t, "ent_hs", f).wantProblem(http.StatusNotFound, "not_found")
		ts.download(t, "insp_hs", f).want(http.StatusOK)
	})
}

// TestOrphanFilesExpire: an upload never attached within files.orphan_ttl
// (by the store's clock) is deleted, content and all; an attached one, and
// a younger one, stay.
func TestOrphanFilesExpire(t *testing.T) {
	t.Parallel()
	eachDBWith(t, func(c *configs.Config) { c.Files.OrphanTTL = time.Hour }, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		orphan := ts.upload(t, "ent_hs", "孤儿.pdf", fxPDF()).want(http.StatusCreated).obj()
		if exp, _ := time.Parse(time.RFC3339, orphan["expires_at"].(string)); !exp.Equal(ts.clock.Now().Add(time.Hour)) {
			t.Errorf("expires_at %v", orphan["expires_at"])
		}
		kept := ts.uploadID(t, "ent_hs", "保留.pdf", fxPDF())
		r := ts.as(t, "ent_hs", "POST", "/api/v1/requests", map[string]any{"title": "诉求", "content": "内容", "category": "approval",
			"file_ids": []string{kept}}).want(http.StatusCreated).obj()
		ts.clock.Advance(59 * time.Minute)
		young := ts.uploadID(t, "ent_hs", "新.pdf", fxPDF())
		if n, err := ts.store.SweepOrphanFiles(t.Context(), time.Hour); err != nil || n != 0 {
			t.Fatalf("sweep before the hour: %d %v", n, err)
		}
		ts.clock.Advance(2 * time.Minute)
		if n, err := ts.store.SweepOrphanFiles(t.Context(), time.Hour); err != nil || n != 1 {
			t.Fatalf("sweep after the hour: %d %v, want 1", n, err)
		}
		ts.download(t, "ent_hs", orphan["id"].(string)).wantProblem(http.StatusNotFound, "not_found")
		ts.download(t, "ent_hs", young).want(http.StatusOK)
		ts.download(t, "ent_hs", kept).want(http.StatusOK)
		// An expired upload can no longer be attached.
		ts.act(t, "ent_hs", r["id"].(string), "supplement", map[string]any{"content": "补充", "file_ids": []string{orphan["id"].(string)}}).
			wantProblem(http.StatusBadRequest, "validation_failed").wantField(t, "file_ids")
	})
}

// TestFilesOnS3: with an s3:// store the contents go to the bucket (an
// in-process gofakes3) and come back byte for byte; the sweep deletes them
// there too.
func TestFilesOnS3(t *testing.T) {
	t.Parallel()
	backend := s3mem.New()
	if err := backend.CreateBucket("qinqing-files"); err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(fake.Close)
	url := "s3://qinqing-files?region=cn-east-1&endpoint=" + fake.URL + "&use_path_style=true&anonymous=true&disable_https=true"
	eachDBWith(t, func(c *configs.Config) { c.Files.Store = url; c.Files.OrphanTTL = time.Hour }, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		xlsx := fxXLSX(t)
		id := ts.uploadID(t, "dept_hs_scjg", "台账.xlsx", xlsx)
		obj, err := backend.GetObject("qinqing-files", id, nil)
		if err != nil {
			t.Fatalf("object not in the bucket: %v", err)
		}
		stored, _ := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		if !bytes.Equal(stored, xlsx) {
			t.Errorf("bucket holds %d bytes, want the %d uploaded", len(stored), len(xlsx))
		}
		res := ts.download(t, "dept_hs_scjg", id).want(http.StatusOK)
		if !bytes.Equal(res.body, xlsx) || res.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("download: %d bytes, type %q", len(res.body), res.header.Get("Content-Type"))
		}
		ts.clock.Advance(2 * time.Hour)
		if n, err := ts.store.SweepOrphanFiles(t.Context(), time.Hour); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if _, err := backend.GetObject("qinqing-files", id, nil); err == nil {
			t.Error("the swept file is still in the bucket")
		}
	})
}

// TestFileAttachesOnceUnderRace: two supplements naming one upload at once,
// on two requests: one attaches it, the other answers 400 and records no
// file.
func TestFileAttachesOnceUnderRace(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, ts *testServer) {
		ts.seed(t)
		r1 := qaFile(t, ts, "ent_hs", "", "r1")
		r2 := qaFile(t, ts, "ent_hs", "", "r2")
		for round := range 5 {
			f := ts.uploadID(t, "ent_hs", fmt.Sprintf("f%d.pdf", round), fxPDF())
			codes := make(chan int, 2)
			for _, r := range []string{r1, r2} {
				go func() {
					codes <- ts.act(t, "ent_hs", r, "supplement", map[string]any{"content": "补充", "file_ids": []string{f}}).status
				}()
			}
			a, b := <-codes, <-codes
			if min(a, b) != http.StatusOK || max(a, b) != http.StatusBadRequest {
				t.Fatalf("round %d: %d and %d, want one 200 and one 400", round, a, b)
			}
			var events int64
			ts.db.Table("events").Where("action = ? AND payload LIKE ?", "supplement", "%"+f+"%").Count(&events)
			if events != 1 {
				t.Errorf("round %d: %d events record the file, want 1", round, events)
			}
		}
	})
}
