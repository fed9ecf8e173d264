package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"qinqing/model"
	"qinqing/workflow"
)

// The console's list of 政企协商会 (docs/design.md#consultations): the
// meetings the account sees, with their agenda's deadline and what became
// of the issues raised at them. Planning and the steps are the API's.

type meetingRow struct {
	RefNo, Theme, Region, Day, Status, AgendaDue, Issues, Rates string
	Agenda                                                      string
	Items                                                       []string
}

type meetingsData struct {
	Rows []meetingRow
	Next string
}

func (cs *console) consultationsPage(c *gin.Context) error {
	p := principalOf(c)
	if err := cs.s.mayEver(p, meetingKind(p), "list"); err != nil {
		return err
	}
	q, page := cs.adminList(c)
	if err := q.err(); err != nil {
		return err
	}
	ctx := c.Request.Context()
	ms, next, err := cs.s.store.ListConsultations(ctx, p.scope, model.ConsultationFilter{Page: page})
	if err != nil {
		return err
	}
	d := meetingsData{Next: nextURL(c, "/consultations", next)}
	for i := range ms {
		m := &ms[i]
		v, err := cs.s.consultationDetail(ctx, m)
		if err != nil {
			return err
		}
		row := meetingRow{RefNo: v.RefNo, Theme: m.Theme, Region: cs.regionName(m.RegionCode), Day: v.HeldOn,
			Status: workflow.Consultation.Label(workflow.Status(m.Status)), AgendaDue: cs.datetime(cs.s.ref.Raw.Consultations.AgendaDeadline(m.HeldOn)),
			Agenda: m.Agenda, Issues: strconv.FormatInt(v.Stats.Issues, 10)}
		row.Rates = "交办率 " + pctText(v.Stats.AssignRate) + "，按时答复率 " + pctText(v.Stats.OnTimeRate) + "，满意率 " + pctText(v.Stats.SatisfactionRate)
		for _, it := range v.AgendaItems {
			row.Items = append(row.Items, it.Title)
		}
		d.Rows = append(d.Rows, row)
	}
	pg := cs.newPage(c, "政企协商会")
	pg.Data = d
	cs.render(c, http.StatusOK, "consultations", pg)
	return nil
}

// pctText is a rate for people: 66.7%, or — without a denominator.
func pctText(v *float64) string {
	if v == nil {
		return "—"
	}
	return chartNumber(*v) + "%"
}
