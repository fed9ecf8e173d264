package model

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"qinqing/workflow"
)

// The request list by (region_code, status) pairs.
//
// A list filter usually reads region_code IN (…) AND status IN (…) ORDER BY
// id DESC. idx_requests_region_status (region_code, status) ends in the
// primary key, so within one pair its entries are in id order, but across
// several pairs MySQL/MariaDB cannot read them in id order: it reads and
// sorts every match (≈100k rows for "closed in a county" on a million
// requests) to return 21. Asking each pair for its own newest size+1 rows
// (one short index range each, no sort) and merging those gives the same
// page: every row of the page is among the newest size+1 of its own pair.

// maxListPairs caps the pairs read one by one. Each pair is a branch of the
// statement reading at most size+1 index entries and rows; 64 covers every
// county subtree (at most 3 regions) with every status (7), and the whole
// city (28 regions) with up to two statuses. With more pairs ListRequests
// runs the plain query: a city-wide list without a status filter is met
// early by reading the primary key backwards.
const maxListPairs = 64

type listPair struct{ region, status string }

// listPairs returns the (region_code, status) pairs that hold every row the
// scope may see and f matches, and whether ListRequests should read them
// pair by pair. It says no (the plain query runs) when
//   - the scope is not one of regions: enterprise, station and department
//     accounts see the rows of their own column (enterprise_id, station_id,
//     department_code), with indexes of their own; the system scope takes
//     the pairs only when f names regions;
//   - a region code or status is not one of the reference (the database
//     compares strings by its collation, which may make two distinct Go
//     strings equal; known codes and statuses cannot be);
//   - there are no pairs (the plain query answers an empty page at once),
//     or more than maxListPairs.
func (s *Store) listPairs(sc Scope, f RequestFilter) ([]listPair, bool) {
	var regions []string
	switch sc.Role {
	case workflow.RoleACFIC, workflow.RoleInspector:
		if !s.knownRegions(sc.Regions) {
			return nil, false
		}
		regions = sc.Regions
	case workflow.RoleSystem:
		if f.RegionCodes == nil {
			return nil, false
		}
	default:
		return nil, false
	}
	if f.RegionCodes != nil {
		if !s.knownRegions(f.RegionCodes) {
			return nil, false
		}
		if regions == nil {
			regions = f.RegionCodes
		} else {
			regions = slices.DeleteFunc(slices.Clone(regions), func(r string) bool { return !slices.Contains(f.RegionCodes, r) })
		}
	}
	regions = dedupe(regions)
	if !distinctFolded(regions) {
		return nil, false
	}

	var statuses []string
	if f.Status == nil {
		for _, st := range workflow.Request.States {
			statuses = append(statuses, string(st.Status))
		}
	} else {
		for _, st := range f.Status {
			if _, ok := workflow.Request.State(workflow.Status(st)); !ok {
				return nil, false
			}
		}
		statuses = dedupe(f.Status)
	}
	if f.Overdue != nil && *f.Overdue {
		// only open statuses can be overdue (requestFilterConds)
		open := statusStrings(workflow.Request.OpenStatuses())
		statuses = slices.DeleteFunc(statuses, func(st string) bool { return !slices.Contains(open, st) })
	}

	n := len(regions) * len(statuses)
	if n == 0 || n > maxListPairs {
		return nil, false
	}
	pairs := make([]listPair, 0, n)
	for _, r := range regions {
		for _, st := range statuses {
			pairs = append(pairs, listPair{r, st})
		}
	}
	return pairs, true
}

func (s *Store) knownRegions(codes []string) bool {
	for _, c := range codes {
		if _, ok := s.ref.Regions[c]; !ok {
			return false
		}
	}
	return true
}

// dedupe returns xs without repeats, in first-seen order (a new slice).
func dedupe(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// distinctFolded reports whether no two codes differ only in case or
// trailing spaces (equal under MySQL's _ci PAD SPACE collations: one row
// would then come from two branches).
func distinctFolded(codes []string) bool {
	seen := make(map[string]bool, len(codes))
	for _, c := range codes {
		k := strings.ToLower(strings.TrimRight(c, " "))
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// listRequestsByPairs is ListRequests as one statement: per pair, the ids
// of the newest size+1 rows of region_code = ? AND status = ? under every
// other condition of f (and the cursor), each read in id order from
// idx_requests_region_status; then the newest size+1 of those ids, and
// their rows by primary key.
//
//	SELECT r.* FROM (
//	  SELECT id FROM (SELECT id FROM requests WHERE region_code = ? AND status = ? AND … ORDER BY id DESC LIMIT 21) AS b1
//	  UNION ALL SELECT id FROM (…) AS b2 … ORDER BY id DESC LIMIT 21
//	) AS u JOIN requests r ON r.id = u.id ORDER BY r.id DESC
//
// The derived tables let each branch keep its ORDER BY and LIMIT on SQLite
// as on MySQL/MariaDB. The branches carry ids only: MariaDB materializes
// each derived table, and one holding the TEXT columns goes to disk, which
// made the statement several times slower; ids alone are read from the
// index and stay in memory. One pair is its branch alone, with every column.
// The scope needs no condition of its own: listPairs took its regions into
// the pairs.
func (s *Store) listRequestsByPairs(ctx context.Context, pairs []listPair, f RequestFilter, now time.Time) ([]Request, uint64, error) {
	size := f.Page.size()
	var cond strings.Builder
	var condArgs []any
	for _, c := range requestFilterConds(f, now) {
		cond.WriteString(" AND (" + c.sql + ")")
		condArgs = append(condArgs, c.args...)
	}
	if f.Page.After > 0 {
		cond.WriteString(" AND id < ?")
		condArgs = append(condArgs, f.Page.After)
	}
	order := " ORDER BY id DESC LIMIT " + strconv.Itoa(size+1)
	where := " FROM requests WHERE region_code = ? AND status = ?" + cond.String() + order

	var sql strings.Builder
	args := make([]any, 0, len(pairs)*(2+len(condArgs)))
	if len(pairs) == 1 {
		sql.WriteString("SELECT *" + where)
	} else {
		sql.Grow(len(pairs)*(len(where)+50) + 100)
		sql.WriteString("SELECT r.* FROM (")
		for i := range pairs {
			if i > 0 {
				sql.WriteString(" UNION ALL ")
			}
			sql.WriteString("SELECT id FROM (SELECT id")
			sql.WriteString(where)
			sql.WriteString(") AS b")
			sql.WriteString(strconv.Itoa(i + 1))
		}
		sql.WriteString(order)
		sql.WriteString(") AS u JOIN requests r ON r.id = u.id ORDER BY r.id DESC")
	}
	for _, p := range pairs {
		args = append(args, p.region, p.status)
		args = append(args, condArgs...)
	}

	var out []Request
	if err := s.db.WithContext(ctx).Raw(sql.String(), args...).Find(&out).Error; err != nil {
		return nil, 0, formatError(err)
	}
	if len(out) > size {
		out = out[:size]
		return out, out[size-1].ID, nil
	}
	return out, 0, nil
}
