// Patrol pages: the walker's map (track, findings, a pin for where one
// stands), the phone's position when it offers one, and the coverage map.
(function () {
  "use strict";
  function json(el, key) { try { return JSON.parse(el.dataset[key] || "[]"); } catch (e) { return []; } }
  function base(el, level) {
    var map = L.map(el, { zoomControl: true, attributionControl: false });
    fetch("/geo/boundaries.json?level=" + level, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var layer = L.geoJSON(fc, { style: { color: "#7a8597", weight: 1, fillColor: "#dfe7ee", fillOpacity: 0.5 },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); } }).addTo(map);
      if (!el.dataset.center && !map._fitted) { try { map.fitBounds(layer.getBounds()); } catch (e) { map.setView([39.9, 116.4], 12); } }
    });
    return map;
  }
  function marks(map, list) {
    var pts = [];
    list.forEach(function (m) {
      pts.push([m.lat, m.lon]);
      var a = document.createElement("a");
      a.href = "/cases/" + m.id; a.textContent = m.number + " " + m.item + (m.outcome ? " · " + m.outcome : "");
      L.circleMarker([m.lat, m.lon], { radius: 7, color: "#c8102e", fillOpacity: 0.85 }).bindPopup(a).addTo(map);
    });
    return pts;
  }

  function initWalk(el) {
    var lat = document.getElementById("pos-lat"), lon = document.getElementById("pos-lon");
    var flat = document.getElementById("find-lat"), flon = document.getElementById("find-lon");
    var text = document.getElementById("pos-text"), form = document.getElementById("position-form");
    var lang = document.body.dataset.lang, map = null, pin = null, lastSent = 0;
    function show() {
      if (!lat.value) return;
      text.textContent = (lang === "en" ? "Position: " : "位置：") + Number(lat.value).toFixed(5) + ", " + Number(lon.value).toFixed(5);
      if (map) {
        var ll = [+lat.value, +lon.value];
        if (pin) pin.setLatLng(ll); else pin = L.circleMarker(ll, { radius: 9, color: "#1a5fd0", fillOpacity: 0.9 }).addTo(map);
      }
    }
    function set(la, lo) {
      lat.value = flat.value = la.toFixed(6);
      lon.value = flon.value = lo.toFixed(6);
      show();
    }
    if (typeof L !== "undefined") {
      map = base(el, "grid");
      var track = json(el, "track").map(function (p) { return [p.lat, p.lon]; });
      if (track.length > 1) L.polyline(track, { color: "#1a5fd0", weight: 3 }).addTo(map);
      var pts = track.concat(marks(map, json(el, "marks")));
      if (el.dataset.center) { var c = el.dataset.center.split(","); map.setView([+c[0], +c[1]], 16); map._fitted = true; }
      else if (pts.length) { map.fitBounds(pts, { maxZoom: 16 }); map._fitted = true; }
      map.on("click", function (e) { set(e.latlng.lat, e.latlng.lng); });
    }
    // Keep the finding's coordinates with the position (the test and the
    // phone both set the position fields).
    [lat, lon].forEach(function (i) { i.addEventListener("change", function () { flat.value = lat.value; flon.value = lon.value; show(); }); });
    if (lat.value) show();
    form.addEventListener("submit", function (e) {
      if (!lat.value && map) { var c = map.getCenter(); set(c.lat, c.lng); }
      if (!lat.value) e.preventDefault();
    });
    if (navigator.geolocation) {
      navigator.geolocation.watchPosition(function (p) {
        set(p.coords.latitude, p.coords.longitude);
        var now = Date.now();
        if (now - lastSent < 60000) return;
        lastSent = now;
        var body = new URLSearchParams({ lat: lat.value, lon: lon.value });
        fetch(form.action, { method: "POST", credentials: "same-origin", headers: { "X-Whistle-Fetch": "1" }, body: body });
      }, function () {}, { enableHighAccuracy: true, maximumAge: 30000 });
    }
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
