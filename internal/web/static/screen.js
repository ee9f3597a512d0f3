// The big screen (数字红墙): draws the charts and the hotspot map from the
// dashboard rendered into the page, then fetches the dashboard again every
// data-refresh milliseconds and redraws without reloading. Every name goes
// into the page as text, never as HTML.
(function () {
  "use strict";
  var body = document.body;
  if (!body || !body.classList.contains("wall")) return;
  var lang = body.dataset.lang || "zh-CN";
  var en = lang === "en";
  var t = function (k) { return body.dataset["t" + k] || ""; };
  var charts = {}, map = null, spots = null, lastTicker = "";

  function $(id) { return document.getElementById(id); }
  function setText(id, v) { var e = $(id); if (e) e.textContent = v == null ? "" : String(v); }
  function pct(p) { return p == null ? "—" : (Math.round(p * 1000) / 10).toFixed(1) + "%"; }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = String(text); return e; }
  function catName(o) { return en && o.category_name_en ? o.category_name_en : (o.category_name || o.category || t("All")); }

  var axis = { color: "#c5cde0", fontSize: 18 };
  function hours(d) {
    var c = charts.hours;
    if (!c) return;
    var x = [];
    for (var h = 0; h < 24; h++) x.push(String(h));
    var nowH = (new Date(d.at).getUTCHours() + 8) % 24; // Asia/Shanghai
    var today = (d.today_hours || []).map(function (n, h) { return h <= nowH ? n : null; });
    c.setOption({
      animation: false,
      textStyle: { fontSize: 18 },
      legend: { top: 0, textStyle: { color: "#e8ecf4", fontSize: 20 }, data: [t("Today"), t("Yesterday")] },
      grid: { left: 56, right: 16, top: 40, bottom: 32 },
      tooltip: { trigger: "axis", textStyle: { fontSize: 20 } },
      xAxis: { type: "category", data: x, axisLabel: axis },
      yAxis: { type: "value", minInterval: 1, axisLabel: axis, splitLine: { lineStyle: { color: "#26304d" } } },
      series: [
        { name: t("Yesterday"), type: "line", data: d.yesterday_hours || [], lineStyle: { color: "#7a8597", type: "dashed", width: 3 }, itemStyle: { color: "#7a8597" }, symbol: "none" },
        { name: t("Today"), type: "bar", data: today, itemStyle: { color: "#e0413a" } }
      ]
    });
  }
  function trend(d) {
    var c = charts.trend;
    if (!c) return;
    var days = d.days || [];
    c.setOption({
      animation: false,
      grid: { left: 64, right: 16, top: 16, bottom: 32 },
      tooltip: { trigger: "axis", textStyle: { fontSize: 20 } },
      xAxis: { type: "category", data: days.map(function (x) { return x.date.slice(5); }), axisLabel: axis },
      yAxis: { type: "value", minInterval: 1, axisLabel: axis, splitLine: { lineStyle: { color: "#26304d" } } },
      series: [{ name: t("Requests"), type: "line", data: days.map(function (x) { return x.n; }), smooth: true, areaStyle: { color: "rgba(224,65,58,0.25)" }, lineStyle: { color: "#e0413a", width: 3 }, itemStyle: { color: "#e0413a" } }]
    });
  }
  function hotspots(d) {
    var hs = (d.hotspots && d.hotspots.clusters) || [];
    var list = $("hotspot-list");
    if (list) {
      list.replaceChildren();
      hs.forEach(function (h) { list.appendChild(el("li", null, catName(h) + " · " + h.count)); });
      if (!hs.length) list.appendChild(el("li", "muted", t("None")));
    }
    setText("hotspot-period", d.hotspots && d.hotspots.from ? d.hotspots.from + " – " + d.hotspots.to : "");
    if (!map || !spots) return;
    spots.clearLayers();
    var max = 1;
    hs.forEach(function (h) { if (h.max_z > max) max = h.max_z; });
    var bounds = [];
    hs.forEach(function (h) {
      var s = Math.max(0.25, Math.min(1, h.max_z / max));
      var color = "hsl(" + Math.round(45 - 45 * s) + ", 95%, " + Math.round(60 - 12 * s) + "%)";
      (h.grids || []).forEach(function (g) {
        var layer;
        if (g.ring && g.ring.length > 2) {
          layer = L.polygon(g.ring.map(function (p) { return [p[1], p[0]]; }), { color: color, weight: 2, fillColor: color, fillOpacity: 0.3 + 0.5 * s });
        } else {
          layer = L.circleMarker([g.lat, g.lon], { radius: 10 + 10 * s, color: color, fillColor: color, fillOpacity: 0.7 });
        }
        // the label is text, never HTML
        layer.bindTooltip(el("span", null, g.name + " · " + catName(h) + " · " + h.count + " " + t("RequestsN")));
        layer.addTo(spots);
        bounds.push([g.lat, g.lon]);
      });
    });
    if (bounds.length && !map._wallFitted) {
      map.fitBounds(bounds, { padding: [40, 40], maxZoom: 15 });
      map._wallFitted = true;
    }
  }
  function topics(d) {
    var ul = $("topic-list");
    if (!ul) return;
    ul.replaceChildren();
    (d.topics || []).forEach(function (x) {
      var li = el("li");
      li.appendChild(el("span", "t-title", x.title));
      li.appendChild(el("span", "t-meta", (x.lead_unit || "") + " · " + t("Tasks") + " " + x.tasks_done + "/" + x.tasks));
      ul.appendChild(li);
    });
    if (!ul.children.length) ul.appendChild(el("li", "muted", t("None")));
  }
  function ticker(d) {
    var ul = $("ticker");
    if (!ul) return;
    var items = d.ticker || [];
    var key = items.map(function (x) { return x.number; }).join(",");
    if (key === lastTicker) return;
    var seen = {};
    lastTicker.split(",").forEach(function (n) { seen[n] = true; });
    var first = lastTicker === "";
    lastTicker = key;
    ul.replaceChildren();
    items.forEach(function (x) {
      var li = el("li", !first && !seen[x.number] ? "fresh" : null);
      li.appendChild(el("span", "k-time", x.time));
      li.appendChild(el("span", "k-num", x.number));
      li.appendChild(el("span", "k-cat", catName(x)));
      li.appendChild(el("span", "k-street", x.street || ""));
      ul.appendChild(li);
    });
    if (!items.length) ul.appendChild(el("li", "muted", t("None")));
  }
  function numbers(d) {
    setText("n-today", d.today);
    setText("n-today-sub", t("SoFar") + " " + d.yesterday_so_far);
    setText("n-open", d.open);
    setText("n-overdue", d.overdue);
    var r = d.rates || {};
    setText("n-response", pct(r.response));
    setText("n-resolution", pct(r.resolution));
    setText("n-satisfaction", pct(r.satisfaction));
    document.querySelectorAll(".rates-period").forEach(function (e) { e.textContent = r.from + " – " + r.to; });
    var at = new Date(d.at);
    setText("wall-clock", at.toLocaleString(en ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai", hour12: false }));
  }
  function draw(d) {
    numbers(d);
    hours(d);
    trend(d);
    hotspots(d);
    topics(d);
    ticker(d);
    body.dataset.updated = String(Date.now());
  }

  function init() {
    if (typeof echarts !== "undefined") {
      charts.hours = echarts.init($("chart-hours"), null, { renderer: "canvas" });
      charts.trend = echarts.init($("chart-trend"), null, { renderer: "canvas" });
      window.addEventListener("resize", function () { charts.hours.resize(); charts.trend.resize(); });
    }
    var m = $("wall-map");
    if (m && typeof L !== "undefined") {
      map = L.map(m, { zoomControl: false, attributionControl: false, maxZoom: 18 });
      map.setView([39.9, 116.4], 11);
      fetch("/geo/boundaries.json?level=district", { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }).then(function (fc) {
        var base = L.geoJSON(fc, { style: function () { return { color: "#3d4b6e", weight: 1.5, fillColor: "#18223d", fillOpacity: 0.8 }; } }).addTo(map);
        base.bringToBack();
        if (!map._wallFitted && base.getBounds().isValid()) map.fitBounds(base.getBounds(), { padding: [10, 10] });
      }).catch(function () { /* the hotspots still show without the outlines */ });
      spots = L.layerGroup().addTo(map);
    }
    var first = $("wall-data");
    if (first) {
      try { draw(JSON.parse(first.textContent)); } catch (e) { /* the next fetch draws */ }
    }
    schedule();
  }

  function refresh() {
    fetch(body.dataset.src, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" }).then(function (r) {
      if (r.status === 401) { window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search)); throw new Error("signed out"); }
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (d) {
      draw(d);
      var s = $("wall-state");
      if (s) { s.textContent = ""; s.classList.remove("stale"); }
    }).catch(function () {
      var s = $("wall-state");
      if (s) { s.textContent = t("Stale"); s.classList.add("stale"); }
    }).then(schedule);
  }
  function schedule() {
    var every = Number(body.dataset.refresh) || 30000;
    window.setTimeout(refresh, Math.max(1000, every));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
