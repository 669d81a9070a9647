// The district report's trend charts, drawn with the vendored Chart.js from the data the page
// embeds as JSON (json_script: data, never code, so the CSP allows it).
(function () {
  "use strict";
  var source = document.getElementById("report-chart-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var printing = window.matchMedia && window.matchMedia("print").matches;

  function draw(id, type, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: type,
      data: { labels: data.labels, datasets: datasets },
      options: Object.assign(
        {
          responsive: true,
          maintainAspectRatio: false,
          animation: printing ? false : undefined,
          spanGaps: true,
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        },
        options || {}
      ),
    });
  }

  var percent = { scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } } };
  draw("chart-coverage", "line", [
    { label: data.text.coverage, data: data.coverage, borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,.15)", fill: true, tension: 0.2 },
  ], percent);
  draw("chart-incidents", "bar", [
    { label: data.text.opened, data: data.opened, backgroundColor: "#fd7e14" },
    { label: data.text.closed, data: data.closed, backgroundColor: "#198754" },
  ], { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });
  draw("chart-on-time", "line", [
    { label: data.text.onTime, data: data.onTime, borderColor: "#198754", backgroundColor: "rgba(25,135,84,.15)", fill: true, tension: 0.2 },
  ], percent);
})();
