package model

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// stores (the default: a folder under the data directory)
	_ "gocloud.dev/blob/s3blob"   // s3:// stores (any S3-compatible store, for several instances)
	"gocloud.dev/gcerrors"
	"gorm.io/gorm"

	"qinqing/workflow"
)

// Attachments (docs/design.md#attachments). An upload is a row of files and
// its content in the blob store under the row's id. It is an orphan until
// one event refers to it (a filing, a supplement, an answer, a lead report,
// a rectification report): that event's payload lists the file's id, name,
// size, type and SHA-256, so the hash chain of the case covers the content's
// hash, and the row records the case and the action. An orphan older than
// the configured time is deleted (SweepOrphanFiles, run by the scanner).

// File is one uploaded attachment.
type File struct {
	// ID is random (32 hex digits): ids say nothing of order or number.
	ID          string `gorm:"primaryKey;size:32"`
	Name        string `gorm:"size:255;not null"`
	Kind        string `gorm:"size:8;not null"`
	ContentType string `gorm:"size:128;not null"`
	Size        int64  `gorm:"not null"`
	SHA256      string `gorm:"column:sha256;size:64;not null"`
	// UploadedBy is the uploading account; nil once the file is attached to
	// an anonymous lead (its uploader would name the reporter).
	UploadedBy   *uint64   ``
	UploaderRole string    `gorm:"size:16;not null"`
	CreatedAt    time.Time `gorm:"not null;index:idx_files_orphans,priority:2"`
	// The case and the action of the event that attached it (nil: orphan).
	CaseKind   *string    `gorm:"size:8"`
	CaseID     *uint64    `gorm:"index:idx_files_case"`
	Action     *string    `gorm:"size:32"`
	AttachedAt *time.Time `gorm:"index:idx_files_orphans,priority:1"`
}

// MaxFilesPerEvent bounds file_ids on one filing or action.
const MaxFilesPerEvent = workflow.MaxFiles

// ErrNoFileStore: the store was built without a blob store.
var ErrNoFileStore = errors.New("model: no attachment store configured")

// FileRef is a file as the event that attaches it records it.
type FileRef struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// NewFileID returns a fresh file id.
func NewFileID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// OpenBlobs opens the attachments' store at url (a gocloud.dev/blob URL).
func OpenBlobs(ctx context.Context, url string) (*blob.Bucket, error) {
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open attachment store: %w", err)
	}
	return b, nil
}

// SetBlobs makes b the store's attachment store; the store closes it.
func (s *Store) SetBlobs(b *blob.Bucket) { s.blobs = b }

// PutFile keeps the content read from r under f.ID and then records f. A
// row that cannot be written takes its content with it.
func (s *Store) PutFile(ctx context.Context, f *File, r io.Reader) error {
	if s.blobs == nil {
		return ErrNoFileStore
	}
	if err := s.blobs.Upload(ctx, f.ID, r, &blob.WriterOptions{ContentType: f.ContentType}); err != nil {
		return fmt.Errorf("store attachment: %w", err)
	}
	f.CreatedAt = s.Now()
	err := s.inTx(ctx, func(tx *gorm.DB) error { return tx.Create(f).Error })
	if err != nil {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), f.ID)
	}
	return err
}

// FindFile returns the file with id, or ErrNotFound. Who may see it is the
// caller's business (api/files.go).
func (s *Store) FindFile(ctx context.Context, id string) (*File, error) {
	var f File
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&f).Error; err != nil {
		return nil, formatError(err)
	}
	return &f, nil
}

// OpenFile opens the content of f.
func (s *Store) OpenFile(ctx context.Context, f *File) (io.ReadCloser, error) {
	if s.blobs == nil {
		return nil, ErrNoFileStore
	}
	r, err := s.blobs.NewReader(ctx, f.ID, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrNotFound
	}
	return r, err
}

// attachFiles attaches the files ids, uploaded by actor and not attached
// yet, to case (kind, id) by the event of action at at, and returns them as
// the event records them, in the order given. A file that is unknown,
// expired, attached already or someone else's is a field error of
// file_ids. For an anonymous lead the files lose their uploader and take
// the report's time.
func attachFiles(tx *gorm.DB, actor Actor, kind workflow.Kind, id uint64, action string, ids []string, anonymous bool, at time.Time) ([]FileRef, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	bad := workflow.Invalid("file_ids", "文件不存在、已过期、已被引用或不是本账号上传的")
	upd := map[string]any{"case_kind": string(kind), "case_id": id, "action": action, "attached_at": at}
	if anonymous {
		upd["uploaded_by"], upd["uploader_role"], upd["created_at"] = nil, AnonymousRole, at
	}
	res := tx.Model(&File{}).Where("id IN ? AND attached_at IS NULL AND uploaded_by = ?", ids, actor.AccountID).Updates(upd)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != int64(len(ids)) {
		return nil, bad
	}
	var rows []File
	if err := tx.Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	refs := make([]FileRef, 0, len(ids))
	for _, want := range ids {
		i := slices.IndexFunc(rows, func(f File) bool { return f.ID == want })
		if i < 0 {
			return nil, bad
		}
		f := rows[i]
		refs = append(refs, FileRef{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256})
	}
	return refs, nil
}

// filesPayload is the event payload p with the attached files (p itself
// when there are none).
func filesPayload(p map[string]any, refs []FileRef) map[string]any {
	if len(refs) == 0 {
		return p
	}
	if p == nil {
		p = map[string]any{}
	}
	p["files"] = refs
	return p
}

// CaseFiles lists the files attached to case (kind, id), oldest first.
func (s *Store) CaseFiles(ctx context.Context, kind workflow.Kind, id uint64) ([]File, error) {
	var out []File
	err := s.db.WithContext(ctx).Where("case_id = ? AND case_kind = ?", id, string(kind)).
		Order("attached_at, id").Find(&out).Error
	return out, formatError(err)
}

// sweepBatch is how many orphans one sweep statement deletes.
const sweepBatch = 500

// SweepOrphanFiles deletes the uploads never attached within ttl of their
// upload (by the store's clock): the rows first, in one conditional
// statement (a file attached meanwhile stays), then the contents of the
// rows that went. It returns how many it deleted. A content whose deletion
// fails stays in the store without a row; nothing can reach it.
func (s *Store) SweepOrphanFiles(ctx context.Context, ttl time.Duration) (int, error) {
	if ttl <= 0 {
		return 0, nil
	}
	cutoff := s.Now().Add(-ttl)
	total := 0
	for {
		var ids []string
		if err := s.db.WithContext(ctx).Model(&File{}).Where("attached_at IS NULL AND created_at < ?", cutoff).
			Order("created_at").Limit(sweepBatch).Pluck("id", &ids).Error; err != nil {
			return total, formatError(err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		var kept []string
		err := s.inTx(ctx, func(tx *gorm.DB) error {
			kept = nil
			if err := tx.Where("id IN ? AND attached_at IS NULL", ids).Delete(&File{}).Error; err != nil {
				return err
			}
			return tx.Model(&File{}).Where("id IN ?", ids).Pluck("id", &kept).Error
		})
		if err != nil {
			return total, err
		}
		for _, id := range ids {
			if slices.Contains(kept, id) {
				continue
			}
			total++
			if s.blobs != nil {
				if err := s.blobs.Delete(ctx, id); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
					return total, fmt.Errorf("delete attachment %s: %w", id, err)
				}
			}
		}
		if len(ids) < sweepBatch {
			return total, nil
		}
	}
}
