package consult

import (
	"errors"
	"fmt"
	"strings"
)

// A small QR code encoder (ISO/IEC 18004) for the survey posters: byte
// mode, error correction level M, versions 1–10 (up to 213 bytes), the
// mask chosen by the standard's penalty rules. The survey's address is all
// it ever encodes.

// QR is an encoded symbol: Size × Size modules, true is dark.
type QR struct {
	Version int
	Mask    int
	Size    int
	Modules [][]bool // [row][column]
}

// ecM is, per version 1–10, level M's error-correction codewords per
// block and its blocks: count × data codewords (two groups).
var ecM = [11]struct {
	ec         int
	n1, d1     int
	n2, d2     int
	alignments []int
}{
	{},
	{10, 1, 16, 0, 0, nil},
	{16, 1, 28, 0, 0, []int{6, 18}},
	{26, 1, 44, 0, 0, []int{6, 22}},
	{18, 2, 32, 0, 0, []int{6, 26}},
	{24, 2, 43, 0, 0, []int{6, 30}},
	{16, 4, 27, 0, 0, []int{6, 34}},
	{18, 4, 31, 0, 0, []int{6, 22, 38}},
	{22, 2, 38, 2, 39, []int{6, 24, 42}},
	{22, 3, 36, 2, 37, []int{6, 26, 46}},
	{26, 4, 43, 1, 44, []int{6, 28, 50}},
}

// ErrQRTooLong: the text does not fit version 10 at level M.
var ErrQRTooLong = errors.New("qr: more than 213 bytes")

func dataCodewords(v int) int { e := ecM[v]; return e.n1*e.d1 + e.n2*e.d2 }

// EncodeQR encodes text in byte mode at level M in the smallest version.
func EncodeQR(text string) (*QR, error) {
	v, codewords, err := qrCodewords(text)
	if err != nil {
		return nil, err
	}
	q := &QR{Version: v, Size: 17 + 4*v}
	best := -1
	for mask := range 8 {
		c := q.draw(codewords, mask)
		if p := c.penalty(); best < 0 || p < best {
			best, *q = p, *c
		}
	}
	return q, nil
}

// qrCodewords chooses the version and returns the interleaved data and
// error-correction codewords.
func qrCodewords(text string) (int, []byte, error) {
	data := []byte(text)
	v := 1
	for ; v <= 10; v++ {
		countBits := 8
		if v >= 10 {
			countBits = 16
		}
		if 4+countBits+8*len(data) <= 8*dataCodewords(v) {
			break
		}
	}
	if v > 10 {
		return 0, nil, ErrQRTooLong
	}
	// The bit stream: mode, count, bytes, terminator, padding.
	var bits []bool
	put := func(val, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, val>>i&1 == 1)
		}
	}
	put(0b0100, 4)
	if v >= 10 {
		put(len(data), 16)
	} else {
		put(len(data), 8)
	}
	for _, b := range data {
		put(int(b), 8)
	}
	capBits := 8 * dataCodewords(v)
	put(0, min(4, capBits-len(bits)))
	put(0, (8-len(bits)%8)%8)
	for pad := 0xEC; len(bits) < capBits; pad ^= 0xEC ^ 0x11 {
		put(pad, 8)
	}
	cw := make([]byte, len(bits)/8)
	for i, b := range bits {
		if b {
			cw[i/8] |= 0x80 >> (i % 8)
		}
	}
	return v, interleave(v, cw), nil
}

