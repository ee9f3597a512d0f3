// Patrol pages: the walker's map (track, findings, a pin for where one
// stands), the phone's position when it offers one, and the coverage map.
(function () {
  "use strict";
  // Names go into tooltips as text, never as HTML.
  function text(s) { var e = document.createElement("span"); e.textContent = s == null ? "" : String(s); return e; }
  function json(el, key) { try { return JSON.parse(el.dataset[key] || "[]"); } catch (e) { return []; } }
  function base(el, level) {
    var map = L.map(el, { zoomControl: true, attributionControl: false });
    fetch("/geo/boundaries.json?level=" + level, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var layer = L.geoJSON(fc, { style: { color: "#7a8597", weight: 1, fillColor: "#dfe7ee", fillOpacity: 0.5 },
        onEachFeature: function (f, l) { l.bindTooltip(text(f.properties.name), { sticky: true }); } }).addTo(map);
      if (!el.dataset.center && !map._fitted) { try { map.fitBounds(layer.getBounds()); } catch (e) { map.setView([39.9, 116.4], 12); } }
    });
    return map;
  }
  function marks(map, list) {
    var pts = [];
    list.forEach(function (m) {
      pts.push([m.lat, m.lon]);
      var a = document.createElement("a");
      a.href = "/cases/" + encodeURIComponent(m.id); a.textContent = m.number + " " + m.item + (m.outcome ? " · " + m.outcome : "");
      L.circleMarker([m.lat, m.lon], { radius: 7, color: "#c8102e", fillOpacity: 0.85 }).bindPopup(a).addTo(map);
    });
    return pts;
  }

  // The walker's map. A position is the phone's fix (source "gps") or, when
  // the phone gives none, a pin the worker sets by clicking the map (source
  // "manual"): the page says which, and never records a position nobody
  // gave (no map centre standing in for the walker).
  function initWalk(el) {
    var lat = document.getElementById("pos-lat"), lon = document.getElementById("pos-lon"), src = document.getElementById("pos-source");
    var flat = document.getElementById("find-lat"), flon = document.getElementById("find-lon");
    var text = document.getElementById("pos-text"), form = document.getElementById("position-form");
    var status = document.getElementById("gps-status");
    var map = null, pin = null, lastSent = 0;
    function gps(state) {
      if (!status) return;
      status.dataset.state = state;
      status.textContent = status.dataset[state] || "";
    }
    function show() {
      if (!lat.value) return;
      var manual = src.value !== "gps";
      text.textContent = (manual ? form.dataset.manual : form.dataset.gps) + ": " + Number(lat.value).toFixed(5) + ", " + Number(lon.value).toFixed(5);
      if (map) {
        var ll = [+lat.value, +lon.value];
        if (pin) map.removeLayer(pin);
        pin = manual ? L.circleMarker(ll, { radius: 9, color: "#d97706", dashArray: "3 3", fillOpacity: 0.2 }).addTo(map)
          : L.circleMarker(ll, { radius: 9, color: "#1a5fd0", fillOpacity: 0.9 }).addTo(map);
      }
    }
    function set(la, lo, source) {
      lat.value = flat.value = la.toFixed(6);
      lon.value = flon.value = lo.toFixed(6);
      src.value = source;
      show();
    }
    if (typeof L !== "undefined") {
      map = base(el, "grid");
      var all = json(el, "track"), track = [], pins = [];
      all.forEach(function (p) { (p.manual ? pins : track).push([p.lat, p.lon]); });
      if (track.length > 1) L.polyline(track, { color: "#1a5fd0", weight: 3 }).addTo(map);
      pins.forEach(function (ll) { L.circleMarker(ll, { radius: 6, color: "#d97706", dashArray: "3 3", fillOpacity: 0.1, className: "manual-pin" }).addTo(map); });
      var pts = track.concat(pins, marks(map, json(el, "marks")));
      if (el.dataset.center) { var c = el.dataset.center.split(","); map.setView([+c[0], +c[1]], 16); map._fitted = true; }
      else if (pts.length) { map.fitBounds(pts, { maxZoom: 16 }); map._fitted = true; }
      map.on("click", function (e) { set(e.latlng.lat, e.latlng.lng, "manual"); });
    }
    // Keep the finding's coordinates with the position (the test and the
    // phone both set the position fields).
    [lat, lon].forEach(function (i) { i.addEventListener("change", function () { flat.value = lat.value; flon.value = lon.value; show(); }); });
    if (lat.value) show();
    form.addEventListener("submit", function (e) {
      if (!lat.value) {
        e.preventDefault();
        text.textContent = form.dataset.need;
      }
    });
    if (!navigator.geolocation) { gps("off"); return; }
    navigator.geolocation.watchPosition(function (p) {
      gps("on");
      set(p.coords.latitude, p.coords.longitude, "gps");
      var now = Date.now();
      if (now - lastSent < 60000) return;
      lastSent = now;
      var body = new URLSearchParams({ lat: lat.value, lon: lon.value, source: "gps" });
      fetch(form.action, { method: "POST", credentials: "same-origin", headers: { "X-Whistle-Fetch": "1" }, body: body });
    }, function () { gps("off"); }, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  function initCoverage(el) {
    if (typeof L === "undefined") return;
    var map = base(el, "street");
    var pts = marks(map, json(el, "marks"));
    if (pts.length === 1) { map.setView(pts[0], 13); map._fitted = true; }
    else if (pts.length) { map.fitBounds(pts, { maxZoom: 15 }); map._fitted = true; }
  }

  // Choosing a checklist item proposes the category of the same name (by
  // filtering the category list), until the worker picks one by hand.
  function initItem() {
    var item = document.getElementById("item"), filter = document.getElementById("category-filter"), cat = document.getElementById("category");
    if (!item || !filter || !cat) return;
    var manual = false;
    ["mousedown", "keydown"].forEach(function (ev) { cat.addEventListener(ev, function () { manual = true; }); });
    filter.addEventListener("keydown", function () { manual = true; });
    item.addEventListener("change", function () {
      if (manual) return;
      filter.value = item.selectedOptions[0].textContent.trim();
      filter.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initItem();
    var w = document.getElementById("patrol-map");
    if (w) initWalk(w);
    var c = document.getElementById("coverage-map");
    if (c) initCoverage(c);
  });
})();
