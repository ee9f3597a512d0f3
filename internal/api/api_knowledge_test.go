package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"whistle/internal/audit"
	"whistle/internal/dispatch"
	"whistle/internal/errs"
	"whistle/internal/knowledge"
	"whistle/internal/services"
)

type kbHits struct {
	Hits []struct {
		Article knowledge.Article `json:"article"`
		Score   float64           `json:"score"`
	} `json:"hits"`
}

func (h kbHits) ids() []int64 {
	var out []int64
	for _, x := range h.Hits {
		out = append(out, x.Article.ID)
	}
	return out
}

func (h kbHits) has(id int64) bool {
	for _, x := range h.Hits {
		if x.Article.ID == id {
			return true
		}
	}
	return false
}

func (e *apiEnv) kbSearch(user, query string) kbHits {
	e.t.Helper()
	var h kbHits
	apiWant(e.t, e.apiDo(user, "GET", "/api/v1/knowledge?"+query, nil), 200, &h)
	return h
}

func knowledgeTestCRUDSearch(e *apiEnv) {
	t := e.t
	// the demo articles, searched in Chinese without spaces
	h := e.kbSearch(e.handlerA, "q="+url.QueryEscape("今年什么时候开始供暖？"))
	if len(h.Hits) == 0 || h.Hits[0].Article.Title != "供暖季起止时间" {
		t.Fatalf("heating search: %+v", h)
	}
	var sug kbHits
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/knowledge/suggest", map[string]any{"text": "孩子今年满六岁，不是本市户籍，上小学要准备哪些材料", "category": "education.enroll"}), 200, &sug)
	if len(sug.Hits) == 0 || sug.Hits[0].Article.Title != "非本市户籍适龄儿童小学入学" {
		t.Fatalf("suggest: %+v", sug)
	}
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/knowledge/suggest", map[string]any{"text": "上小学要准备哪些材料", "category": "heating.fee"}), 200, &sug)
	for _, x := range sug.Hits {
		if x.Article.Title == "非本市户籍适龄儿童小学入学" {
			t.Fatalf("category filter ignored: %+v", sug)
		}
	}

	// create, with validity dates
	now := e.app.Svc.Now()
	in := map[string]any{"title": "冬季清雪铲冰责任划分", "body": "门前三包：临街单位和商户负责门前人行道的清雪铲冰，主干道由环卫作业单位负责，小区内由物业负责。",
		"categories": []string{"urban.garbage"}, "valid_from": now.Add(-time.Hour), "owner_unit_id": e.streetA.ID}
	apiRefused(t, e.apiDo(e.handlerA, "POST", "/api/v1/knowledge", in), 403, errs.Forbidden)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/knowledge", map[string]any{"body": "x"}), 422, errs.FieldRequired)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/knowledge", map[string]any{"title": "t", "body": "b", "categories": []string{"nope"}}), 422, errs.UnknownCategory)
	apiRefused(t, e.apiDo(e.agent, "POST", "/api/v1/knowledge", map[string]any{"title": "t", "body": "b", "valid_from": now, "valid_to": now.Add(-time.Hour)}), 422, errs.Invalid)
	var art knowledge.Article
	r := e.apiDo(e.agent, "POST", "/api/v1/knowledge", in)
	apiWant(t, r, 201, &art)
	if art.ID == 0 || art.Version != 1 || r.Header.Get("Location") != fmt.Sprintf("/api/v1/knowledge/%d", art.ID) {
		t.Fatalf("created %+v %v", art, r.Header)
	}
	if h := e.kbSearch(e.agent, "q="+url.QueryEscape("下雪了门口的人行道谁负责铲冰")); len(h.Hits) == 0 || h.Hits[0].Article.ID != art.ID {
		t.Fatalf("search for the new article: %v", h.ids())
	}
	// an expired one: not found now, found at a past instant or with all=true
	var old knowledge.Article
	apiWant(t, e.apiDo(e.admin, "POST", "/api/v1/knowledge", map[string]any{"title": "2024年冬季清雪铲冰临时安排", "body": "2024年冬季降雪期间，清雪铲冰临时由街道统一组织。",
		"valid_from": now.AddDate(-2, 0, 0), "valid_to": now.AddDate(-1, 0, 0)}), 201, &old)
	q := url.QueryEscape("清雪铲冰")
	if h := e.kbSearch(e.agent, "q="+q); h.has(old.ID) || !h.has(art.ID) {
		t.Fatalf("validity now: %v", h.ids())
	}
	if h := e.kbSearch(e.agent, "q="+q+"&at="+now.AddDate(-1, -6, 0).Format("2006-01-02")); !h.has(old.ID) || h.has(art.ID) {
		t.Fatalf("validity in the past: %v", h.ids())
	}
	if h := e.kbSearch(e.agent, "q="+q+"&all=true"); !h.has(old.ID) || !h.has(art.ID) {
		t.Fatalf("all: %v", h.ids())
	}
	if h := e.kbSearch(e.agent, "q="+q+"&category=heating.fee"); h.has(art.ID) {
		t.Fatalf("category: %v", h.ids())
	}
	if h := e.kbSearch(e.agent, "limit=3"); len(h.Hits) != 3 || h.Hits[0].Article.ID != art.ID {
		t.Fatalf("listing without q: %v", h.ids())
	}
	apiRefused(t, e.apiDo(e.agent, "GET", "/api/v1/knowledge?at=soon", nil), 422, errs.Invalid)

	// update with the version edited; a stale one conflicts
	in["body"] = in["body"].(string) + "积雪应在雪停后24小时内清除。"
	in["version"] = 1
	var upd knowledge.Article
	apiWant(t, e.apiDo(e.agent, "PUT", fmt.Sprintf("/api/v1/knowledge/%d", art.ID), in), 200, &upd)
	if upd.Version != 2 {
		t.Fatalf("updated %+v", upd)
	}
	apiRefused(t, e.apiDo(e.agent, "PUT", fmt.Sprintf("/api/v1/knowledge/%d", art.ID), in), 409, errs.Conflict)
	if h := e.kbSearch(e.agent, "q="+url.QueryEscape("雪停后多久清除积雪")); len(h.Hits) == 0 || h.Hits[0].Article.Version != 2 {
		t.Fatalf("index not rebuilt after update: %+v", h)
	}
	var got knowledge.Article
	apiWant(t, e.apiDo(e.handlerB, "GET", fmt.Sprintf("/api/v1/knowledge/%d", art.ID), nil), 200, &got)
	if got.Version != 2 || got.OwnerUnitID != e.streetA.ID {
		t.Fatalf("get %+v", got)
	}

	// delete: gone from search and get; audited
	apiRefused(t, e.apiDo(e.handlerA, "DELETE", fmt.Sprintf("/api/v1/knowledge/%d", old.ID), nil), 403, errs.Forbidden)
	if r := e.apiDo(e.admin, "DELETE", fmt.Sprintf("/api/v1/knowledge/%d", old.ID), nil); r.Status != 204 {
		t.Fatalf("delete: %v", r)
	}
	apiRefused(t, e.apiDo(e.agent, "GET", fmt.Sprintf("/api/v1/knowledge/%d", old.ID), nil), 404, errs.NotFound)
	if h := e.kbSearch(e.agent, "q="+q+"&all=true"); h.has(old.ID) {
		t.Fatalf("deleted article still found: %v", h.ids())
	}
	var audit struct {
		Entries []audit.Entry `json:"entries"`
	}
	apiWant(t, e.apiDo(e.admin, "GET", "/api/v1/audit", nil), 200, &audit)
	seen := map[string]bool{}
	for _, a := range audit.Entries {
		if a.Target == fmt.Sprintf("article:%d", art.ID) || a.Target == fmt.Sprintf("article:%d", old.ID) {
			seen[a.Action] = true
		}
	}
	for _, a := range []string{"article_create", "article_update", "article_delete"} {
		if !seen[a] {
			t.Errorf("audit lacks %s: %v", a, seen)
		}
	}
}

