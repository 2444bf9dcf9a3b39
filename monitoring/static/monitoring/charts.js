// Trend charts of the dashboard: each indicator's yearly values against its targets.
// The same numbers are in the table under each chart, for readers without JavaScript.
(function () {
  "use strict";
  var source = document.getElementById("trend-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var number = function (value) { return value === null ? null : Number(value); };
  // The page's colours and type: those of the version for the visually impaired when it is on.
  var style = getComputedStyle(document.body);
  var valueColour = style.getPropertyValue("--chart-value").trim();
  var targetColour = style.getPropertyValue("--chart-target").trim();
  Chart.defaults.color = style.color;
  Chart.defaults.borderColor = style.getPropertyValue("--chart-grid").trim();
  Chart.defaults.font.size = Math.max(12, parseFloat(style.fontSize) * 0.75);
  document.querySelectorAll("canvas.trend-chart").forEach(function (canvas) {
    var series = data.series[Number(canvas.dataset.series)];
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.years,
        datasets: [
          { label: "Значение, %", data: series.values.map(number), borderColor: valueColour, backgroundColor: valueColour, spanGaps: true },
          { label: "Цель, %", data: series.targets.map(number), borderColor: targetColour, borderDash: [6, 4], pointStyle: "rectRot", spanGaps: true }
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
