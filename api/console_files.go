package api

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qinqing/workflow"
)

// Attachments on the console (docs/design.md#attachments): an action form
// whose action takes file_ids has a file input and is sent as
// multipart/form-data; the file is received as POST /api/v1/files would
// receive it and named in the action's file_ids. Downloads are GET
// /files/{id}, the API's download under the session.

// consoleUpload reports whether r is a filing form or an action form of a
// case page sent with a file: those may be as large as an upload.
func consoleUpload(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return false
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	return len(parts) <= 2 && (parts[0] == "requests" || parts[0] == "leads")
}

// attachUpload receives the form's file, when it sent one, and names it in
// cmd's file_ids.
func (cs *console) attachUpload(c *gin.Context, p *principal, cmd *workflow.Command) error {
	if c.Request.MultipartForm == nil {
		return nil
	}
	fh, err := c.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) || (err == nil && fh.Size == 0 && fh.Filename == "") {
		return nil
	}
	if err != nil {
		return workflow.Invalid("file_ids", "附件读取失败，请重新选择文件")
	}
	if err := cs.s.mayEver(p, "file", "upload"); err != nil {
		return err
	}
	r, err := fh.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := cs.s.receiveFile(c.Request.Context(), p, fh.Filename, r)
	if err != nil {
		return err
	}
	cmd.FileIDs = append(cmd.FileIDs, f.ID)
	cmd.Present = append(cmd.Present, "file_ids")
	return nil
}
