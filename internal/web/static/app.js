// Whistle pages: countdowns, category filter, maps. No build step.
(function () {
  "use strict";
  var lang = document.body ? document.body.dataset.lang : "zh";
  function span(ms) {
    var m = Math.round(Math.abs(ms) / 60000), d = Math.floor(m / 1440), h = Math.floor(m / 60) % 24, mi = m % 60;
    if (lang === "en") return d > 0 ? d + "d" + (h ? " " + h + "h" : "") : h > 0 ? h + "h" + (mi ? " " + mi + "m" : "") : mi + "m";
    return d > 0 ? d + "天" + (h ? h + "小时" : "") : h > 0 ? h + "小时" + (mi ? mi + "分" : "") : mi + "分钟";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = Number(el.dataset.due) - now;
      el.textContent = lang === "en" ? (left < 0 ? "overdue by " + span(left) : span(left) + " left") : (left < 0 ? "超时 " + span(left) : "剩余 " + span(left));
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 4 * 3600 * 1000);
      el.classList.toggle("ok", left >= 4 * 3600 * 1000);
    });
  }
  setInterval(tick, 30000);

  // Searchable category list: typing filters the options of the select.
  function initCategoryFilter(root) {
    root.querySelectorAll("[data-filter-for]").forEach(function (input) {
      var sel = document.getElementById(input.dataset.filterFor);
      if (!sel || input.dataset.bound) return;
      input.dataset.bound = "1";
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase(), first = null;
        var has = function (s) { return (s || "").toLowerCase().indexOf(q) >= 0; };
        sel.querySelectorAll("option").forEach(function (o) {
          var g = o.parentElement && o.parentElement.tagName === "OPTGROUP" ? o.parentElement : null;
          // A group's name finds all of its categories.
          var hit = !q || has(o.textContent) || has(o.value) || (g !== null && has(g.label));
          o.hidden = !hit;
          if (hit && !first && o.value) first = o;
        });
        // No heading over nothing: a group shows only with a match in it.
        sel.querySelectorAll("optgroup").forEach(function (g) {
          g.hidden = !g.querySelector("option:not([hidden])");
        });
        if (first && (sel.selectedOptions.length === 0 || sel.selectedOptions[0].hidden)) { first.selected = true; sel.dispatchEvent(new Event("change", { bubbles: true })); }
      });
      input.addEventListener("keydown", function (e) {
        if (e.key === "ArrowDown") { e.preventDefault(); sel.focus(); }
      });
    });
  }

  // Text for map tooltips and popups: Leaflet puts a string in as HTML, so
  // names (typed by administrators, imported from GeoJSON) go in as text.
  function textNode(s) { var e = document.createElement("span"); e.textContent = s == null ? "" : String(s); return e; }
  function caseLink(id, number) { var a = document.createElement("a"); a.href = "/cases/" + encodeURIComponent(id); a.textContent = number; return a; }

  // Maps: the city's own boundaries as the base layer (no remote tiles).
  var boundaries = null;
  function loadBoundaries(level) {
    if (boundaries) return boundaries;
    boundaries = fetch("/geo/boundaries.json?level=" + (level || "street"), { credentials: "same-origin" }).then(function (r) { return r.json(); });
    return boundaries;
  }
  function baseMap(el) {
    if (typeof L === "undefined") return null;
    var map = L.map(el, { zoomControl: true, attributionControl: false });
    loadBoundaries(el.dataset.level).then(function (fc) {
      var layer = L.geoJSON(fc, { style: { color: "#7a8597", weight: 1, fillColor: "#dfe7ee", fillOpacity: 0.6 },
        onEachFeature: function (f, l) { l.bindTooltip(textNode(f.properties.name), { sticky: true }); } }).addTo(map);
      if (!el.dataset.center) map.fitBounds(layer.getBounds());
    });
    if (el.dataset.center) { var c = el.dataset.center.split(","); map.setView([+c[0], +c[1]], 15); }
    return map;
  }
  function initMaps(root) {
    root.querySelectorAll("[data-map]").forEach(function (el) {
      if (el.dataset.bound) return;
      el.dataset.bound = "1";
      var map = baseMap(el);
      if (!map) return;
      if (el.dataset.map === "pick") {
        var lat = document.getElementById(el.dataset.lat), lon = document.getElementById(el.dataset.lon), pin = null;
        var place = function (ll) {
          if (pin) pin.setLatLng(ll); else pin = L.circleMarker(ll, { radius: 8, color: "#c8102e", fillOpacity: 0.9 }).addTo(map);
        };
        if (lat.value && lon.value) { place([+lat.value, +lon.value]); }
        map.on("click", function (e) {
          place(e.latlng);
          lat.value = e.latlng.lat.toFixed(6); lon.value = e.latlng.lng.toFixed(6);
          lat.dispatchEvent(new Event("change", { bubbles: true }));
        });
      }
      if (el.dataset.points) {
        fetch(el.dataset.points, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
          (d.points || []).forEach(function (p) {
            L.circleMarker([p.lat, p.lon], { radius: 5, color: p.overdue ? "#c8102e" : "#1a5fd0", fillOpacity: 0.8 })
              .bindPopup(caseLink(p.id, p.number)).addTo(map);
          });
        });
      }
    });
  }

  // Charts (ECharts, loaded by the pages that need it).
  function initCharts(root) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.bound || typeof echarts === "undefined") return;
      el.dataset.bound = "1";
      var chart = echarts.init(el);
      chart.setOption(JSON.parse(el.dataset.chart));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  // Agent screen: a suggested category or knowledge article fills the form.
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("[data-pick-category],[data-use-article]") : null;
    if (!t) return;
    if (t.dataset.pickCategory) {
      var sel = document.getElementById("category");
      if (sel) { sel.value = t.dataset.pickCategory; sel.dispatchEvent(new Event("change", { bubbles: true })); }
    } else if (t.dataset.useArticle) {
      var ans = document.getElementById("answer"), art = document.getElementById("article");
      if (ans) { ans.value = t.dataset.body; ans.closest("details").open = true; ans.focus(); }
      if (art) art.value = t.dataset.useArticle;
    }
  });

  // A field with data-touch marks a hidden field as touched when it changes
  // (the agent screen keeps a unit chosen by hand). No inline handlers: the
  // Content-Security-Policy allows scripts from /static only.
  document.addEventListener("change", function (e) {
    var id = e.target && e.target.dataset ? e.target.dataset.touch : "";
    var h = id ? document.getElementById(id) : null;
    if (h) h.value = "1";
  });

  function init(root) { initCategoryFilter(root); initMaps(root); initCharts(root); tick(); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
  // The caller's history answers 422 while the number is incomplete, 429
  // when the allowance is spent and 403 to a role that takes no calls, with
  // the panel to show: swap it in, so that an earlier caller's requests
  // never stay beside another number.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var st = e.detail.xhr.status;
    if (e.detail.target && e.detail.target.id === "history" && (st === 403 || st === 422 || st === 429)) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
})();
