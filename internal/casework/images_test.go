package casework

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"strings"
	"testing"

	"whistle/internal/casework/testphotos"
	"whistle/internal/errs"
)

func TestReencodeDropsMetadataAndKeepsGPSOnlyOnRequest(t *testing.T) {
	jpg := testphotos.WithAPP1(testphotos.JPEG(testphotos.Picture(16, 8)), testphotos.EXIF(0, true, 39.9042, 116.4074))
	lat, lon, ok := PhotoPoint(jpg)
	if !ok || math.Abs(lat-39.9042) > 1e-4 || math.Abs(lon-116.4074) > 1e-4 {
		t.Fatalf("PhotoPoint = %v, %v, %v", lat, lon, ok)
	}
	south := testphotos.WithAPP1(testphotos.JPEG(testphotos.Picture(4, 4)), testphotos.EXIF(0, true, -33.8688, -70.5))
	if lat, lon, ok := PhotoPoint(south); !ok || lat > -33 || lon > -70 {
		t.Fatalf("southern, western PhotoPoint = %v, %v, %v", lat, lon, ok)
	}
	out, ct, err := reencode("image/jpeg", jpg)
	if err != nil || ct != "image/jpeg" {
		t.Fatalf("reencode: %q, %v", ct, err)
	}
	if bytes.Contains(out, []byte("Exif")) {
		t.Fatal("the EXIF segment survived re-encoding")
	}
	if _, _, ok := PhotoPoint(out); ok {
		t.Fatal("the stored photo still has a GPS position")
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil || img.Bounds().Dx() != 16 || img.Bounds().Dy() != 8 {
		t.Fatalf("stored photo: %v, %v", img.Bounds(), err)
	}
	// A malformed EXIF segment (offsets out of range) is no position and
	// no panic.
	bad := testphotos.EXIF(0, true, 10, 10)
	binary.BigEndian.PutUint32(bad[len(bad)-60:], 0xFFFFFFF0)
	if _, _, ok := PhotoPoint(testphotos.WithAPP1(testphotos.JPEG(testphotos.Picture(4, 4)), bad[:len(bad)-20])); ok {
		t.Fatal("a truncated EXIF segment gave a position")
	}
}

func TestReencodeRemovesPolyglotPayloads(t *testing.T) {
	// A JPEG with a ZIP archive (holding an HTML page) appended: a valid
	// picture and a valid archive at once.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	f, _ := zw.Create("index.html")
	f.Write([]byte("<html><script>alert(document.cookie)</script></html>"))
	zw.Close()
	poly := append(testphotos.JPEG(testphotos.Picture(8, 8)), zb.Bytes()...)
	if _, err := zip.NewReader(bytes.NewReader(poly), int64(len(poly))); err != nil {
		t.Fatalf("the crafted polyglot is not a ZIP: %v", err)
	}
	out, ct, err := reencode("image/jpeg", poly)
	if err != nil || ct != "image/jpeg" {
		t.Fatalf("reencode polyglot: %q, %v", ct, err)
	}
	if bytes.Contains(out, []byte("PK\x03\x04")) || bytes.Contains(out, []byte("index.html")) {
		t.Fatal("the ZIP survived re-encoding")
	}
	if _, err := zip.NewReader(bytes.NewReader(out), int64(len(out))); err == nil {
		t.Fatal("the stored photo still opens as a ZIP")
	}

	// A PNG with an HTML page after its end.
	html := "<html><body><script>alert(1)</script></body></html>"
	p := append(testphotos.PNG(testphotos.Picture(5, 3)), html...)
	out, ct, err = reencode("image/png", p)
	if err != nil || ct != "image/png" || bytes.Contains(out, []byte("<script")) {
		t.Fatalf("reencode PNG+HTML: %q, %v, script kept: %v", ct, err, bytes.Contains(out, []byte("<script")))
	}
	if !bytes.HasSuffix(out, testphotos.Chunk("IEND", nil)) {
		t.Fatal("the stored PNG does not end at IEND")
	}
}

func TestReencodeRefusesBombsAndNonImages(t *testing.T) {
	// A PNG whose header announces 100 000 × 100 000 pixels (40 GB
	// decoded) in a few dozen bytes.
	ihdr := binary.BigEndian.AppendUint32(nil, 100000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 100000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	bomb := append([]byte("\x89PNG\r\n\x1a\n"), testphotos.Chunk("IHDR", ihdr)...)
	bomb = append(bomb, testphotos.Chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	bomb = append(bomb, testphotos.Chunk("IEND", nil)...)
	if _, _, err := reencode("image/png", bomb); errs.CodeOf(err) != errs.ImageTooLarge || errs.Status(errs.CodeOf(err)) != 422 {
		t.Fatalf("pixel bomb: %v", err)
	}
	// A JPEG whose frame header claims 60 000 × 60 000.
	j := testphotos.JPEG(testphotos.Picture(8, 8))
	i := bytes.Index(j, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 in the test JPEG")
	}
	binary.BigEndian.PutUint16(j[i+5:], 60000)
	binary.BigEndian.PutUint16(j[i+7:], 60000)
	if _, _, err := reencode("image/jpeg", j); errs.CodeOf(err) != errs.ImageTooLarge {
		t.Fatalf("JPEG pixel bomb: %v", err)
	}
	// Bytes that sniff as an image but do not decode.
	if _, _, err := reencode("image/jpeg", []byte("\xFF\xD8\xFF\xE0 not really a jpeg")); errs.CodeOf(err) != errs.InvalidImage || errs.Status(errs.CodeOf(err)) != 422 {
		t.Fatalf("broken JPEG: %v", err)
	}
	if _, _, err := reencode("text/html", []byte("<html>")); errs.CodeOf(err) != errs.InvalidImage {
		t.Fatalf("HTML: %v", err)
	}
}

func TestReencodeFormats(t *testing.T) {
	// GIF: the first frame, as PNG.
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}}
	f1, f2 := image.NewPaletted(image.Rect(0, 0, 3, 2), pal), image.NewPaletted(image.Rect(0, 0, 3, 2), pal)
	for i := range f2.Pix {
		f2.Pix[i] = 1
	}
	var gb bytes.Buffer
	if err := gif.EncodeAll(&gb, &gif.GIF{Image: []*image.Paletted{f1, f2}, Delay: []int{10, 10}}); err != nil {
		t.Fatal(err)
	}
	out, ct, err := reencode("image/gif", gb.Bytes())
	if err != nil || ct != "image/png" {
		t.Fatalf("GIF: %q, %v", ct, err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, _ := img.At(1, 1).RGBA(); r>>8 != 255 {
		t.Fatalf("GIF: not the first frame: %v", img.At(1, 1))
	}
	// WebP (a 1×1 lossless picture): PNG.
	wp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if out, ct, err := reencode("image/webp", wp); err != nil || ct != "image/png" || !bytes.HasPrefix(out, []byte("\x89PNG")) {
		t.Fatalf("WebP: %q, %v", ct, err)
	}
	// EXIF orientation 6 (turn clockwise): a 32×16 photo is stored 16×32
	// with its top-left corner at the top right.
	pic := testphotos.Picture(32, 16)
	for y := range 8 {
		for x := range 8 {
			pic.Set(x, y, color.RGBA{255, 0, 0, 255})
		}
	}
	j := testphotos.WithAPP1(testphotos.JPEG(pic), testphotos.EXIF(6, false, 0, 0))
	out, _, err = reencode("image/jpeg", j)
	if err != nil {
		t.Fatal(err)
	}
	img, err = jpeg.Decode(bytes.NewReader(out))
	if err != nil || img.Bounds().Dx() != 16 || img.Bounds().Dy() != 32 {
		t.Fatalf("orientation 6: %v, %v", img.Bounds(), err)
	}
	if r, _, b, _ := img.At(12, 4).RGBA(); r>>8 < 200 || b>>8 > 60 {
		t.Fatalf("orientation 6: top right is %v, want red", img.At(12, 4))
	}
	if strings.Contains(string(out), "Exif") {
		t.Fatal("orientation tag kept")
	}
}

// BenchmarkReencode12MP: a 12-megapixel phone photo (4000×3000) with EXIF,
// decoded and encoded again as an upload is.
func BenchmarkReencode12MP(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	for y := range 3000 {
		for x := range 4000 {
			img.SetRGBA(x, y, color.RGBA{uint8(x / 16), uint8(y / 12), uint8((x + y) % 256), 255})
		}
	}
	jpg := testphotos.WithAPP1(testphotos.JPEG(img), testphotos.EXIF(6, true, 39.9, 116.4))
	b.SetBytes(int64(len(jpg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := reencode("image/jpeg", jpg); err != nil {
			b.Fatal(err)
		}
	}
}
