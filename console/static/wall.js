// 值班大屏: redraws from /api/wall every 10 s and whenever the live stream
// reports a change; EventSource reconnects by itself, the poll keeps the
// screen right even while the stream is down.
(function () {
  "use strict";
  const boot = JSON.parse(document.getElementById("wall-data").textContent);
  const live = document.getElementById("wall-live");
  let skew = new Date(boot.wall.now).getTime() - Date.now();
  const $ = (id) => document.getElementById(id);
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function age(iso) {
    const m = Math.max(0, Math.floor((Date.now() + skew - new Date(iso).getTime()) / 60000));
    return m >= 60 ? Math.floor(m / 60) + "小时" + (m % 60) + "分" : m + "分钟";
  }
  // How long an alert has waited: 刚刚 in its first minute (not 0分钟).
  function waited(iso) {
    const a = age(iso);
    return a === "0分钟" ? "刚刚" : a;
  }
  function hm(iso) {
    const t = localParts(new Date(iso));
    return `${t.hh}:${t.mm}`;
  }
  // Keep the rows that fit in their box (the wall never scrolls) and say how many are left out.
  function fit(list, box, total, word) {
    const items = [...list.children];
    const over = () => box.scrollHeight > box.clientHeight + 1;
    let shown = items.length;
    const more = el(list.tagName === "DIV" ? "div" : "li", "more");
    const say = () => { more.textContent = "另有" + (total - shown) + word; };
    if (total > shown) { say(); list.appendChild(more); }
    while (over() && shown > 0) {
      items[--shown].remove();
      say();
      if (!more.parentNode) list.appendChild(more);
    }
  }
  function capped(items, max, make, word) {
    const out = items.slice(0, max).map(make);
    if (items.length > max) out.push(el("li", "more", "另有" + (items.length - max) + word));
    return out;
  }
  let last = null;
  function draw(w) {
    last = w;
    skew = new Date(w.now).getTime() - Date.now();
    $("today-total").textContent = w.today_total;
    w.counts.forEach((c) => { document.querySelector('.lc[data-level="' + c.level + '"] b').textContent = c.count; });
    $("wall-unack").textContent = w.unacknowledged;
    $("wall-escalated").textContent = w.escalated;
    $("wall-waiting").replaceChildren(...w.waiting.map((a) => {
      const li = el("li");
      li.dataset.id = a.id;
      li.appendChild(el("span", "level level-" + a.level, a.level_label));
      li.appendChild(el("span", "unit", a.unit));
      const title = el("span", "title");
      if (a.emergency) {  // raised to an 应急事件
        title.appendChild(el("span", "event-badge" + (a.emergency.status === "open" ? "" : " closed"), "事件"));
      }
      title.appendChild(document.createTextNode(a.title));
      li.appendChild(title);
      const ag = el("span", "age", waited(a.detected_at));
      ag.dataset.since = a.detected_at;
      li.appendChild(ag);
      if (a.review_due) {  // held: the duty officers' 复核并转发 is what it waits for (no escalation before it)
        const late = Date.now() + skew - new Date(a.review_due).getTime() >= 60000;
        li.appendChild(el("span", "step review", "待复核　" + (late ? "应于" + hm(a.review_due) + "自动转发，已逾期" +
                                                                   age(a.review_due) : hm(a.review_due) + " 自动转发单位")));
      } else if (a.escalation || a.next_at) {
        const late = a.next_at && Date.now() + skew - new Date(a.next_at).getTime() >= 60000;  // the promise not kept
        li.appendChild(el("span", "step", (a.escalation ? "已升级" + a.escalation : "") +
                                        (a.next_at ? "　" + hm(a.next_at) + (late ? " 应升级，已逾期" + age(a.next_at)
                                                                               : " 将升级") : "")));
      }
      return li;
    }));
    $("wall-waiting-empty").hidden = w.waiting.length > 0;
    fit($("wall-waiting"), $("wall-waiting-box"), Math.max(w.unacknowledged, w.waiting.length), "条待确认");
    // The pipeline stalled (console/pipeline_health.py): say it first, and never call anything 正常 meanwhile.
    const bad = !w.health.ok;
    $("wall-health-items").replaceChildren(...w.health.problems.map((p) => {
      const item = el("span", "health-item", p.text);
      item.dataset.kind = p.kind;
      return item;
    }));
    $("wall-health").hidden = !bad;
    document.body.dataset.health = bad ? "bad" : "ok";
    $("wall-units").replaceChildren(...w.units.map((u) => {
      const d = el("div", "unit-tile" + (u.worst ? " w-" + u.worst : "") + (u.escalated ? " escalated" : ""), u.short);
      d.dataset.unit = u.id;
      d.appendChild(el("small", "", u.unack ? "未确认 " + u.unack + (u.escalated ? " · 升级 " + u.escalated : "")
                                    : u.open ? "处置中 " + u.open : bad ? "待核实" : "正常"));
      d.title = u.name + (u.open ? "：未结 " + u.open + "，未确认 " + u.unack : "");
      return d;
    }));
    fit($("wall-units"), $("wall-units-box"), w.units.length, "家单位");
    const max = Math.max(1, ...w.trend.map((t) => t.count));
    $("wall-trend").replaceChildren(...w.trend.map((t, i) => {
      const b = el("div", "bar");
      b.style.height = (100 * t.count / max) + "%";
      if (t.count) b.appendChild(el("b", "", String(t.count)));
      if (i % 3 === 0) b.appendChild(el("span", "", t.hour));
      return b;
    }));
    $("wall-blind").replaceChildren(...capped(w.blind, 3, (b) => {
      const li = el("li", "", "⚠ " + b.name + "（" + b.channel + "）：" + b.state);
      li.title = li.textContent;
      return li;
    }, "个信息源异常"));
    $("wall-blind-ok").hidden = w.blind.length > 0 || bad;
    $("wall-pipeline-bad").hidden = w.blind.length > 0 || !bad;
    live.dataset.blind = w.blind.length ? "1" : "";
    $("wall-duty").replaceChildren(...(w.on_duty.length ? capped(w.on_duty, 3, (o) => {
      const li = el("li", "", o.name);
      li.appendChild(el("small", "", o.phone));
      return li;
    }, "人") : [el("li", "", "未排班")]));
    document.body.dataset.updated = w.now;
  }
  let pending = null;
  async function refresh() {
    pending = null;
    try {
      const r = await fetch("/api/wall", {credentials: "same-origin", headers: {"Accept": "application/json"}});
      if (r.status === 401) { location.href = "/login?next=/wall"; return; }
      if (r.ok) draw(await r.json());
    } catch (e) { live.dataset.state = "down"; live.textContent = "连接中断，正在重连…"; }
  }
  function soon() { if (!pending) pending = setTimeout(refresh, 300); }
  function connect() {
    const es = new EventSource("/api/alerts/stream?since=" + boot.cursor);
    es.addEventListener("hello", () => { live.dataset.state = "live"; live.textContent = "实时"; soon(); });
    es.addEventListener("alert", soon);
    es.addEventListener("ops", soon);
    es.addEventListener("expired", () => { es.close(); location.href = "/login?next=/wall"; });
    es.onerror = () => { live.dataset.state = "down"; live.textContent = "连接中断，正在重连…"; };
  }
  function clock() {
    const t = localParts(new Date(Date.now() + skew));
    $("wall-clock").textContent = `${t.month}月${t.day}日 ${t.hh}:${t.mm}:${t.ss}`;
    document.querySelectorAll("#wall-waiting .age").forEach((s) => { s.textContent = waited(s.dataset.since); });
  }
  let resized = null;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(() => { if (last) draw(last); }, 150);
  });
  draw(boot.wall);
  clock();
  setInterval(clock, 1000);
  setInterval(refresh, 10000);
  connect();
})();
