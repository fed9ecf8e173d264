package api

import (
	"qinqing/model"
	"qinqing/policy"
)

// Authorization helpers: the policy's verdicts for a principal, resolved
// once per request by the handler. The order of refusals is the contract's:
// a role that never takes an action is refused (403) before anything about
// the object is looked up; an object out of sight is 404; an object outside
// the grant is 403.

// allow checks that p's role may take act on kind in region
// (policy.ErrForbidden → 403).
func (s *Server) allow(p *principal, kind, act, region string) error {
	return s.authz.Authorize(p.subject(), act, policy.Resource{Kind: kind, Region: region})
}

// mayEver answers 403 when p's role never takes act on kind, before
// anything about the object is looked up (so 403 leaks nothing).
func (s *Server) mayEver(p *principal, kind, act string) error {
	if !s.authz.Can(p.account.Role, kind, act) {
		return policy.ErrForbidden
	}
	return nil
}

// grant is where the policy lets p take act on kind, for the store to
// check on the row it reads (model.Guard).
func (s *Server) grant(p *principal, kind, act string) model.RegionSet {
	all, regions := s.authz.Grant(p.subject(), kind, act)
	if all {
		return model.AllRegions()
	}
	return model.Regions(regions...)
}

// policyForbidden is a 403 with a detail of its own.
func policyForbidden(detail string) error {
	return refuse(policy.ErrForbidden, detail)
}
