package layering

// Issue #16, forecasts for 未诉先办: the method and its back-test are a
// domain package, the forecasts as the workbench and the screen use them an
// application package.
func init() {
	domain = append(domain, "forecast")
	application = append(application, "forecasting")
}
