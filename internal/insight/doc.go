// Package insight is the analysis behind 每月一题 and 未诉先办: from daily
// rollups and light request records it finds what the city complains about
// more than it should, where, who keeps calling, which units are getting
// worse, and ranks candidates for the month's question with their evidence.
// It is a domain package: no SQL, no HTTP; the store keeps the rollups and
// the service passes them in. docs/INSIGHT.md states the same with formulae.
//
// # Periods and baselines
//
// The period is [From, To] (civil dates in Asia/Shanghai). Its baseline is
// the same weeks last year (52 weeks earlier, so weekdays match) when the
// data reach back that far, else up to RecentPeriods preceding periods.
// The preceding period of the same length is reported too (ChangePrev).
//
// # Anomalies
//
// Every (category or all categories) × (city, district, street, community,
// grid) cell with current count X and baseline count Y is tested for
// H0: X/Y equals the city trend R. Conditional on n = X + Y, under
// Poisson counts X ~ Binomial(n, R/(1+R)) — an exact test that accounts for
// the baseline's own noise (treating Y as the known mean would not). R is
// robust: the ratio of totals over the categories whose own ratio is within
// ±10 % of, or |z| ≤ 3 from, the count-weighted median category ratio, so
// one category's surge does not hide the others. Overdispersion φ is
// estimated on a placebo comparison (the preceding period against its own
// baseline): per category, the median squared Pearson residual ÷ 0.4549
// (the median of χ²₁); φ is the median over categories, clamped to [1, 10].
// With φ > 1 the test is quasi-binomial: Binomial(n/φ, p0) at X/φ, through
// the regularised incomplete beta function. Only cells with n ≥ MinTotal
// (10) are tested — a filter on n, which under H0 is independent of the
// conditional test. The p-values of all tested cells form one family under
// Benjamini–Hochberg at Q (0.05).
//
// # Terms and topics
//
// Terms are character 2–4-grams inside runs of Han characters and Latin
// words, counted once per request, minus stop words (a term may not start
// or end with a function character, nor be or contain a boilerplate phrase
// such as 你好 or 反映). A term in k = a + b requests (a in the period of N1,
// b in the baseline of N2 — by default the 12 weeks before the period) is
// tested with the exact conditional binomial Bin(k, N1/(N1+N2)), two-sided;
// BH across all terms with k ≥ MinTermDocs; G² ranks them. Sub-grams of a
// longer discovered term covering ≥ 70 % of their requests are dropped.
// The terms that form topics are chosen with the taxonomy as context: of
// the 300 strongest rising terms, those with at least half of their
// requests in their main category and whose share within it at least
// doubled (smoothed; the others are its vocabulary) are ranked by the G²
// of their share
// within that category now against the baseline (ties: global G²), so a
// seasonal category's fragments do not take the places of a new phrase in
// another; fragments whose requests overlap ≥ 90 % both ways take one of
// the 60 places. Groups of the same main category join when ≥ 3 requests
// hold both and those are ≥ half of the rarer term's (overlap coefficient
// ≥ 0.5); topics are the connected components, with their phrases
// re-assembled from overlapping grams and the requests holding most of
// their terms as examples. The taxonomy is context again: a topic is
// Emerging only when its share rises within its main category (exact
// binomial, BH across topics), so a seasonal category makes rising terms
// but no emerging topic.
//
// # Repeats and units
//
// Repeats: the same address key and category MinRepeat (3) or more times in
// the period; the same phone key; requests reopened after an unsatisfied
// callback, by category and unit. Units: the unsatisfied share of rated
// requests in the period against the preceding period, exact conditional
// binomial upper tail, BH across units with ≥ 20 ratings in each.
//
// # Hotspots
//
// Getis-Ord Gi* on the grids (binary weights from the neighbour list, the
// grid itself included) of Pearson residuals (X − E)/√max(E, 1), for all
// categories and each category. Because Gi*'s normal approximation is badly
// calibrated at single-grid counts, a grid's p-value is the exact
// conditional (quasi-)binomial test of its neighbourhood's counts against
// the baseline (the test Gi* approximates under a Poisson null); BH across
// every (category, grid) test; clusters are connected significant grids.
//
// # Candidates
//
// Each category with volume or a flagged cell, and each emerging topic,
// gets a score: the sum of Weights × components scaled to [0, 1] (volume,
// growth of the most significant flagged cell, dissatisfaction, repeat
// share, places flagged, significance), with a zh-CN and an English
// sentence that lists the components in the order of their points.
package insight
