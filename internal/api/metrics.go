package api

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"whistle/internal/lifecycle"
	"whistle/internal/services"
)

// caseCollector reports case counts by state and the open overdue count,
// read from the store at most every 15 s (counting is not free at scale).
type caseCollector struct {
	svc     *services.Services
	byState *prometheus.Desc
	overdue *prometheus.Desc
	mu      sync.Mutex
	at      time.Time
	states  map[string]int64
	od      int64
}

func newCaseCollector(svc *services.Services) *caseCollector {
	return &caseCollector{svc: svc,
		byState: prometheus.NewDesc("whistle_cases", "Cases by lifecycle state.", []string{"state"}, nil),
		overdue: prometheus.NewDesc("whistle_cases_overdue", "Open cases past their deadline.", nil, nil),
	}
}

func (c *caseCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.byState; ch <- c.overdue }

func (c *caseCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 15*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if st, od, err := c.svc.Cases.Counts(ctx); err == nil {
			c.states, c.od = st, od
			c.at = time.Now()
		}
	}
	for _, s := range lifecycle.States {
		ch <- prometheus.MustNewConstMetric(c.byState, prometheus.GaugeValue, float64(c.states[string(s)]), string(s))
	}
	ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, float64(c.od))
}
