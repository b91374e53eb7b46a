// Search page charts (Apache ECharts, vendored under /static/vendor/echarts):
// documents per day with the negative share, and breakdowns by unit,
// channel and source, for the same filters as the result list.
(function () {
  "use strict";
  const params = JSON.parse(document.getElementById("search-params").textContent);
  const BLUE = "#2f7de1", RED = "#d9363e", ORANGE = "#f5822a";
  // A console read dark (prefers-color-scheme) gets ECharts' own dark theme on the panel's background.
  const DARK = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  const init = (el) => {
    const chart = echarts.init(typeof el === "string" ? document.getElementById(el) : el, DARK ? "dark" : null);
    if (DARK) chart.setOption({backgroundColor: "transparent"});
    return chart;
  };

  function bars(el, title, items) {
    const chart = init(el);
    const top = items.slice(0, 10).reverse();
    chart.setOption({
      title: {text: title, left: "center", textStyle: {fontSize: 14}},
      grid: {left: 130, right: 30, top: 36, bottom: 20},
      tooltip: {trigger: "axis"},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: top.map((i) => i.short || i.name), axisLabel: {width: 120, overflow: "truncate"}},
      series: [{type: "bar", data: top.map((i) => i.count), itemStyle: {color: BLUE}, barMaxWidth: 28}],
    });
    return chart;
  }

  fetch("/api/search/stats?" + params, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then((r) => r.json())
    .then((s) => {
      const trend = init("chart-trend");
      trend.setOption({
        title: {text: "每日信息量与负面占比", left: "center", textStyle: {fontSize: 14}},
        tooltip: {trigger: "axis"},
        legend: {bottom: 0, data: ["信息量", "负面信息", "负面占比"]},
        grid: {left: 50, right: 60, top: 40, bottom: 50},
        xAxis: {type: "category", data: s.trend.days},
        yAxis: [{type: "value", name: "条", minInterval: 1},
                {type: "value", name: "占比", min: 0, max: 1, axisLabel: {formatter: (v) => Math.round(v * 100) + "%"}}],
        series: [
          // A day or two of data: bars of a sane width, not half the chart each.
          {name: "信息量", type: "bar", data: s.trend.volume, itemStyle: {color: BLUE}, barMaxWidth: 40},
          {name: "负面信息", type: "bar", data: s.trend.negative, itemStyle: {color: RED}, barMaxWidth: 40},
          {name: "负面占比", type: "line", yAxisIndex: 1, data: s.trend.share, itemStyle: {color: ORANGE}},
        ],
      });
      const charts = [trend, bars("chart-unit", "按会员单位", s.by_unit), bars("chart-channel", "按渠道", s.by_channel),
                      bars("chart-source", "按信息源", s.by_source)];
      window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
      document.getElementById("chart-trend").dataset.ready = "1";
    });
})();
