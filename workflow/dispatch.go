package workflow

// The 派单目录 (dispatch catalogue): for a request category, the handling
// unit 工商联 is offered when it assigns — a department, and whether the
// unit is the one of the request's county or the city's. An entry may be
// limited to a region (and everything below it); the entry of the nearest
// such region wins over one for everywhere. An entry marked auto is
// followed without waiting for 工商联: the system assigns the request as
// it is filed.
//
// How an assignment relates to the catalogue is recorded in its event
// (payload "dispatch"): DispatchAuto, DispatchFollowed, DispatchOverridden
// (with the unit the catalogue offered) or DispatchNone.

// Unit levels of a catalogue entry.
const (
	UnitCounty = "county" // the unit of the request's county (or zone); the city's for a request filed at the city
	UnitCity   = "city"   // the city's unit
)

// How an assignment relates to the catalogue.
const (
	DispatchAuto       = "auto"       // assigned by the system, as the catalogue says
	DispatchFollowed   = "followed"   // 工商联 chose the unit the catalogue offered
	DispatchOverridden = "overridden" // 工商联 chose another unit
	DispatchNone       = "none"       // the catalogue offers no unit for the request
)

// DispatchRule is one entry of the catalogue.
type DispatchRule struct {
	Category       string `json:"category"`
	RegionCode     string `json:"region_code,omitempty"` // "" = every region
	DepartmentCode string `json:"department_code"`
	Unit           string `json:"unit"` // UnitCounty or UnitCity
	Auto           bool   `json:"auto"`
}

// Suggestion is the unit the catalogue offers for one request.
type Suggestion struct {
	DepartmentCode string
	RegionCode     string // the unit's region
	Auto           bool
}

// RegionTree is what the catalogue needs to know of the regions: each
// region's parent ("" for the root) and level.
type RegionTree struct {
	Parent map[string]string
	Level  map[string]string
}

// Suggest returns the unit the catalogue rules offer for a request of
// category in region, and false when no rule covers it.
func Suggest(rules []DispatchRule, tree RegionTree, category, region string) (Suggestion, bool) {
	best, bestDepth := -1, -1
	for i, r := range rules {
		if r.Category != category {
			continue
		}
		depth := 0 // an entry for every region
		if r.RegionCode != "" {
			d, ok := tree.Distance(region, r.RegionCode)
			if !ok {
				continue
			}
			depth = 1_000 - d // the nearer the region, the better
		}
		if depth > bestDepth {
			best, bestDepth = i, depth
		}
	}
	if best < 0 {
		return Suggestion{}, false
	}
	r := rules[best]
	return Suggestion{DepartmentCode: r.DepartmentCode, RegionCode: tree.unitRegion(region, r.Unit), Auto: r.Auto}, true
}

// Dispatch says how the unit chosen (dept, unitRegion) relates to the
// suggestion s (ok false: there was none).
func Dispatch(s Suggestion, ok bool, dept, unitRegion string) string {
	switch {
	case !ok:
		return DispatchNone
	case s.DepartmentCode == dept && s.RegionCode == unitRegion:
		return DispatchFollowed
	}
	return DispatchOverridden
}

// Distance is how many steps up from region ancestor is (0: the region
// itself), false when it is not an ancestor.
func (t RegionTree) Distance(region, ancestor string) (int, bool) {
	for d, at := 0, region; at != ""; d, at = d+1, t.Parent[at] {
		if at == ancestor {
			return d, true
		}
		if d > 64 {
			break
		}
	}
	return 0, false
}

// unitRegion is the region of the unit at level for a request in region.
func (t RegionTree) unitRegion(region, level string) string {
	root := region
	for i := 0; t.Parent[root] != "" && i < 64; i++ {
		root = t.Parent[root]
	}
	if level == UnitCity {
		return root
	}
	for at, i := region, 0; at != "" && i < 64; at, i = t.Parent[at], i+1 {
		if l := t.Level[at]; l == "county" || l == "zone" {
			return at
		}
	}
	return root
}

// recordDispatch writes into an assignment's event payload how the unit
// chosen relates to the catalogue's: auto when the system assigned, else
// followed / overridden (with the unit offered) / none.
func recordDispatch(payload map[string]any, actor Actor, cmd Command, sug *Suggestion) {
	if actor.Role == RoleSystem {
		payload["dispatch"] = DispatchAuto
		return
	}
	var s Suggestion
	if sug != nil {
		s = *sug
	}
	d := Dispatch(s, sug != nil, cmd.DepartmentCode, cmd.RegionCode)
	payload["dispatch"] = d
	if d == DispatchOverridden {
		payload["suggested_department_code"], payload["suggested_region_code"] = s.DepartmentCode, s.RegionCode
	}
}
