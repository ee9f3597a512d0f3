// Supervision board: every open order in scope on a clustered map zoomed to
// the supervisor's district, and chart bars that drill down to the cases.
(function () {
  "use strict";
  // Names and numbers go into tooltips and popups as text, never as HTML.
  function text(s) { var e = document.createElement("span"); e.textContent = s == null ? "" : String(s); return e; }
  function link(id, number) { var a = document.createElement("a"); a.href = "/cases/" + encodeURIComponent(id); a.textContent = number; return a; }
  function initMap(el) {
    if (el.dataset.bound || typeof L === "undefined") return;
    el.dataset.bound = "1";
    var map = L.map(el, { zoomControl: true, attributionControl: false, maxZoom: 18 });
    var district = Number(el.dataset.district || 0);
    var base = fetch("/geo/boundaries.json?level=district", { credentials: "same-origin" }).then(function (r) { return r.json(); });
    var points = fetch(el.dataset.orderMap, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
    base.then(function (fc) {
      var focus = null;
      var layer = L.geoJSON(fc, {
        style: function (f) {
          var mine = district && f.properties.id === district;
          return { color: mine ? "#1a5fd0" : "#7a8597", weight: mine ? 2 : 1, fillColor: "#dfe7ee", fillOpacity: mine ? 0.6 : 0.25 };
        },
        onEachFeature: function (f, l) {
          l.bindTooltip(text(f.properties.name), { sticky: true });
          if (district && f.properties.id === district) focus = l;
        }
      }).addTo(map);
      map.fitBounds((focus || layer).getBounds());
      el.dataset.fitted = focus ? "district" : "city";
      return points;
    }).then(function (d) {
      var group = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 }) : L.layerGroup();
      var markers = (d.points || []).map(function (p) {
        return L.circleMarker([p.lat, p.lon], { radius: 6, color: p.overdue ? "#c8102e" : "#1a5fd0", fillOpacity: 0.8 })
          .bindPopup(link(p.id, p.number));
      });
      if (group.addLayers) group.addLayers(markers); else markers.forEach(function (m) { group.addLayer(m); });
      group.addTo(map);
      var shown = group.getLayers().length;
      el.dataset.markers = String(shown);
      var note = document.getElementById(el.dataset.countId);
      if (note) {
        var fmt = d.capped ? note.dataset.cappedFmt : note.dataset.fmt;
        note.textContent = fmt.replace("{shown}", shown).replace("{located}", d.located).replace("{open}", d.open).replace("{unlocated}", d.open - d.located);
      }
      el.dataset.ready = "1";
    }).catch(function (err) {
      el.dataset.error = String(err && err.message || err);
      var note = document.getElementById(el.dataset.countId);
      if (note) note.textContent = note.dataset.failed;
      el.dataset.ready = "failed";
    });
    el._whistleMap = map;
  }

  function initChart(el) {
    if (el.dataset.bound || typeof echarts === "undefined") return;
    el.dataset.bound = "1";
    var chart = echarts.init(el);
    chart.setOption(JSON.parse(el.dataset.drillChart));
    var drill = JSON.parse(el.dataset.drill || "[[],[]]");
    chart.on("click", function (e) {
      var links = drill[e.seriesIndex] || [];
      var href = links[e.dataIndex];
      if (href) window.location.assign(href);
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll("[data-order-map]").forEach(initMap);
    document.querySelectorAll("[data-drill-chart]").forEach(initChart);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
