package insight

import (
	"reflect"
	"testing"
)

func TestTopicTitle(t *testing.T) {
	cases := []struct {
		name      string
		tp        Topic
		max       int
		title     string
		wantTitle []string
		wantRest  []string
	}{
		{
			name:      "the phrase holding most terms first",
			tp:        Topic{Terms: []string{"排气方法", "家里暖气", "气片不热", "自行排气"}, Phrases: []string{"自行排气", "家里暖气片不热", "询暖气排气方法", "预约维修"}},
			max:       2,
			title:     "家里暖气片不热、询暖气排气方法",
			wantTitle: []string{"家里暖气片不热", "询暖气排气方法"},
			wantRest:  []string{"自行排气", "预约维修"},
		},
		{
			name:      "a piece cut mid-word makes way for the phrase that holds it",
			tp:        Topic{Terms: []string{"号楼的居", "楼的居民", "的居民反", "居民反映"}, Phrases: []string{"号楼的居", "楼的居民反映", "停水"}},
			title:     "楼的居民反映、停水",
			wantTitle: []string{"楼的居民反映", "停水"},
			wantRest:  []string{"号楼的居"},
		},
		{
			name:      "ties: the strongest term, then the longest, then the text",
			tp:        Topic{Terms: []string{"飞线充电", "电动自行", "起火后果"}, Phrases: []string{"起火后果", "电动自行", "飞线充电"}},
			max:       3,
			title:     "飞线充电、电动自行、起火后果",
			wantTitle: []string{"飞线充电", "电动自行", "起火后果"},
		},
		{
			name:      "no phrases: the terms",
			tp:        Topic{Terms: []string{"共享单车", "单车乱停"}},
			max:       1,
			title:     "共享单车",
			wantTitle: []string{"共享单车"},
			wantRest:  []string{"单车乱停"},
		},
		{
			name:      "every phrase a fragment: the best one still names the topic",
			tp:        Topic{Terms: []string{"期整栋楼"}, Phrases: []string{"期整栋楼"}},
			title:     "期整栋楼",
			wantTitle: []string{"期整栋楼"},
		},
		{name: "empty", tp: Topic{}, title: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tp.Title(tc.max); got != tc.title {
				t.Errorf("Title(%d) = %q, want %q", tc.max, got, tc.title)
			}
			title, rest := tc.tp.TitleParts(tc.max)
			if !reflect.DeepEqual(title, tc.wantTitle) || !reflect.DeepEqual(rest, tc.wantRest) {
				t.Errorf("TitleParts(%d) = %q, %q; want %q, %q", tc.max, title, rest, tc.wantTitle, tc.wantRest)
			}
		})
	}
}