// knowledgeTestAnswer: a consultation answered from an article records it;
// unknown and out-of-date articles are refused and change nothing.
func knowledgeTestAnswer(e *apiEnv) {
	t := e.t
	now := e.app.Svc.Now()
	// a second node over the same store, with its own clock
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	sc := e.app.Svc.Config()
	sc.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	nodeB, err := services.New(e.ctx, e.app.Store, sc)
	if err != nil {
		t.Fatal(err)
	}
	var valid, expired knowledge.Article
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/knowledge", map[string]any{"title": "燃气卡补办", "body": "燃气卡丢失可持身份证到燃气集团营业厅补办，工本费20元。", "categories": []string{"gas.fee"}}), 201, &valid)
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/knowledge", map[string]any{"title": "燃气卡补办（旧）", "body": "旧规定。", "valid_to": now.Add(-time.Minute)}), 201, &expired)
	in := e.apiCaseIn(e.gridA, e.apiPhone())
	in["type"], in["category"], in["title"], in["description"] = "consultation", "gas.fee", "燃气卡丢了怎么办", "燃气卡丢失了，想咨询如何补办"
	c := e.apiCreate(e.agent, in)
	var sug kbHits
	apiWant(t, e.apiDo(e.agent, "POST", "/api/v1/knowledge/suggest", map[string]any{"text": c.Description, "category": c.Category}), 200, &sug)
	if len(sug.Hits) == 0 || sug.Hits[0].Article.ID != valid.ID {
		t.Fatalf("suggest for the case: %v", sug.ids())
	}
	// node B finds the new article once its index has aged
	q := dispatch.KnowledgeQuery{Text: "燃气卡丢失如何补办"}
	agentB := e.actor(nodeB, e.agent)
	if hs, err := nodeB.Dispatch.SearchKnowledge(e.ctx, agentB, q); err != nil || slices.ContainsFunc(hs, func(h knowledge.Hit) bool { return h.Article.ID == valid.ID }) {
		t.Fatalf("node B before its index aged: %v %v", hs, err)
	}
	clock.Add(int64(2 * time.Minute))
	if hs, err := nodeB.Dispatch.SearchKnowledge(e.ctx, agentB, q); err != nil || len(hs) == 0 || hs[0].Article.ID != valid.ID {
		t.Fatalf("node B after a minute: %v %v", hs, err)
	}

	before := e.apiSnapshot(c.ID)
	apiRefused(t, e.apiDo(e.agent, "POST", fmt.Sprintf("/api/v1/cases/%d/answer", c.ID), map[string]any{"note": "按旧规定", "article": knowledge.Ref(expired.ID)}), 422, errs.ArticleNotValid)
	apiRefused(t, e.apiDo(e.agent, "POST", fmt.Sprintf("/api/v1/cases/%d/answer", c.ID), map[string]any{"note": "x", "article": "KB-99999999"}), 422, errs.UnknownArticle)
	apiRefused(t, e.apiDo(e.agent, "POST", fmt.Sprintf("/api/v1/cases/%d/answer", c.ID), map[string]any{"note": "x", "article": "about gas"}), 422, errs.UnknownArticle)
	e.apiUnchanged(c.ID, before, "answers citing bad articles")
	r := e.apiAct(e.agent, c.ID, "answer", map[string]any{"note": "可持身份证到燃气集团营业厅补办", "article": fmt.Sprint(valid.ID)})
	if r.Case.Article != knowledge.Ref(valid.ID) || r.Case.State != "closed" {
		t.Fatalf("answered case: article %q state %s", r.Case.Article, r.Case.State)
	}
	if r.Event.Data["article"] != knowledge.Ref(valid.ID) || r.Event.Data["article_version"] != float64(1) || r.Event.Data["article_title"] != "燃气卡补办" {
		t.Fatalf("event data %v", r.Event.Data)
	}
	// without an article the answer still works
	c2 := e.apiCreate(e.agent, in)
	if r := e.apiAct(e.agent, c2.ID, "answer", map[string]any{"note": "请拨打燃气集团客服电话"}); r.Case.Article != "" {
		t.Fatalf("article %q", r.Case.Article)
	}
}
