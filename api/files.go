package api

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/policy"
	"qinqing/workflow"
)

// Attachments (docs/design.md#attachments): POST /files takes one file
// (multipart field "file"), recognises its type by its content, keeps it
// with its SHA-256 and answers its id; a filing, a supplement, an answer, a
// lead report or a rectification report names it in file_ids. GET
// /files/{id} serves it to whoever may see the case it belongs to, always
// as a download of its recognised type.

// fileType is one kind of file accepted. Zip containers (OFD, DOCX, XLSX)
// are told apart by the entry that defines each format: OFD (GB/T
// 33190-2016) by its root document OFD.xml, the Office formats by their
// main part. The extensions are the ones a name may keep.
type fileType struct {
	kind, mime string
	exts       []string
	// zipEntry: a zip container holding this entry (with [Content_Types].xml
	// too when office).
	zipEntry string
	office   bool
}

var fileTypes = []fileType{
	{kind: "pdf", mime: "application/pdf", exts: []string{".pdf"}},
	{kind: "jpg", mime: "image/jpeg", exts: []string{".jpg", ".jpeg"}},
	{kind: "png", mime: "image/png", exts: []string{".png"}},
	{kind: "ofd", mime: "application/ofd", exts: []string{".ofd"}, zipEntry: "OFD.xml"},
	{kind: "docx", mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		exts: []string{".docx"}, zipEntry: "word/document.xml", office: true},
	{kind: "xlsx", mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		exts: []string{".xlsx"}, zipEntry: "xl/workbook.xml", office: true},
}

// errUnsupportedFile: the content is none of the accepted types.
var errUnsupportedFile = refuse(errUnsupportedMedia, "仅接受 PDF、JPG、PNG、OFD、DOCX、XLSX 文件（按文件内容识别，与文件名无关）")

// uploadOverhead is what a multipart body may carry beyond the file.
const uploadOverhead = 64 << 10

// sniffFile recognises the type of the content in f (size bytes) by its
// bytes alone: PDF, JPEG and PNG by their signatures (mimetype), a zip
// container by its entries.
func sniffFile(f *os.File, size int64) (fileType, error) {
	head := make([]byte, 3072)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fileType{}, err
	}
	isZip := false
	for mt := mimetype.Detect(head[:n]); mt != nil; mt = mt.Parent() {
		for _, t := range fileTypes {
			if t.zipEntry == "" && mt.Is(t.mime) {
				return t, nil
			}
		}
		isZip = isZip || mt.Is("application/zip")
	}
	if !isZip {
		return fileType{}, errUnsupportedFile
	}
	z, err := zip.NewReader(f, size)
	if err != nil {
		return fileType{}, errUnsupportedFile
	}
	names := map[string]bool{}
	for _, e := range z.File {
		names[e.Name] = true
	}
	var found []fileType
	for _, t := range fileTypes {
		if t.zipEntry != "" && names[t.zipEntry] && (!t.office || names["[Content_Types].xml"]) {
			found = append(found, t)
		}
	}
	if len(found) != 1 {
		return fileType{}, errUnsupportedFile
	}
	return found[0], nil
}

