// Forecasts of 未诉先办 (issue #16): every .forecast-chart element holds its
// points in data-forecast (JSON rendered by the server: the actual counts
// of the last periods, the current period so far, and the forecast of the
// current and the next period with its 80 % band) and its labels in
// data-t-*. Drawn with the vendored ECharts; no inline script (CSP).
(function () {
  "use strict";
  function draw(el) {
    if (typeof echarts === "undefined") return;
    var d;
    try { d = JSON.parse(el.dataset.forecast || "{}"); } catch (e) { return; }
    var pts = d.points || [];
    if (!pts.length) return;
    var dark = el.dataset.dark === "1";
    var labels = [], actual = [], toDate = [], mean = [], lo = [], width = [];
    var lastActual = -1;
    pts.forEach(function (p, i) {
      labels.push(p.label);
      actual.push(p.actual == null ? null : p.actual);
      toDate.push(p.to_date == null ? null : p.to_date);
      if (p.actual != null) lastActual = i;
    });
    pts.forEach(function (p, i) {
      if (p.mean != null) {
        mean.push(p.mean); lo.push(p.lo); width.push(p.hi - p.lo);
      } else if (i === lastActual) { // the forecast line starts at the last actual count
        mean.push(p.actual); lo.push(p.actual); width.push(0);
      } else {
        mean.push(null); lo.push(null); width.push(null);
      }
    });
    var fg = dark ? "#c5cde0" : "#333";
    var size = dark ? 18 : 12;
    var chart = echarts.init(el, null, { renderer: "svg" });
    el.dataset.drawn = "1";
    chart.setOption({
      animation: false,
      textStyle: { color: fg, fontSize: size },
      grid: { left: 50, right: 16, top: 36, bottom: 40 },
      legend: { top: 0, textStyle: { color: fg, fontSize: size }, data: [el.dataset.tActual, el.dataset.tToDate, el.dataset.tForecast, el.dataset.tBand] },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: labels, axisLabel: { color: fg, fontSize: size } },
      yAxis: { type: "value", min: 0, axisLabel: { color: fg, fontSize: size } },
      series: [
        { name: "base", type: "line", data: lo, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false }, silent: true },
        { name: el.dataset.tBand, type: "line", data: width, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(230, 120, 40, 0.25)" }, itemStyle: { color: "rgba(230, 120, 40, 0.5)" } },
        { name: el.dataset.tActual, type: "line", data: actual, itemStyle: { color: dark ? "#5aa9ff" : "#1f5fbf" } },
        { name: el.dataset.tToDate, type: "scatter", data: toDate, itemStyle: { color: dark ? "#9fd0ff" : "#6a8fd0" } },
        { name: el.dataset.tForecast, type: "line", data: mean, lineStyle: { type: "dashed" }, itemStyle: { color: "#e07828" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function all() {
    var els = document.querySelectorAll(".forecast-chart[data-forecast]");
    for (var i = 0; i < els.length; i++) draw(els[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
