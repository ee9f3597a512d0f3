package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// Two-step verification: TOTP (RFC 6238) with the authenticator apps'
// defaults — SHA-1, 6 digits, 30-second steps — and one step of skew
// either way.

// TOTPPeriod is the length of a time step.
const TOTPPeriod = 30 * time.Second

// TOTPIssuer names the service in authenticator apps.
const TOTPIssuer = "Whistle"

// NewTOTPKey makes a random 160-bit secret for account: its base32 text
// and its otpauth:// URI (for an authenticator app).
func NewTOTPKey(account string) (secret, uri string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account})
	if err != nil {
		return "", "", err
	}
	return k.Secret(), k.URL(), nil
}

// TOTPStep is the time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// MatchTOTP checks code against secret at now, allowing one step of skew
// either way, and returns the step it matched (to refuse its reuse). The
// code's spaces are ignored; anything but 6 digits fails.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	cur := TOTPStep(now)
	for _, s := range []int64{cur - 1, cur, cur + 1} {
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), opts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode is the code of secret at t (tests and tools).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCode(secret, t)
}

// RecoveryCodes is how many one-time recovery codes a user gets.
const RecoveryCodes = 8

const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no 0/o, 1/l/i

// NewRecoveryCodes makes RecoveryCodes random codes "xxxxx-xxxxx" (about
// 49 bits each).
func NewRecoveryCodes() []string {
	out := make([]string, RecoveryCodes)
	for i := range out {
		b := make([]byte, 10)
		_, _ = rand.Read(b)
		var sb strings.Builder
		for j, c := range b {
			if j == 5 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)])
		}
		out[i] = sb.String()
	}
	return out
}

// IsRecoveryCode tells a recovery code (as typed) from a 6-digit TOTP code.
func IsRecoveryCode(code string) bool {
	return len(normRecovery(code)) == 10
}

func normRecovery(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, strings.TrimSpace(code))
}

// HashRecoveryCode is the stored form of a recovery code: SHA-256 of its
// normalised text (lower case, no dash or spaces). The codes are random,
// so a fast hash suffices.
func HashRecoveryCode(code string) string {
	h := sha256.Sum256([]byte(normRecovery(code)))
	return hex.EncodeToString(h[:])
}
