package consult

import (
	"bytes"
	"strings"
	"testing"
)

// Known vectors: the Reed–Solomon codewords of "HELLO WORLD" at 1-M
// (alphanumeric data codewords, the tutorial's and the standard's
// arithmetic), the format information strings of level M, and the version
// information of versions 7–10 (ISO/IEC 18004 annexes C and D).
func TestQRKnownVectors(t *testing.T) {
	data := []byte{32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17}
	want := []byte{196, 35, 39, 119, 235, 215, 231, 226, 93, 23}
	if got := rsRemainder(data, rsDivisor(10)); !bytes.Equal(got, want) {
		t.Errorf("RS(HELLO WORLD, 1-M) = %v, want %v", got, want)
	}
	for mask, s := range []string{"101010000010010", "101000100100101", "101111001111100", "101101101001011",
		"100010111111001", "100000011001110", "100111110010111", "100101010100000"} {
		if got := formatBits(mask); bitString(got, 15) != s {
			t.Errorf("format M-%d = %s, want %s", mask, bitString(got, 15), s)
		}
	}
	for v, want := range map[int]int{7: 0x07C94, 8: 0x085BC, 9: 0x09A99, 10: 0x0A4D3} {
		if got := versionBits(v); got != want {
			t.Errorf("version %d = %05X, want %05X", v, got, want)
		}
	}
}

func bitString(v, n int) string {
	var b strings.Builder
	for i := n - 1; i >= 0; i-- {
		b.WriteByte('0' + byte(v>>i&1))
	}
	return b.String()
}

// decode reads a symbol back without error correction: format and
// version information, the codewords in placement order, unmasked,
// de-interleaved into blocks whose Reed–Solomon syndromes must all be
// zero, and the byte-mode segment.
func decode(t *testing.T, q *QR) string {
	t.Helper()
	n, m := q.Size, q.Modules
	if n != 17+4*q.Version {
		t.Fatalf("size %d for version %d", n, q.Version)
	}
	get := func(x, y int) int {
		if m[y][x] {
			return 1
		}
		return 0
	}
	// finders: the 7×7 pattern at three corners, a light separator
	for _, f := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for dy := range 7 {
			for dx := range 7 {
				d := max(abs(dx-3), abs(dy-3))
				if (get(f[0]+dx, f[1]+dy) == 1) != (d != 2) {
					t.Fatalf("finder at %v broken at %d,%d", f, dx, dy)
				}
			}
		}
	}
	for i := 8; i < n-8; i++ {
		if get(i, 6) != 1-i%2 || get(6, i) != 1-i%2 {
			t.Fatalf("timing pattern broken at %d", i)
		}
	}
	if get(8, n-8) != 1 {
		t.Fatal("no dark module")
	}
	// format information, both copies
	f1, f2 := 0, 0
	pos1 := [][2]int{{8, 0}, {8, 1}, {8, 2}, {8, 3}, {8, 4}, {8, 5}, {8, 7}, {8, 8}, {7, 8}, {5, 8}, {4, 8}, {3, 8}, {2, 8}, {1, 8}, {0, 8}}
	for i, p := range pos1 {
		f1 |= get(p[0], p[1]) << i
	}
	for i := range 8 {
		f2 |= get(n-1-i, 8) << i
	}
	for i := 8; i < 15; i++ {
		f2 |= get(8, n-15+i) << i
	}
	if f1 != f2 {
		t.Fatalf("format copies differ: %015b %015b", f1, f2)
	}
	mask := -1
	for k := range 8 {
		if formatBits(k) == f1 {
			mask = k
		}
	}
	if mask < 0 || mask != q.Mask {
		t.Fatalf("format %015b is not level M with mask %d", f1, q.Mask)
	}
	if q.Version >= 7 {
		v1, v2 := 0, 0
		for i := range 18 {
			v1 |= get(n-11+i%3, i/3) << i
			v2 |= get(i/3, n-11+i%3) << i
		}
		if v1 != versionBits(q.Version) || v2 != v1 {
			t.Fatalf("version information %X %X", v1, v2)
		}
	}
	// codewords
	fn := functionModules(q.Version)
	var bits []byte
	walk(n, fn, func(x, y int) {
		b := byte(get(x, y))
		if masked(mask, x, y) {
			b ^= 1
		}
		bits = append(bits, b)
	})
	e := ecM[q.Version]
	total := dataCodewords(q.Version) + (e.n1+e.n2)*e.ec
	if len(bits) < total*8 || len(bits)-total*8 > 7 {
		t.Fatalf("%d data modules for %d codewords", len(bits), total)
	}
	cw := make([]byte, total)
	for i := range total * 8 {
		cw[i/8] |= bits[i] << (7 - i%8)
	}
	nb := e.n1 + e.n2
	blk := make([][]byte, nb)
	k := 0
	for i := range e.d1 + 1 {
		for b := range nb {
			size := e.d1
			if b >= e.n1 {
				size = e.d2
			}
			if i < size {
				blk[b] = append(blk[b], cw[k])
				k++
			}
		}
	}
	var data []byte
	for _, b := range blk {
		data = append(data, b...)
	}
	for range e.ec {
		for b := range nb {
			blk[b] = append(blk[b], cw[k])
			k++
		}
	}
	for b, block := range blk {
		alpha := byte(1)
		for i := range e.ec {
			s := byte(0)
			for _, c := range block {
				s = gfMul(s, alpha) ^ c
			}
			if s != 0 {
				t.Fatalf("block %d: syndrome %d = %d", b, i, s)
			}
			alpha = gfMul(alpha, 2)
		}
	}
	// the byte-mode segment
	r := bitReader{data: data}
	if mode := r.read(4); mode != 0b0100 {
		t.Fatalf("mode %04b", mode)
	}
	count := r.read(8)
	if q.Version >= 10 {
		count = count<<8 | r.read(8)
	}
	out := make([]byte, count)
	for i := range out {
		out[i] = byte(r.read(8))
	}
	return string(out)
}

