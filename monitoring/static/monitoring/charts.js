// Trend charts of the dashboard: each indicator's yearly values against its targets.
// The same numbers are in the table under each chart, for readers without JavaScript.
(function () {
  "use strict";
  var source = document.getElementById("trend-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var number = function (value) { return value === null ? null : Number(value); };
  document.querySelectorAll("canvas.trend-chart").forEach(function (canvas) {
    var series = data.series[Number(canvas.dataset.series)];
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.years,
        datasets: [
          { label: "Значение, %", data: series.values.map(number), borderColor: "#1d5fa8", backgroundColor: "#1d5fa8", spanGaps: true },
          { label: "Цель, %", data: series.targets.map(number), borderColor: "#b35c00", borderDash: [6, 4], pointStyle: "rectRot", spanGaps: true }
        ]
      },
      options: {
        animation: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  });
})();
