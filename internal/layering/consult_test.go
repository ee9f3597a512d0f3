package layering

// Issue #15 (问需于民, 项目制): the rules of surveys, practical matters and
// projects are a domain package; the participation service is an
// application package.
func init() {
	domain = append(domain, "consult")
	application = append(application, "participation")
}
