package model

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordHasher hashes and checks passwords. One interface, so the
// algorithm can change (or a certified module be swapped in) without
// touching callers.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(hash, password string) bool
}

// Argon2id hashes with argon2id and stores a PHC string
// ($argon2id$v=19$m=…,t=…,p=…$salt$key).
type Argon2id struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultHasher follows the OWASP minimum for argon2id (19 MiB, t=2, p=1).
func DefaultHasher() Argon2id { return Argon2id{Memory: 19 * 1024, Time: 2, Threads: 1} }

// Hash returns the PHC string for password.
func (a Argon2id) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, a.Time, a.Memory, a.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.Memory, a.Time, a.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches hash, in constant time.
func (a Argon2id) Verify(hash, password string) bool {
	m, t, p, salt, key, err := parsePHC(hash)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

func parsePHC(h string) (m, t uint32, p uint8, salt, key []byte, err error) {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return 0, 0, 0, nil, nil, errors.New("not an argon2id hash")
	}
	if _, err = fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return
	}
	key, err = b64.DecodeString(parts[5])
	return
}

// MemoryKiB is argon2's memory cost: what one hash allocates.
func (a Argon2id) MemoryKiB() uint32 { return a.Memory }
