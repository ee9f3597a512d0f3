package auth

// HasControl reports whether s holds a NUL or another C0 control
// character other than tab, newline and carriage return (or DEL). Such
// text is refused at the edge: PostgreSQL cannot store NUL in text, and
// none of Whistle's fields means anything by the others.
func HasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return true
		}
	}
	return false
}
