package governance_test

import (
	"testing"

	"whistle/internal/agenda"
	"whistle/internal/errs"
	"whistle/internal/org"
	"whistle/internal/store"
)

// Who sees a topic's task and who may report it done.
func TestTaskScope(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		w := openProWorld(t, dsn)
		g := w.svc.Insight
		now := w.svc.Now()
		topic := &agenda.Topic{Title: "老旧小区供暖", State: agenda.Active, LeadUnitID: w.streets[1].UnitID, StartedAt: now, CreatedAt: now, UpdatedAt: now, Version: 1}
		task := &agenda.Task{TopicID: topic.ID, Kind: agenda.KindTopic, State: agenda.TaskOpen, UnitID: w.streets[0].UnitID, Title: "排查老旧管网",
			DueAt: now.AddDate(0, 0, 10), CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := w.st.Write(w.ctx, func(tx *store.Tx) error {
			if err := tx.InsertTopic(w.ctx, topic); err != nil {
				return err
			}
			task.TopicID = topic.ID
			return tx.InsertTask(w.ctx, task)
		}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name     string
			a        org.Actor
			see      bool
			complete errs.Code // "" = done
		}{
			{"another street", w.handler(w.streets[2]), false, errs.NotFound},
			{"the topic's lead unit", w.handler(w.streets[1]), true, errs.Forbidden},
			{"the city centre", w.dispatcher, true, errs.Forbidden},
			{"an analyst", w.analyst, true, errs.Forbidden},
			{"the owner unit", w.handler(w.streets[0]), true, ""},
		} {
			_, err := g.TaskOf(w.ctx, c.a, task.ID)
			if (err == nil) != c.see || (err != nil && !errs.Is(err, errs.NotFound)) {
				t.Errorf("%s: TaskOf = %v, want visible %v", c.name, err, c.see)
			}
			done, err := g.CompleteTask(w.ctx, c.a, task.ID, "已排查")
			if c.complete == "" && (err != nil || done.State != agenda.TaskDone) || c.complete != "" && !errs.Is(err, c.complete) {
				t.Errorf("%s: CompleteTask = %v, want %q", c.name, err, c.complete)
			}
		}
		if in, _ := g.Inbox(w.ctx, w.handler(w.streets[0])); len(in) != 1 || in[0].State != agenda.TaskDone {
			t.Errorf("owner's inbox: %v", in)
		}
		if in, _ := g.Inbox(w.ctx, w.handler(w.streets[1])); len(in) != 0 {
			t.Errorf("the lead unit's inbox holds another unit's task: %v", in)
		}
	})
}
