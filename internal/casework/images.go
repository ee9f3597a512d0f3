package casework

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"

	"golang.org/x/image/webp"

	"whistle/internal/errs"
)

// MaxPixels bounds an uploaded image's decoded size (width × height), read
// from its header before anything is decoded: a few hundred bytes can
// announce a picture that would take gigabytes to hold (a pixel bomb).
const MaxPixels = 40_000_000

// reencode decodes an image of type ct (as sniffed from its bytes) and
// encodes it again, and returns the new bytes and their type. Only the
// pixels survive: whatever else the file carried (EXIF and its GPS
// position, comments, bytes appended after the image, a ZIP or HTML
// document sharing the file) is gone. JPEG stays JPEG, PNG stays PNG, GIF
// becomes a PNG of its first frame, WebP becomes PNG (it may carry
// transparency). The EXIF orientation of a JPEG is applied to the pixels,
// since the tag that said it is dropped.
func reencode(ct string, data []byte) ([]byte, string, error) {
	var cfg image.Config
	var err error
	switch ct {
	case "image/jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case "image/png":
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	case "image/gif":
		cfg, err = gif.DecodeConfig(bytes.NewReader(data))
	case "image/webp":
		cfg, err = webp.DecodeConfig(bytes.NewReader(data))
	default:
		return nil, "", &errs.Error{Code: errs.InvalidImage, Field: "file", Detail: ct}
	}
	if err != nil {
		return nil, "", &errs.Error{Code: errs.InvalidImage, Field: "file", Detail: ct, Err: err}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, "", &errs.Error{Code: errs.ImageTooLarge, Field: "file", Detail: fmt.Sprintf("%d×%d", cfg.Width, cfg.Height)}
	}
	var img image.Image
	switch ct {
	case "image/jpeg":
		img, err = jpeg.Decode(bytes.NewReader(data))
	case "image/png":
		img, err = png.Decode(bytes.NewReader(data))
	case "image/gif":
		img, err = gif.Decode(bytes.NewReader(data)) // the first frame
	case "image/webp":
		img, err = webp.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", &errs.Error{Code: errs.InvalidImage, Field: "file", Detail: ct, Err: err}
	}
	var out bytes.Buffer
	if ct == "image/jpeg" {
		if o := exifOf(data).orientation; o > 1 {
			img = orient(img, o)
		}
		if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 90}); err != nil {
			return nil, "", errs.Wrap(err)
		}
		return out.Bytes(), "image/jpeg", nil
	}
	if err := png.Encode(&out, img); err != nil {
		return nil, "", errs.Wrap(err)
	}
	return out.Bytes(), "image/png", nil
}

// orient turns an image the way EXIF orientation o (2–8) says it is to be
// shown.
func orient(src image.Image, o int) image.Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	in := image.NewRGBA(image.Rect(0, 0, w, h)) // draw has a fast path from YCbCr to RGBA
	draw.Draw(in, in.Bounds(), src, b.Min, draw.Src)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			default:
				dx, dy = x, y
			}
			i, j := in.PixOffset(x, y), dst.PixOffset(dx, dy)
			copy(dst.Pix[j:j+4], in.Pix[i:i+4])
		}
	}
	return dst
}

// PhotoPoint returns the GPS position recorded in a JPEG photo's EXIF
// data, if there is a plausible one.
func PhotoPoint(data []byte) (lat, lon float64, ok bool) {
	e := exifOf(data)
	if !e.hasGPS || math.IsNaN(e.lat) || math.IsNaN(e.lon) || math.Abs(e.lat) > 90 || math.Abs(e.lon) > 180 || (e.lat == 0 && e.lon == 0) {
		return 0, 0, false
	}
	return e.lat, e.lon, true
}

type exifInfo struct {
	orientation int
	hasGPS      bool
	lat, lon    float64
}

// exifOf reads the little of a JPEG's EXIF (APP1) segment Whistle uses: the
// orientation and the GPS position. Anything malformed reads as absent.
func exifOf(data []byte) (e exifInfo) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return
	}
	p := 2
	for p+4 <= len(data) && data[p] == 0xFF {
		marker := data[p+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan: no more metadata
			return
		}
		n := int(binary.BigEndian.Uint16(data[p+2:]))
		if n < 2 || p+2+n > len(data) {
			return
		}
		seg := data[p+4 : p+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return parseTIFF(seg[6:])
		}
		p += 2 + n
	}
	return
}

func parseTIFF(t []byte) (e exifInfo) {
	if len(t) < 8 {
		return
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return
	}
	type entry struct {
		typ   uint16
		count uint32
		value []byte // the 4-byte value field
	}
	readIFD := func(off uint32) map[uint16]entry {
		if off < 8 || int64(off)+2 > int64(len(t)) {
			return nil
		}
		n := int(bo.Uint16(t[off:]))
		m := map[uint16]entry{}
		for i := 0; i < n && i < 256; i++ {
			p := int(off) + 2 + 12*i
			if p+12 > len(t) {
				break
			}
			m[bo.Uint16(t[p:])] = entry{bo.Uint16(t[p+2:]), bo.Uint32(t[p+4:]), t[p+8 : p+12]}
		}
		return m
	}
	ifd0 := readIFD(bo.Uint32(t[4:]))
	if o, ok := ifd0[0x0112]; ok && o.typ == 3 {
		if v := int(bo.Uint16(o.value)); v >= 1 && v <= 8 {
			e.orientation = v
		}
	}
	gp, ok := ifd0[0x8825]
	if !ok {
		return
	}
	gps := readIFD(bo.Uint32(gp.value))
	ref := func(tag uint16) byte {
		if r, ok := gps[tag]; ok && r.typ == 2 {
			return r.value[0]
		}
		return 0
	}
	coord := func(tag uint16) (float64, bool) {
		r, ok := gps[tag]
		if !ok || r.typ != 5 || r.count != 3 {
			return 0, false
		}
		off := int64(bo.Uint32(r.value))
		if off+24 > int64(len(t)) {
			return 0, false
		}
		var v float64
		for i, div := range []float64{1, 60, 3600} {
			num, den := bo.Uint32(t[off+int64(8*i):]), bo.Uint32(t[off+int64(8*i)+4:])
			if den == 0 {
				return 0, false
			}
			v += float64(num) / float64(den) / div
		}
		return v, true
	}
	lat, ok1 := coord(2)
	lon, ok2 := coord(4)
	if !ok1 || !ok2 {
		return
	}
	if ref(1) == 'S' {
		lat = -lat
	}
	if ref(3) == 'W' {
		lon = -lon
	}
	e.hasGPS, e.lat, e.lon = true, lat, lon
	return
}
