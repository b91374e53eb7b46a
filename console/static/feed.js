// Live alert feed: renders the rows, keeps them current from the SSE stream
// (/api/alerts/stream), ticks the unacknowledged timers, and acknowledges
// through the API. Every value goes into the DOM as text, never as HTML.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("feed-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.getElementById("feed-body");
  const live = document.getElementById("live-status");
  const rows = new Map();
  const OPEN = ["new", "notified", "acknowledged", "handling"];

  function fmt(iso) {
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, "0");
    return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  }
  function elapsed(iso) {
    let s = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 1000));
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return (h ? h + "小时" : "") + String(m).padStart(2, "0") + "分" + String(s).padStart(2, "0") + "秒";
  }
  function cell(tr, text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function matches(a) {
    if (data.level && a.level !== data.level) return false;
    if (data.status === "open") return OPEN.includes(a.status);
    return !data.status || a.status === data.status;
  }
  function render(a) {
    const tr = document.createElement("tr");
    tr.dataset.id = a.id;
    tr.dataset.status = a.status;
    tr.dataset.lastSeen = a.last_seen;
    tr.className = "level-row-" + a.level + (a.unacknowledged ? " unack" : "");
    const lv = cell(tr, "");
    const badge = document.createElement("span");
    badge.className = "level level-" + a.level;
    badge.textContent = a.level_label;
    lv.appendChild(badge);
    cell(tr, a.unit_name, "unit");
    const t = cell(tr, "", "title");
    const link = document.createElement("a");
    link.href = "/alerts/" + encodeURIComponent(a.id);
    link.textContent = a.title;
    t.appendChild(link);
    cell(tr, a.channels.join("、"));
    cell(tr, a.doc_count + "篇");
    cell(tr, a.status_label, "status status-" + a.status);
    const timer = cell(tr, a.unacknowledged ? elapsed(a.detected_at) : "—", "timer");
    if (a.unacknowledged) timer.dataset.since = a.detected_at;
    cell(tr, a.assignee || "");
    cell(tr, fmt(a.last_seen));
    const ops = cell(tr, "", "ops");
    if (a.unacknowledged && data.can_ack) {
      const b = document.createElement("button");
      b.className = "ack";
      b.textContent = "确认收到";
      b.addEventListener("click", () => act(a.id, "acknowledge", b));
      ops.appendChild(b);
    }
    const d = document.createElement("a");
    d.href = link.href;
    d.textContent = "详情";
    ops.appendChild(d);
    return tr;
  }
  function upsert(a, isNew) {
    const old = rows.get(a.id);
    if (!matches(a)) { if (old) { old.remove(); rows.delete(a.id); } return; }
    const tr = render(a);
    if (old) { old.replaceWith(tr); } else { body.prepend(tr); }
    rows.set(a.id, tr);
    if (isNew) { tr.classList.add("flash-row"); setTimeout(() => tr.classList.remove("flash-row"), 3000); }
    document.getElementById("feed-empty").hidden = rows.size > 0;
  }
  async function act(id, action, button) {
    button.disabled = true;
    const r = await fetch("/api/alerts/" + encodeURIComponent(id) + "/actions", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
      body: JSON.stringify({action: action}),
    });
    if (r.ok) { upsert(await r.json(), false); }
    else { button.disabled = false; const e = await r.json().catch(() => ({})); alert(e.detail || "操作失败"); }
  }
  function connect() {
    const es = new EventSource("/api/alerts/stream?since=" + data.cursor);
    es.addEventListener("hello", () => { live.dataset.state = "live"; live.textContent = "实时连接正常"; });
    es.addEventListener("alert", (ev) => { data.cursor = Number(ev.lastEventId) || data.cursor; upsert(JSON.parse(ev.data), true); });
    es.addEventListener("ops", () => { live.dataset.ops = "1"; });
    es.addEventListener("expired", () => { es.close(); location.href = "/login?reason=" + encodeURIComponent("登录已过期，请重新登录"); });
    es.onerror = () => { live.dataset.state = "down"; live.textContent = "连接中断，正在重连…"; };
  }
  data.alerts.slice().reverse().forEach((a) => upsert(a, false));
  document.getElementById("feed-empty").hidden = rows.size > 0;
  setInterval(() => {
    document.querySelectorAll("td.timer[data-since]").forEach((td) => { td.textContent = elapsed(td.dataset.since); });
  }, 1000);
  connect();
})();