// blocks splits the data codewords into the version's blocks.
func blocks(v int, data []byte) [][]byte {
	e := ecM[v]
	var out [][]byte
	for i := range e.n1 + e.n2 {
		n := e.d1
		if i >= e.n1 {
			n = e.d2
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// interleave adds each block's error correction and interleaves the
// blocks' data, then their error correction.
func interleave(v int, data []byte) []byte {
	bs := blocks(v, data)
	div := rsDivisor(ecM[v].ec)
	var ecs [][]byte
	for _, b := range bs {
		ecs = append(ecs, rsRemainder(b, div))
	}
	var out []byte
	for i := range ecM[v].d1 + 1 {
		for _, b := range bs {
			if i < len(b) {
				out = append(out, b[i])
			}
		}
	}
	for i := range ecM[v].ec {
		for _, e := range ecs {
			out = append(out, e[i])
		}
	}
	return out
}

// gfMul multiplies in GF(2⁸) modulo x⁸+x⁴+x³+x²+1.
func gfMul(x, y byte) byte {
	var z int
	for i := 7; i >= 0; i-- {
		z = z<<1 ^ (z>>7)*0x11D
		z ^= int(y>>i&1) * int(x)
	}
	return byte(z)
}

// rsDivisor is the generator polynomial (x−α⁰)…(x−α^(n−1)), highest
// coefficient (1) left out.
func rsDivisor(n int) []byte {
	r := make([]byte, n)
	r[n-1] = 1
	root := byte(1)
	for range n {
		for j := range n {
			r[j] = gfMul(r[j], root)
			if j+1 < n {
				r[j] ^= r[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return r
}

func rsRemainder(data, div []byte) []byte {
	r := make([]byte, len(div))
	for _, b := range data {
		f := b ^ r[0]
		copy(r, r[1:])
		r[len(r)-1] = 0
		for i := range r {
			r[i] ^= gfMul(div[i], f)
		}
	}
	return r
}

// draw places the function patterns, the codewords under mask and the
// format (and version) information.
func (q *QR) draw(codewords []byte, mask int) *QR {
	n := q.Size
	c := &QR{Version: q.Version, Mask: mask, Size: n, Modules: make([][]bool, n)}
	fn := functionModules(q.Version)
	for y := range n {
		c.Modules[y] = make([]bool, n)
	}
	set := func(x, y int, dark bool) { c.Modules[y][x] = dark }
	for i := range n {
		set(6, i, i%2 == 0)
		set(i, 6, i%2 == 0)
	}
	for _, f := range [][2]int{{3, 3}, {n - 4, 3}, {3, n - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := f[0]+dx, f[1]+dy
				if x >= 0 && x < n && y >= 0 && y < n {
					d := max(abs(dx), abs(dy))
					set(x, y, d != 2 && d != 4)
				}
			}
		}
	}
	for _, a := range alignments(q.Version) {
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				set(a[0]+dx, a[1]+dy, max(abs(dx), abs(dy)) != 1)
			}
		}
	}
	i := 0
	walk(n, fn, func(x, y int) {
		if i < len(codewords)*8 {
			set(x, y, codewords[i>>3]>>(7-i&7)&1 == 1)
		}
		i++
	})
	for y := range n {
		for x := range n {
			if !fn[y][x] && masked(mask, x, y) {
				c.Modules[y][x] = !c.Modules[y][x]
			}
		}
	}
	bits := formatBits(mask)
	for i := range 6 {
		set(8, i, bits>>i&1 == 1)
	}
	set(8, 7, bits>>6&1 == 1)
	set(8, 8, bits>>7&1 == 1)
	set(7, 8, bits>>8&1 == 1)
	for i := 9; i < 15; i++ {
		set(14-i, 8, bits>>i&1 == 1)
	}
	for i := range 8 {
		set(n-1-i, 8, bits>>i&1 == 1)
	}
	for i := 8; i < 15; i++ {
		set(8, n-15+i, bits>>i&1 == 1)
	}
	set(8, n-8, true) // the dark module
	if q.Version >= 7 {
		vb := versionBits(q.Version)
		for i := range 18 {
			a, b := n-11+i%3, i/3
			set(a, b, vb>>i&1 == 1)
			set(b, a, vb>>i&1 == 1)
		}
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// alignments lists the alignment patterns' centres (x, y), those
// overlapping the finders left out.
func alignments(v int) [][2]int {
	ps := ecM[v].alignments
	var out [][2]int
	for i, x := range ps {
		for j, y := range ps {
			if (i == 0 && j == 0) || (i == 0 && j == len(ps)-1) || (i == len(ps)-1 && j == 0) {
				continue
			}
			out = append(out, [2]int{x, y})
		}
	}
	return out
}

// functionModules marks the modules that hold no data: finders with
// their separators and format areas, timing, alignment, version areas.
func functionModules(v int) [][]bool {
	n := 17 + 4*v
	fn := make([][]bool, n)
	for y := range n {
		fn[y] = make([]bool, n)
	}
	rect := func(x0, y0, w, h int) {
		for y := y0; y < y0+h; y++ {
			for x := x0; x < x0+w; x++ {
				fn[y][x] = true
			}
		}
	}
	rect(0, 0, 9, 9)
	rect(n-8, 0, 8, 9)
	rect(0, n-8, 9, 8)
	rect(6, 0, 1, n)
	rect(0, 6, n, 1)
	for _, a := range alignments(v) {
		rect(a[0]-2, a[1]-2, 5, 5)
	}
	if v >= 7 {
		rect(n-11, 0, 3, 6)
		rect(0, n-11, 6, 3)
	}
	return fn
}

// walk visits the data modules in placement order: two-column strips
// from the right, up and down in turn, skipping the vertical timing line.
func walk(n int, fn [][]bool, visit func(x, y int)) {
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := range n {
			for j := range 2 {
				x := right - j
				y := vert
				if (right+1)&2 == 0 {
					y = n - 1 - vert
				}
				if !fn[y][x] {
					visit(x, y)
				}
			}
		}
	}
}

func masked(mask, x, y int) bool {
	switch mask {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

// formatBits is level M's (00) format information for mask, with its BCH
// bits and the standard's XOR mask.
func formatBits(mask int) int {
	data := 0<<3 | mask
	r := data
	for range 10 {
		r = r<<1 ^ (r>>9)*0x537
	}
	return (data<<10 | r) ^ 0x5412
}

func versionBits(v int) int {
	r := v
	for range 12 {
		r = r<<1 ^ (r>>11)*0x1F25
	}
	return v<<12 | r
}

// penalty scores a masked symbol by the standard's four rules; the mask
// with the lowest score is used.
func (q *QR) penalty() int {
	n, m := q.Size, q.Modules
	at := func(x, y int, row bool) bool {
		if row {
			return m[y][x]
		}
		return m[x][y]
	}
	p := 0
	for _, row := range []bool{true, false} {
		for y := range n {
			run := 1
			for x := 1; x <= n; x++ {
				if x < n && at(x, y, row) == at(x-1, y, row) {
					run++
					continue
				}
				if run >= 5 {
					p += 3 + run - 5
				}
				run = 1
			}
			// 1:1:3:1:1 with four light modules on one side
			for x := 0; x+11 <= n; x++ {
				var s strings.Builder
				for k := range 11 {
					if at(x+k, y, row) {
						s.WriteByte('1')
					} else {
						s.WriteByte('0')
					}
				}
				if v := s.String(); v == "10111010000" || v == "00001011101" {
					p += 40
				}
			}
		}
	}
	dark := 0
	for y := range n {
		for x := range n {
			if m[y][x] {
				dark++
			}
			if x+1 < n && y+1 < n && m[y][x] == m[y][x+1] && m[y][x] == m[y+1][x] && m[y][x] == m[y+1][x+1] {
				p += 3
			}
		}
	}
	k := (abs(dark*20-n*n*10) + n*n - 1) / (n * n)
	return p + (k-1)*10*btoi(k > 0)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SVG draws the symbol with a quiet zone of four modules, scalable.
func (q *QR) SVG() string {
	var b strings.Builder
	w := q.Size + 8
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, w, w, w, w)
	for y, row := range q.Modules {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
