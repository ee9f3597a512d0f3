// Package services builds the application layer once and hands it to the
// front ends (API and pages), the scheduler and the loaders: every user
// action is one method of one of these services, which owns its workflow,
// its scope and its view of personal data.
package services

import (
	"context"

	"whistle/internal/accounts"
	"whistle/internal/admin"
	"whistle/internal/casework"
	"whistle/internal/community"
	"whistle/internal/core"
	"whistle/internal/deliberations"
	"whistle/internal/delivery"
	"whistle/internal/dispatch"
	"whistle/internal/forecasting"
	"whistle/internal/georeport"
	"whistle/internal/governance"
	"whistle/internal/participation"
	"whistle/internal/patrols"
	"whistle/internal/property"
	"whistle/internal/publish"
	"whistle/internal/ranking"
	"whistle/internal/store"
	"whistle/internal/whistles"
)

// Config is the core's configuration.
type Config = core.Config

// Services is the application layer. The core's read-only helpers (clock,
// catalogue, calendar, policy) are promoted for convenience; everything a
// user does goes through one of the named services.
type Services struct {
	*core.Core
	Cases    *casework.Service   // the closed loop: intake, actions, views
	Dispatch *dispatch.Service   // duty list, classifier, duplicates, repeats, knowledge
	Ranking  *ranking.Service    // 三率 assessment, exemptions, publishing
	Whistles *whistles.Service   // 街乡吹哨、部门报到
	Patrols  *patrols.Service    // grid assignments, patrols, findings, coverage
	Admin    *admin.Service      // places, units, users, categories, policy, calendar
	Accounts *accounts.Service   // logins, sessions, tokens
	Insight  *governance.Service // 每月一题 analysis, topics, tasks, 未诉先办
	Open311  *georeport.Service  // Open311 GeoReport v2: services, requests, updates, keys
	Publish  *publish.Service    // scheduled open-data publication (issue #13)
	Events   *delivery.Service   // webhooks: subscribers of the outbox, deliveries, dead letters (issue #13)
	Property *property.Service   // property services: compounds, residents' ratings, the property board (issue #15)

	// 问需于民 and 项目制: surveys, practical matters, projects (issue #15)
	Consult *participation.Service

	// volunteers, tasks, the care list, the one ledger (issue #15)
	Community *community.Service
	// 议事协商: agenda items, meetings, decisions, follow-up tasks (issue #15)
	Deliberations *deliberations.Service
	// 未诉先办 forecasts: requests by category × street with intervals (issue #16)
	Forecasts *forecasting.Service
}

// New builds every service over one store.
func New(ctx context.Context, st *store.Store, cfg Config) (*Services, error) {
	c, err := core.New(ctx, st, cfg)
	if err != nil {
		return nil, err
	}
	d, err := dispatch.New(ctx, c)
	if err != nil {
		return nil, err
	}
	cw := casework.New(c, d)
	acc, adm := accounts.New(c), admin.New(c)
	adm.Forget = acc.ForgetUser // disabling a user ends their cached sessions at once
	rk := ranking.New(c)
	cm := community.New(c)
	cm.Forget = acc.ForgetUser
	return &Services{
		Core:     c,
		Cases:    cw,
		Dispatch: d,
		Ranking:  rk,
		Insight:  governance.New(c, rk),
		Whistles: whistles.New(c),
		Patrols:  patrols.New(c, cw),
		Admin:    adm,
		Accounts: acc,
		Open311:  georeport.New(c, cw),
		Publish:  publish.New(c),
		Events:   delivery.New(c),
		Property: property.New(c, d, rk),

		Consult: participation.New(c),

		Community: cm,

		Deliberations: deliberations.New(c, cw, governance.New(c, rk)), // governance: which topics an actor sees

		Forecasts: forecasting.New(c),
	}, nil
}
