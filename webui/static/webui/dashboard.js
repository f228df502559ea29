/* The leaders' dashboard (webui/views_dashboard.py): draws the three charts from the JSON the page carries
   (#dashboard-data) with Chart.js (vendor/chart.umd.min.js, global `Chart`). A click on a bar or a slice opens the
   list of the dossiers behind it, as the figures' links do. */
(function () {
  "use strict";
  var COLORS = {
    early: "#1e6b34", on_time: "#5aa469", late: "#b3261e", refused: "#7d6b5b", withdrawn: "#a3b1bf",
    not_yet_due: "#0b4f8a", due_soon: "#e0a100", overdue: "#e05a47",
    resolved_on_time: "#5aa469", resolved_late: "#b3261e", not_accepted: "#7d6b5b", forwarded: "#c9a227",
    stopped: "#a3b1bf"
  };

  function drillUrl(data, category, extra) {
    return data.drill.base + "?" + data.drill.query + (extra || "") + "category=" + encodeURIComponent(category);
  }

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.animation = false;
    var charts = window.motcuaCharts = {};

    var outcome = document.getElementById("chart-outcome");
    charts.outcome = new Chart(outcome, {
      type: "doughnut",
      data: {
        labels: data.outcome.labels,
        datasets: [{ data: data.outcome.values, backgroundColor: data.outcome.keys.map(function (k) { return COLORS[k]; }) }]
      },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 10, font: { size: 11 } } } },
        onClick: function (event, elements) {
          if (elements.length) { window.location.href = drillUrl(data, data.outcome.keys[elements[0].index]); }
        }
      }
    });

    charts.procedures = new Chart(document.getElementById("chart-procedures"), {
      type: "bar",
      data: {
        labels: data.procedures.labels,
        datasets: data.procedures.series.map(function (s) {
          return { label: s.label, data: s.values, backgroundColor: COLORS[s.key], stack: "one" };
        })
      },
      options: {
        indexAxis: "y", maintainAspectRatio: false,
        scales: { x: { stacked: true, ticks: { precision: 0 } }, y: { stacked: true } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
      }
    });

    charts.units = new Chart(document.getElementById("chart-units"), {
      type: "bar",
      data: {
        labels: data.units.labels,
        datasets: [{ label: "%", data: data.units.values, backgroundColor: "#0b4f8a" }]
      },
      options: {
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100 } },
        plugins: { legend: { display: false } }
      }
    });
    document.body.dataset.chartsReady = "1";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
