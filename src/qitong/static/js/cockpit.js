// The cockpit's 12-month trend (ECharts): the rows come from the page's
// json_script "trend-data", the words and the cases' address from the chart's
// data- attributes; a click opens the cases behind the bar or point.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("trend-chart");
  if (!window.echarts || !box) { return; }
  var rows = JSON.parse(document.getElementById("trend-data").textContent);
  var words = box.dataset;
  var font = getComputedStyle(document.body).fontFamily;
  var chart = echarts.init(box);
  chart.setOption({
    aria: { enabled: true },
    textStyle: { fontFamily: font },
    color: ["#1a5fd0", "#c0392b"],
    tooltip: { trigger: "axis" },
    legend: { data: [words.received, words.rate], top: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 32 },
    xAxis: { type: "category", data: rows.map(function (r) { return r.month; }) },
    yAxis: [
      { type: "value", name: words.count, minInterval: 1 },
      { type: "value", name: "%", min: 0, max: 100 }
    ],
    series: [
      { name: words.received, type: "bar", barMaxWidth: 28, data: rows.map(function (r) { return r.received; }) },
      { name: words.rate, type: "line", yAxisIndex: 1, connectNulls: false,
        data: rows.map(function (r) { return r.resolve_percent; }) }
    ]
  });
  chart.on("click", function (params) {
    var month = rows[params.dataIndex].month;
    var kind = params.seriesType === "bar" ? "received" : "resolve_late";
    window.location.href = words.casesUrl + "?kind=" + kind + "&month=" + month;
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
