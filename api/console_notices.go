package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qinqing/model"
)

// The console's 通知 page (docs/design.md#notices): the account's own
// notices, newest first, unread ones marked, each linking to the page of
// what it is about; one button marks them all read. Showing the page reads
// nothing: a notice stays unread until marked.

type noticeRow struct {
	Kind, Title, Body, At, Link string
	Unread                      bool
}

type noticesData struct {
	Rows   []noticeRow
	Unread int64
	Next   string
}

// noticePage is the console page of what a notice is about ("" when the
// console has none).
func noticePage(kind, id string) string {
	switch kind {
	case model.ObjectRequest:
		return "/requests/" + id
	case model.ObjectLead:
		return "/leads/" + id
	case model.ObjectIndexPeriod, model.ObjectRectificationList:
		return "/index"
	}
	return ""
}

func (cs *console) noticesPage(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "notice", "read"); err != nil {
		return err
	}
	noStore(c)
	q, page := cs.adminList(c)
	if err := q.err(); err != nil {
		return err
	}
	items, next, unread, err := cs.s.store.ListNotices(c.Request.Context(), p.account.ID, false, page)
	if err != nil {
		return err
	}
	d := noticesData{Unread: unread, Next: nextURL(c, "/notices", next)}
	for i := range items {
		n := &items[i]
		d.Rows = append(d.Rows, noticeRow{Kind: noticeKindLabels[n.Kind], Title: n.Title, Body: n.Body, At: cs.datetime(n.CreatedAt),
			Link: noticePage(n.ObjectKind, n.ObjectID), Unread: n.ReadAt == nil})
	}
	pg := cs.newPage(c, "通知")
	pg.Data = d
	cs.render(c, http.StatusOK, "notices", pg)
	return nil
}

// noticesReadAll marks every notice of the account read.
func (cs *console) noticesReadAll(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, "notice", "mark_read"); err != nil {
		return err
	}
	if _, err := cs.s.store.MarkAllNoticesRead(c.Request.Context(), p.account.ID); err != nil {
		return err
	}
	redirect(c, "/notices?done=notices_read")
	return nil
}
