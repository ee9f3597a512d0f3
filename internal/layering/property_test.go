package layering

// Issue #15, property services (物业): the compound rules are a domain
// package, the property service an application package.
func init() {
	domain = append(domain, "compound")
	application = append(application, "property")
}