// fileName is the name a file is kept and offered under: the base of what
// the client sent, without control characters, at most 255 bytes, ending
// in an extension of its type (appended when the name has another).
func fileName(raw string, t fileType) string {
	name := raw[strings.LastIndexAny(raw, `/\`)+1:]
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || r == '"' {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" || name == "." || name == ".." {
		name = "附件"
	}
	if !slices.Contains(t.exts, strings.ToLower(path.Ext(name))) {
		name += t.exts[0]
	}
	for len(name) > 255 {
		ext := path.Ext(name)
		base := []rune(strings.TrimSuffix(name, ext))
		name = string(base[:len(base)-1]) + ext
	}
	return name
}

type fileView struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Kind        string  `json:"kind"`
	ContentType string  `json:"content_type"`
	Size        int64   `json:"size"`
	SHA256      string  `json:"sha256"`
	CreatedAt   string  `json:"created_at"`
	ExpiresAt   *string `json:"expires_at"`
}

func (s *Server) fileView(f *model.File) fileView {
	v := fileView{ID: f.ID, Name: f.Name, Kind: f.Kind, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256,
		CreatedAt: s.ts(f.CreatedAt)}
	if f.AttachedAt == nil && s.cfg.Files.OrphanTTL > 0 {
		e := s.ts(f.CreatedAt.Add(s.cfg.Files.OrphanTTL))
		v.ExpiresAt = &e
	}
	return v
}

// uploadFile is POST /files: one multipart part named "file".
func (s *Server) uploadFile(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "file", "upload"); err != nil {
		return err
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return refuse(errUnsupportedMedia, "请求体须为 multipart/form-data，文件放在 file 字段")
	}
	var f *model.File
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return uploadReadError(err, s.cfg.Files.MaxSize)
		}
		if part.FormName() != "file" || f != nil {
			_ = part.Close()
			return workflow.Invalid(part.FormName(), "只接受一个名为 file 的文件字段")
		}
		f, err = s.receiveFile(c.Request.Context(), p, part.FileName(), part)
		_ = part.Close()
		if err != nil {
			return err
		}
	}
	if f == nil {
		return workflow.Invalid("file", "为必填字段")
	}
	c.Header("Location", "/api/v1/files/"+f.ID)
	c.JSON(http.StatusCreated, s.fileView(f))
	return nil
}

// uploadReadError is the answer to a body that could not be read.
func uploadReadError(err error, max int64) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return tooLargeFile(max)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errBodyTimeout
	}
	return workflow.Invalid("file", "multipart 请求体格式不正确")
}

func tooLargeFile(max int64) error {
	return refuse(errTooLarge, "文件超过 "+sizeText(max)+" 上限")
}

// sizeText writes n bytes as people read it (20 MiB, 512 KiB, 100 字节).
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " 字节"
}

// receiveFile spools the content to a temporary file while hashing it,
// recognises its type and keeps it.
func (s *Server) receiveFile(ctx context.Context, p *principal, name string, r io.Reader) (*model.File, error) {
	tmp, err := os.CreateTemp("", "qinqing-upload-*")
	if err != nil {
		return nil, err
	}
	defer func() { _ = tmp.Close(); _ = os.Remove(tmp.Name()) }()
	h := sha256.New()
	max := s.cfg.Files.MaxSize
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, max+1))
	if err != nil {
		return nil, uploadReadError(err, max)
	}
	if n > max {
		return nil, tooLargeFile(max)
	}
	if n == 0 {
		return nil, workflow.Invalid("file", "文件为空")
	}
	t, err := sniffFile(tmp, n)
	if err != nil {
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	uploader := p.account.ID
	f := &model.File{ID: model.NewFileID(), Name: fileName(name, t), Kind: t.kind, ContentType: t.mime, Size: n,
		SHA256: hex.EncodeToString(h.Sum(nil)), UploadedBy: &uploader, UploaderRole: string(p.role())}
	if err := s.store.PutFile(ctx, f, tmp); err != nil {
		return nil, err
	}
	s.log.Info("已接收附件", "file", f.ID, "kind", f.Kind, "size", f.Size)
	return f, nil
}

// leadFileGroup is the field group of a lead (lead_views.go) whose
// visibility a file attached by action follows: the report's files are
// part of its content, a rectification report's of the task.
var leadFileGroup = map[string]string{
	string(workflow.LeadReported):          "lead.content",
	string(workflow.CompleteRectification): "lead.rectification",
}

// visibleFile returns file id when p may download it: an unattached file
// to its uploader only; a request's to whoever may read the request; a
// lead's to whoever may read the lead and the group its file belongs to.
// Anything else is not found (404), like a case out of sight. A lead file
// shown is recorded as a read of the lead first.
func (s *Server) visibleFile(ctx context.Context, p *principal, id string) (*model.File, error) {
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return nil, model.ErrNotFound
	}
	f, err := s.store.FindFile(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.CaseID == nil || f.CaseKind == nil || f.Action == nil {
		if f.UploadedBy == nil || *f.UploadedBy != p.account.ID {
			return nil, model.ErrNotFound
		}
		return f, nil
	}
	caseID := idString(*f.CaseID)
	switch workflow.Kind(*f.CaseKind) {
	case workflow.KindRequest:
		if _, err := s.findRequest(ctx, p, caseID, "read"); err != nil {
			return nil, hideForbidden(err)
		}
		return f, nil
	case workflow.KindLead:
		l, err := s.findLead(ctx, p, caseID, "read")
		if err != nil {
			return nil, hideForbidden(err)
		}
		group, ok := leadFileGroup[*f.Action]
		if !ok || !s.authz.Allowed(p.subject(), "read", policy.Resource{Kind: group, Region: l.RegionCode}) {
			return nil, model.ErrNotFound
		}
		if err := s.store.RecordLeadRead(ctx, p.actor(), l.ID, model.ReadFile); err != nil {
			return nil, err
		}
		return f, nil
	}
	return nil, model.ErrNotFound
}

// hideForbidden answers a case the caller may not read as not found: a
// file's id must not tell whose case it belongs to.
func hideForbidden(err error) error {
	if errors.Is(err, policy.ErrForbidden) || errors.Is(err, model.ErrForbidden) {
		return model.ErrNotFound
	}
	return err
}

// downloadFile is GET /files/{id}: always a download (attachment) of the
// recognised type, never rendered by the browser.
func (s *Server) downloadFile(c *gin.Context) error {
	p := principalOf(c)
	if err := s.mayEver(p, "file", "read"); err != nil {
		return err
	}
	ctx := c.Request.Context()
	f, err := s.visibleFile(ctx, p, c.Param("id"))
	if err != nil {
		return err
	}
	r, err := s.store.OpenFile(ctx, f)
	if err != nil {
		return err
	}
	defer r.Close()
	h := c.Writer.Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if sum, err := hex.DecodeString(f.SHA256); err == nil {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":") // RFC 9530
	}
	c.DataFromReader(http.StatusOK, f.Size, f.ContentType, r, nil)
	return nil
}

// addFileIDErrors adds to v what is wrong with a filing's file_ids (nil:
// none sent).
func addFileIDErrors(v *workflow.ValidationError, ids []string) {
	if ids == nil {
		return
	}
	var ve *workflow.ValidationError
	if errors.As(workflow.ValidateFileIDs(ids), &ve) {
		v.Errors = append(v.Errors, ve.Errors...)
	}
}

// fileRefView is an attached file as a case shows it.
type fileRefView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// fileRefs are the files among fs attached by one of actions, in order.
func fileRefs(fs []model.File, actions []string) []fileRefView {
	out := []fileRefView{}
	for _, f := range fs {
		if f.Action != nil && slices.Contains(actions, *f.Action) {
			out = append(out, fileRefView{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256})
		}
	}
	return out
}

// leadFileActions are the actions whose files belong to a lead's group.
func leadFileActions(group string) []string {
	var out []string
	for a, g := range leadFileGroup {
		if g == group {
			out = append(out, a)
		}
	}
	return out
}
