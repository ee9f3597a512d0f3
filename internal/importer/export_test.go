package importer

// SetWindowText sets the text bound of a window for a test and returns
// the function that puts it back.
func SetWindowText(n int) (restore func()) {
	old := windowText
	windowText = n
	return func() { windowText = old }
}
