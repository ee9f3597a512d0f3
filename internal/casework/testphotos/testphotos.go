// Package testphotos builds crafted image files for tests: pictures with
// EXIF orientation and GPS segments, polyglots, pixel bombs.
package testphotos

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
)

// Picture is a w×h picture, red in its top-left pixel, blue elsewhere.
func Picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{0, 0, 255, 255})
		}
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	return img
}

// JPEG encodes img.
func JPEG(img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// PNG encodes img.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// EXIF builds a big-endian EXIF APP1 segment with an orientation (0 =
// none) and, if gps, a GPS position of lat, lon (degrees, minutes, seconds
// as rationals, with N/S and E/W references).
func EXIF(orientation int, gps bool, lat, lon float64) []byte {
	be := binary.BigEndian
	var t []byte
	u16 := func(v int) { t = be.AppendUint16(t, uint16(v)) }
	u32 := func(v int) { t = be.AppendUint32(t, uint32(v)) }
	n0 := 0
	if orientation > 0 {
		n0++
	}
	if gps {
		n0++
	}
	t = append(t, "MM\x00\x2a"...)
	u32(8)
	ifd0End := 8 + 2 + 12*n0 + 4
	gpsIFD := ifd0End
	gpsEnd := gpsIFD + 2 + 12*4 + 4
	u16(n0)
	if orientation > 0 {
		u16(0x0112)
		u16(3)
		u32(1)
		u16(orientation)
		u16(0)
	}
	if gps {
		u16(0x8825)
		u16(4)
		u32(1)
		u32(gpsIFD)
	}
	u32(0) // no next IFD
	if gps {
		latRef, lonRef := "N", "E"
		if lat < 0 {
			latRef, lat = "S", -lat
		}
		if lon < 0 {
			lonRef, lon = "W", -lon
		}
		u16(4)
		u16(1) // GPSLatitudeRef
		u16(2)
		u32(2)
		t = append(t, latRef[0], 0, 0, 0)
		u16(2) // GPSLatitude
		u16(5)
		u32(3)
		u32(gpsEnd)
		u16(3) // GPSLongitudeRef
		u16(2)
		u32(2)
		t = append(t, lonRef[0], 0, 0, 0)
		u16(4) // GPSLongitude
		u16(5)
		u32(3)
		u32(gpsEnd + 24)
		u32(0)
		for _, v := range []float64{lat, lon} {
			d := math.Floor(v)
			m := math.Floor((v - d) * 60)
			s := ((v-d)*60 - m) * 60
			u32(int(d))
			u32(1)
			u32(int(m))
			u32(1)
			u32(int(math.Round(s * 10000)))
			u32(10000)
		}
	}
	body := append([]byte("Exif\x00\x00"), t...)
	seg := []byte{0xFF, 0xE1}
	seg = be.AppendUint16(seg, uint16(len(body)+2))
	return append(seg, body...)
}

// WithAPP1 puts an APP1 segment right after a JPEG's SOI marker.
func WithAPP1(jpg, app1 []byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	return append(out, jpg[2:]...)
}

// Chunk encodes one PNG chunk.
func Chunk(typ string, data []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// GPSJPEG is a w×h JPEG photo taken at lat, lon (EXIF GPS).
func GPSJPEG(w, h int, lat, lon float64) []byte {
	return WithAPP1(JPEG(Picture(w, h)), EXIF(0, true, lat, lon))
}

// ZipPolyglot is a JPEG picture with a ZIP archive (holding an HTML page)
// appended: a valid picture and a valid archive at once.
func ZipPolyglot(w, h int) []byte {
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	f, _ := zw.Create("index.html")
	f.Write([]byte("<html><script>alert(document.cookie)</script></html>"))
	zw.Close()
	return append(JPEG(Picture(w, h)), zb.Bytes()...)
}

// PNGBomb is a PNG whose header announces w×h pixels, in a few dozen bytes.
func PNGBomb(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	bomb := append([]byte("\x89PNG\r\n\x1a\n"), Chunk("IHDR", ihdr)...)
	bomb = append(bomb, Chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(bomb, Chunk("IEND", nil)...)
}
