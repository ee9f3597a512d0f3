package retention

import "testing"

func TestRedact(t *testing.T) {
	const X = Redacted
	cases := []struct{ in, name, want string }{
		{"电话13912345678", "", "电话" + X},
		{"电话 139 1234 5678 或 139-1234-5678", "", "电话 " + X + " 或 " + X},
		{"+86 13912345678", "", X},
		{"身份证11010119900307123X，另一个110101198001011234", "", "身份证" + X + "，另一个" + X},
		{"座机010-65123456，本地6512-3456，总机 65123456", "", "座机" + X + "，本地" + X + "，总机 " + X},
		{"邮箱 wang.xm+1@example.com.cn", "", "邮箱 " + X},
		{"王小明反映，王先生说王女士也知道", "王小明", X + "反映，" + X + "说" + X + "也知道"},
		{"小明不变", "王小明", "小明不变"},
		{"王五", "王", "王五"}, // one-character names are not searched
		// kept: dates, times, amounts, house numbers, short numbers
		{"2026-03-11 09:30 罚款200元，12号楼3单元601，共1234567元以下", "", "2026-03-11 09:30 罚款200元，12号楼3单元601，共" + X + "元以下"},
		{"", "王小明", ""},
	}
	for _, c := range cases {
		if got := Redact(c.in, c.name); got != c.want {
			t.Errorf("Redact(%q, %q) = %q, want %q", c.in, c.name, got, c.want)
		}
	}
}
