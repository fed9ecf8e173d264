package model

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"

	"qinqing/workflow"
)

// Scope is what an account may see: the store applies it to every query, so
// lists are scoped like single reads.
type Scope struct {
	AccountID uint64
	// Username is the account's (normalised): a lead naming it as subject
	// is hidden from the account whenever the name was given.
	Username       string
	Role           workflow.Role
	HomeRegion     string
	Regions        []string // the home region and every region below it
	DepartmentCode string
	StationID      uint64
	EnterpriseID   uint64
}

// NewAccount is what an administrator supplies to create an account.
type NewAccount struct {
	Username       string
	Password       string
	Role           workflow.Role
	RegionCode     string
	DepartmentCode string
	StationID      uint64
	EnterpriseID   uint64
	DisplayName    string
	// PasswordChangeRequired marks a generated password: its holder must
	// choose another before using the console.
	PasswordChangeRequired bool
}

// NormalizeUsername is how usernames are compared (case-insensitive on
// every database, whatever the collation).
func NormalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// CreateAccount stores a new account with a hashed password. It returns
// ErrConflict when the username is taken.
func (s *Store) CreateAccount(ctx context.Context, h PasswordHasher, in NewAccount) (*Account, error) {
	defer s.clearRecipients()
	hash, err := h.Hash(in.Password)
	if err != nil {
		return nil, err
	}
	a := &Account{
		Username:     NormalizeUsername(in.Username),
		PasswordHash: hash,
		Role:         string(in.Role),
		RegionCode:   in.RegionCode,
		DisplayName:  in.DisplayName,

		PasswordChangeRequired: in.PasswordChangeRequired,
	}
	if in.DepartmentCode != "" {
		a.DepartmentCode = &in.DepartmentCode
	}
	if in.StationID != 0 {
		a.StationID = &in.StationID
	}
	if in.EnterpriseID != 0 {
		a.EnterpriseID = &in.EnterpriseID
	}
	if err := s.db.WithContext(ctx).Create(a).Error; err != nil {
		return nil, formatError(err)
	}
	return a, nil
}

// FindAccountByUsername returns the account or ErrNotFound.
func (s *Store) FindAccountByUsername(ctx context.Context, username string) (*Account, error) {
	var a Account
	err := s.db.WithContext(ctx).Where("username = ?", NormalizeUsername(username)).Take(&a).Error
	if err != nil {
		return nil, formatError(err)
	}
	return &a, nil
}

// FindAccount returns the account with id, or ErrNotFound.
func (s *Store) FindAccount(ctx context.Context, id uint64) (*Account, error) {
	var a Account
	if err := s.db.WithContext(ctx).Take(&a, id).Error; err != nil {
		return nil, formatError(err)
	}
	return &a, nil
}

// FindAccountInScope returns the account when it lies in the scope's regions.
func (s *Store) FindAccountInScope(ctx context.Context, sc Scope, id uint64) (*Account, error) {
	var a Account
	err := s.db.WithContext(ctx).Where("id = ? AND region_code IN ?", id, nonEmpty(sc.Regions)).Take(&a).Error
	if err != nil {
		return nil, formatError(err)
	}
	return &a, nil
}

// AccountFilter filters ListAccounts.
type AccountFilter struct {
	Role       string
	RegionCode []string
	Page       Page
}

// ListAccounts lists accounts in the scope's regions, newest first.
func (s *Store) ListAccounts(ctx context.Context, sc Scope, f AccountFilter) ([]Account, uint64, error) {
	q := s.db.WithContext(ctx).Model(&Account{}).Where("region_code IN ?", nonEmpty(sc.Regions))
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if f.RegionCode != nil {
		q = q.Where("region_code IN ?", nonEmpty(f.RegionCode))
	}
	var out []Account
	next, err := pageQuery(q, f.Page, &out, func(i int) uint64 { return out[i].ID })
	return out, next, err
}

// EnsureAdmin creates the admin account when no account named admin exists,
// with a password the operator chose. It reports whether it created one.
func (s *Store) EnsureAdmin(ctx context.Context, h PasswordHasher, password, region string) (bool, error) {
	return s.ensureAdmin(ctx, h, password, region, false)
}

// EnsureAdminGenerated is EnsureAdmin with a generated password (printed
// once at the first start): the account must choose its own password
// before anything else in the console.
func (s *Store) EnsureAdminGenerated(ctx context.Context, h PasswordHasher, password, region string) (bool, error) {
	return s.ensureAdmin(ctx, h, password, region, true)
}

func (s *Store) ensureAdmin(ctx context.Context, h PasswordHasher, password, region string, generated bool) (bool, error) {
	_, err := s.FindAccountByUsername(ctx, "admin")
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	_, err = s.CreateAccount(ctx, h, NewAccount{Username: "admin", Password: password, Role: workflow.RoleAdmin,
		RegionCode: region, DisplayName: "系统管理员", PasswordChangeRequired: generated})
	if errors.Is(err, ErrConflict) { // another instance created it first
		return false, nil
	}
	return err == nil, err
}

// nonEmpty keeps "IN ?" valid SQL for an empty list: it matches nothing.
func nonEmpty(xs []string) []string {
	if len(xs) == 0 {
		return []string{"\x00none"}
	}
	return xs
}

// Page is a keyset page request: at most Size rows with id below After.
type Page struct {
	Size  int
	After uint64 // 0 = from the start
}

// size is the number of rows the page holds (20 unless set).
func (p Page) size() int {
	if p.Size <= 0 {
		return 20
	}
	return p.Size
}

// pageQuery runs q ordered by id descending, one row beyond the page to
// know whether another page follows; it returns the cursor id for the next
// page (0 when none).
func pageQuery[T any](q *gorm.DB, p Page, out *[]T, id func(i int) uint64) (uint64, error) {
	if p.After > 0 {
		q = q.Where("id < ?", p.After)
	}
	size := p.size()
	if err := q.Order("id DESC").Limit(size + 1).Find(out).Error; err != nil {
		return 0, formatError(err)
	}
	if len(*out) > size {
		*out = (*out)[:size]
		return id(size - 1), nil
	}
	return 0, nil
}
