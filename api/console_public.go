package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qinqing/model"
)

// The published 亲清健康指数 as pages that need no sign-in (the API's
// GET /index/{period} and /index/{period}/regions/{code} answer the same
// without a token): the periods published, a period's ranking per peer
// group and each unit's report. They read through publishedRun, which
// finds only published runs: a draft is never shown here, whatever the
// visitor. A signed-in visitor sees the console's header and menu too.

type publicPeriod struct {
	Period, Label, Published string
	Version                  int
}

type publicHomeData struct {
	Periods []publicPeriod
}

// publicCrumbs start the breadcrumb of a public page.
func publicCrumbs(pg *page, steps ...crumb) {
	pg.Crumbs = append([]crumb{{"亲清指数", "/public/index"}}, steps...)
	pg.Crumbs = append(pg.Crumbs, crumb{Label: pg.Title})
}

// publicHome lists the periods with a published index, newest first.
func (cs *console) publicHome(c *gin.Context) error {
	cs.softSession(c)
	if err := cs.s.query(c).err(); err != nil {
		return err
	}
	runs, _, err := cs.s.store.ListRuns(c.Request.Context(), "", model.RunPublished, model.Page{Size: 100})
	if err != nil {
		return err
	}
	d := publicHomeData{}
	seen := map[string]bool{}
	for _, r := range runs {
		if seen[r.Period] {
			continue // an older version of a period shown already
		}
		seen[r.Period] = true
		pp := publicPeriod{Period: r.Period, Label: periodLabel(r.Period), Version: r.Version}
		if r.PublishedAt != nil {
			pp.Published = cs.date(*r.PublishedAt)
		}
		d.Periods = append(d.Periods, pp)
	}
	pg := cs.newPage(c, "亲清健康指数")
	pg.Crumbs = nil
	pg.Data = d
	cs.render(c, http.StatusOK, "public_index", pg)
	return nil
}

type publicRankingData struct {
	Period, Label, Published, Method, Tree, AsOf string
	Version                                      int
	Provisional                                  bool
	Indicators                                   []nodeRefView
	Groups                                       []groupView
	CSV, XLSX, Base                              string
}

// publicRanking is a period's published ranking, per peer group.
func (cs *console) publicRanking(c *gin.Context) error {
	cs.softSession(c)
	lr, err := cs.s.publishedRun(c)
	if err != nil {
		return err
	}
	h := cs.s.publishedHeader(lr)
	d := publicRankingData{Period: h.Period, Label: periodLabel(h.Period), Method: h.MethodLabel, Tree: h.TreeVersion,
		Version: h.Version, Provisional: h.Provisional, Indicators: h.Indicators, Groups: lr.groups(),
		AsOf: cs.datetime(lr.run.AsOf), CSV: "/api/v1/index/" + h.Period + "/export.csv",
		XLSX: "/api/v1/index/" + h.Period + "/export.xlsx", Base: "/public/index/" + h.Period}
	if lr.run.PublishedAt != nil {
		d.Published = cs.date(*lr.run.PublishedAt)
	}
	pg := cs.newPage(c, d.Label+"亲清健康指数排名")
	publicCrumbs(pg)
	pg.Data = d
	cs.render(c, http.StatusOK, "public_ranking", pg)
	return nil
}

// publicRegion is a unit's report in a period's published index.
func (cs *console) publicRegion(c *gin.Context) error {
	cs.softSession(c)
	lr, err := cs.s.publishedRun(c)
	if err != nil {
		return err
	}
	rep, err := cs.s.regionReport(lr, c.Param("code"))
	if err != nil {
		return err
	}
	base := "/public/index/" + rep.Period
	d := cs.reportData(rep, base, true)
	d.Public = true
	d.CSV, d.XLSX = "/api/v1/index/"+rep.Period+"/export.csv", "/api/v1/index/"+rep.Period+"/export.xlsx"
	pg := cs.newPage(c, rep.Region.Name)
	publicCrumbs(pg, crumb{periodLabel(rep.Period) + "排名", base})
	pg.Data = d
	cs.render(c, http.StatusOK, "index_report", pg)
	return nil
}
