package api

import (
	"context"
	"runtime"
	"time"

	"qinqing/model"
)

// hashMemoryBudget is the memory all password hashing running at once may
// take: argon2id allocates its whole memory cost per hash (19 MiB at the
// default), so unbounded parallel sign-ins grow the process by that much
// each and starve every other request of CPU.
const hashMemoryBudget = 256 << 20

// hashGate bounds the password hashing running at once to slots: one
// fewer than the cores (at least one), so a core stays for every other
// request, and fewer when slots × argon2's memory cost would pass
// hashMemoryBudget. A hash beyond them waits up to wait for a slot, then
// gives errBusy (503 with Retry-After). Every hash and check of a password
// goes through it: sign-in, the unknown-username equaliser, password
// change, account creation.
type hashGate struct {
	h     model.PasswordHasher
	slots chan struct{}
	wait  time.Duration
}

// memoryCost is what a hasher that knows its memory cost reports.
type memoryCost interface{ MemoryKiB() uint32 }

func newHashGate(h model.PasswordHasher, wait time.Duration) *hashGate {
	kib := model.DefaultHasher().Memory
	if m, ok := h.(memoryCost); ok && m.MemoryKiB() > 0 {
		kib = m.MemoryKiB()
	}
	n := max(1, min(runtime.GOMAXPROCS(0)-1, hashMemoryBudget/(int(kib)<<10)))
	if wait <= 0 {
		wait = 2 * time.Second
	}
	return &hashGate{h: h, slots: make(chan struct{}, n), wait: wait}
}

// acquire takes a slot, waiting at most g.wait (and not past ctx).
func (g *hashGate) acquire(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-t.C:
		return retryAfter(errBusy, 1)
	case <-ctx.Done():
		return retryAfter(errBusy, 1)
	}
}

func (g *hashGate) release() { <-g.slots }

// verify checks password against hash in a slot.
func (g *hashGate) verify(ctx context.Context, hash, password string) (bool, error) {
	if err := g.acquire(ctx); err != nil {
		return false, err
	}
	defer g.release()
	return g.h.Verify(hash, password), nil
}

// hasher is a model.PasswordHasher whose Hash takes a slot (or fails with
// errBusy), for the store's account creation and password change.
func (g *hashGate) hasher(ctx context.Context) model.PasswordHasher { return gatedHasher{g, ctx} }

type gatedHasher struct {
	g   *hashGate
	ctx context.Context
}

func (h gatedHasher) Hash(password string) (string, error) {
	if err := h.g.acquire(h.ctx); err != nil {
		return "", err
	}
	defer h.g.release()
	return h.g.h.Hash(password)
}

func (h gatedHasher) Verify(hash, password string) bool {
	ok, err := h.g.verify(h.ctx, hash, password)
	return ok && err == nil
}
