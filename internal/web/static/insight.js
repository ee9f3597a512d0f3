// The analysis workbench's hotspot map: the grids of each hotspot drawn
// from the grid boundaries, coloured by Gi* z; popups are built as text,
// never as HTML.
(function () {
  "use strict";
  function text(s) { var e = document.createElement("span"); e.textContent = s == null ? "" : String(s); return e; }
  function colour(z) {
    if (z >= 6) return "#7f0000";
    if (z >= 4) return "#c8102e";
    if (z >= 3) return "#ef6548";
    return "#fdae6b";
  }
  function init(el) {
    if (typeof L === "undefined") return;
    var spots = [];
    try { spots = JSON.parse(el.dataset.spots || "[]"); } catch (e) { spots = []; }
    var byGrid = {};
    spots.forEach(function (s) { (s.grids || []).forEach(function (g) { if (!byGrid[g] || byGrid[g].z < s.z) byGrid[g] = s; }); });
    var map = L.map(el, { zoomControl: true, attributionControl: false });
    map.setView([39.9, 116.4], 11);
    fetch("/geo/boundaries.json?level=grid", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var all = L.geoJSON(fc, { style: function (f) {
          var s = byGrid[String(f.properties.id)];
          return s ? { color: colour(s.z), weight: 2, fillColor: colour(s.z), fillOpacity: 0.7 }
                   : { color: "#9aa5b1", weight: 0.5, fillColor: "#eef2f5", fillOpacity: 0.3 };
        },
        onEachFeature: function (f, l) {
          var s = byGrid[String(f.properties.id)];
          l.bindTooltip(text(f.properties.name), { sticky: true });
          if (s) {
            var box = document.createElement("div");
            box.appendChild(text(f.properties.name));
            box.appendChild(document.createElement("br"));
            box.appendChild(text(s.label));
            l.bindPopup(box);
          }
        } }).addTo(map);
      var hot = [];
      all.eachLayer(function (l) { if (byGrid[String(l.feature.properties.id)]) hot.push(l); });
      // Grids without a boundary: a circle at their point.
      spots.forEach(function (s) {
        (s.points || []).forEach(function (pt) {
          var box = document.createElement("div");
          box.appendChild(text(s.label));
          var c = L.circleMarker([pt[0], pt[1]], { radius: 8 + Math.min(12, s.z), color: colour(s.z), fillColor: colour(s.z), fillOpacity: 0.7, className: "hotspot-point" }).bindPopup(box).addTo(map);
          hot.push(c);
        });
      });
      try { map.fitBounds(hot.length ? L.featureGroup(hot).getBounds() : all.getBounds(), { maxZoom: 15 }); } catch (e) { /* no boundaries */ }
      el.dataset.ready = String(hot.length);
    }).catch(function () { el.dataset.ready = "0"; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var m = document.getElementById("insight-map");
    if (m) init(m);
  });
})();
