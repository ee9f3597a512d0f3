package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"whistle/internal/org"
)

// TestAuditPageReadable: the audit log names who acted, says what was done
// in words and lists what changed with labels — not ids, codes and JSON.
func TestAuditPageReadable(t *testing.T) {
	s := newSite(t)
	admin := s.client(org.RoleAdmin)
	var dept org.Unit
	for _, u := range s.app.Svc.UnitsList() {
		if u.Kind == org.KindDistrictCentre {
			dept = u
			break
		}
	}
	res, err := admin.PostForm(s.base+"/admin/units", url.Values{"code": {"AUDIT-T1"}, "name": {"审计测试科"}, "kind": {org.KindDepartment}, "place_id": {fmt.Sprint(dept.PlaceID)}, "supervisor_id": {fmt.Sprint(dept.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	if body(t, res); res.StatusCode != 200 {
		t.Fatalf("create unit: %d", res.StatusCode)
	}
	u, _, err := s.app.Svc.St.UserByName(t.Context(), s.logins[org.RoleAdmin])
	if err != nil {
		t.Fatal(err)
	}
	res, _ = admin.Get(s.base + "/admin/audit")
	page := body(t, res)
	row := ""
	for _, r := range strings.Split(page, "<tr>") {
		if strings.Contains(r, "审计测试科") {
			row = r
			break
		}
	}
	if row == "" {
		t.Fatalf("the audit log does not show the new unit:\n%s", page[:min(len(page), 3000)])
	}
	for _, want := range []string{u.DisplayName, "新增单位", "<dt>名称</dt><dd>审计测试科</dd>", "<dt>编码</dt><dd>AUDIT-T1</dd>", "单位 审计测试科"} {
		if !strings.Contains(row, want) {
			t.Errorf("audit row lacks %q:\n%s", want, row)
		}
	}
	for _, raw := range []string{`{&#34;code&#34;`, `>create_unit<`} {
		if strings.Contains(row, raw) {
			t.Errorf("audit row shows raw %q:\n%s", raw, row)
		}
	}
	// In English too.
	res, _ = admin.Get(s.base + "/admin/audit?lang=en")
	if page := body(t, res); !strings.Contains(page, "Unit created") || !strings.Contains(page, "<dt>Name</dt><dd>审计测试科</dd>") {
		t.Errorf("the English audit log has no readable action and detail")
	}
}
