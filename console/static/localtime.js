// Times in the association's time zone (settings.yaml `timezone`, on <body data-tz>),
// not the browser's: a wall screen or a laptop set to another zone shows what the
// duty rota, the e-mails and the reports say.
window.localParts = (function () {
  const zone = document.body.dataset.tz || undefined;
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, year: "numeric", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"});
  return function (d) {
    const out = {};
    for (const part of format.formatToParts(d)) out[part.type] = part.value;
    return {month: +out.month, day: +out.day, hh: out.hour, mm: out.minute, ss: out.second};
  };
})();
