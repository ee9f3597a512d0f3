package layering

// 议事协商 (issue #15): the rules are a domain package, the workflow an
// application package. Kept in a file of its own so that the lists above
// stay as they are.
func init() {
	domain = append(domain, "deliberation")
	application = append(application, "deliberations")
}