type bitReader struct {
	data []byte
	pos  int
}

func (r *bitReader) read(n int) int {
	v := 0
	for range n {
		v = v<<1 | int(r.data[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

func TestQRRoundTrip(t *testing.T) {
	long := "https://whistle.example.gov.cn/portal/surveys/" + strings.Repeat("x", 160)
	for _, c := range []struct {
		text    string
		version int
	}{
		{"", 1},
		{"http://a.cn/1", 1},
		{"https://12345.example.gov.cn/portal/surveys/12", 4},                         // 46 bytes: over 3-M's 42
		{"https://12345.example.gov.cn/portal/surveys/123456?lang=en&from=poster", 5}, // 70 bytes
		{"问需于民：社区停车意见征集 https://12345.example.gov.cn/portal/surveys/7", 6},            // 85 bytes: over 5-M's 84
		{strings.Repeat("7", 150), 8},
		{strings.Repeat("z", 180), 9},
		{long, 10},
	} {
		q, err := EncodeQR(c.text)
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		if q.Version != c.version {
			t.Errorf("%d bytes: version %d, want %d", len(c.text), q.Version, c.version)
		}
		if got := decode(t, q); got != c.text {
			t.Errorf("decoded %q, want %q", got, c.text)
		}
		if svg := q.SVG(); !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "M4 4h1v1h-1z") {
			t.Errorf("svg %.80s", svg)
		}
	}
	if _, err := EncodeQR(strings.Repeat("a", 214)); err != ErrQRTooLong {
		t.Errorf("214 bytes: %v", err)
	}
	if q, err := EncodeQR(strings.Repeat("a", 213)); err != nil || q.Version != 10 || decode(t, q) != strings.Repeat("a", 213) {
		t.Errorf("213 bytes: %v", err)
	}
	// Every mask draws a readable symbol, not only the one chosen.
	for _, text := range []string{"https://12345.example.gov.cn/portal/surveys/12", strings.Repeat("m", 170)} {
		v, cw, err := qrCodewords(text)
		if err != nil {
			t.Fatal(err)
		}
		for mask := range 8 {
			q := (&QR{Version: v, Size: 17 + 4*v}).draw(cw, mask)
			if got := decode(t, q); got != text {
				t.Errorf("version %d mask %d: decoded %q", v, mask, got)
			}
		}
	}
}
