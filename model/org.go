package model

import (
	"context"

	"qinqing/workflow"
)

// CreateEnterprise stores an enterprise; ErrConflict when its USCC is registered already.
func (s *Store) CreateEnterprise(ctx context.Context, e *Enterprise) error {
	return formatError(s.db.WithContext(ctx).Create(e).Error)
}

// enterpriseScope restricts enterprise reads: an enterprise account sees
// itself; everyone else the enterprises of its regions.
func enterpriseScope(sc Scope) (string, []any) {
	if sc.Role == workflow.RoleEnterprise {
		return "id = ?", []any{sc.EnterpriseID}
	}
	return "region_code IN ?", []any{nonEmpty(sc.Regions)}
}

// FindEnterprise returns the enterprise when it lies in scope, else ErrNotFound.
func (s *Store) FindEnterprise(ctx context.Context, sc Scope, id uint64) (*Enterprise, error) {
	var e Enterprise
	w, args := enterpriseScope(sc)
	if err := s.db.WithContext(ctx).Where(w, args...).Where("id = ?", id).Take(&e).Error; err != nil {
		return nil, formatError(err)
	}
	return &e, nil
}

// GetEnterprise returns the enterprise regardless of scope (for internal
// checks). Enterprises are never changed once registered, so a recent read
// (credential_cache) is answered from memory.
func (s *Store) GetEnterprise(ctx context.Context, id uint64) (*Enterprise, error) {
	now := s.clock()
	if e, ok := s.enterprises.get(id, now); ok {
		return &e, nil
	}
	gen := s.enterprises.generation()
	var e Enterprise
	if err := s.db.WithContext(ctx).Take(&e, id).Error; err != nil {
		return nil, formatError(err)
	}
	s.enterprises.put(id, e, now, gen)
	return &e, nil
}

// EnterpriseFilter filters ListEnterprises.
type EnterpriseFilter struct {
	RegionCode []string
	USCC       string
	// Name keeps the enterprises whose name contains it (literally).
	Name string
	Page Page
}

// ListEnterprises lists enterprises in scope, newest first.
func (s *Store) ListEnterprises(ctx context.Context, sc Scope, f EnterpriseFilter) ([]Enterprise, uint64, error) {
	w, args := enterpriseScope(sc)
	q := s.db.WithContext(ctx).Model(&Enterprise{}).Where(w, args...)
	if f.RegionCode != nil {
		q = q.Where("region_code IN ?", nonEmpty(f.RegionCode))
	}
	if f.USCC != "" {
		q = q.Where("uscc = ?", f.USCC)
	}
	if f.Name != "" {
		q = q.Where("name LIKE ? ESCAPE '!'", "%"+escapeLike(f.Name)+"%")
	}
	var out []Enterprise
	next, err := pageQuery(q, f.Page, &out, func(i int) uint64 { return out[i].ID })
	return out, next, err
}

// CreateStation stores a station.
func (s *Store) CreateStation(ctx context.Context, st *Station) error {
	return formatError(s.db.WithContext(ctx).Create(st).Error)
}

// GetStation returns the station with id, or ErrNotFound.
func (s *Store) GetStation(ctx context.Context, id uint64) (*Station, error) {
	var st Station
	if err := s.db.WithContext(ctx).Take(&st, id).Error; err != nil {
		return nil, formatError(err)
	}
	return &st, nil
}

// ListStations lists the stations of the scope's regions, newest first.
func (s *Store) ListStations(ctx context.Context, sc Scope, regions []string, p Page) ([]Station, uint64, error) {
	q := s.db.WithContext(ctx).Model(&Station{}).Where("region_code IN ?", nonEmpty(sc.Regions))
	if regions != nil {
		q = q.Where("region_code IN ?", nonEmpty(regions))
	}
	var out []Station
	next, err := pageQuery(q, p, &out, func(i int) uint64 { return out[i].ID })
	return out, next, err
}
