package model

import (
	"time"
	_ "time/tzdata" // Asia/Shanghai without relying on the host's zoneinfo

	"qinqing/configs"
	"qinqing/workflow"
)

// beijing is the time zone of deadlines, working days and every time the
// service shows people: China Standard Time has no daylight saving.
var beijing = mustLoadLocation("Asia/Shanghai")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is embedded: this cannot happen
	}
	return loc
}

// Reference is the reference data of configs/, indexed for lookups.
type Reference struct {
	Regions     map[string]configs.Region
	RegionList  []configs.Region
	Departments map[string]configs.Department
	DeptList    []configs.Department
	Categories  map[string]configs.Category
	CatList     []configs.Category
	Parents     map[string]string
	// Tree is the region tree as the 派单目录 reads it.
	Tree workflow.RegionTree
	Raw  configs.Reference
	// Calendar counts working days in Beijing time, from the calendar
	// years of the reference data.
	Calendar *workflow.Calendar
}

// NewReference indexes r and builds its working-day calendar.
func NewReference(r configs.Reference) (*Reference, error) {
	cal, err := workflow.NewCalendar(beijing, r.Calendar)
	if err != nil {
		return nil, err
	}
	ref := &Reference{
		Regions:     map[string]configs.Region{},
		Departments: map[string]configs.Department{},
		Categories:  map[string]configs.Category{},
		Parents:     map[string]string{},
		Tree:        workflow.RegionTree{Parent: map[string]string{}, Level: map[string]string{}},
		RegionList:  r.Regions,
		DeptList:    r.Departments,
		CatList:     r.Categories,
		Raw:         r,
		Calendar:    cal,
	}
	for _, x := range r.Regions {
		ref.Regions[x.Code] = x
		ref.Parents[x.Code] = x.ParentCode
		ref.Tree.Parent[x.Code], ref.Tree.Level[x.Code] = x.ParentCode, x.Level
	}
	for _, x := range r.Departments {
		ref.Departments[x.Code] = x
	}
	for _, x := range r.Categories {
		ref.Categories[x.Code] = x
	}
	return ref, nil
}

// Suggest is the unit the 派单目录 offers for a request of category filed
// in region (false: none).
func (r *Reference) Suggest(category, region string) (workflow.Suggestion, bool) {
	return workflow.Suggest(r.Raw.Dispatch, r.Tree, category, region)
}
