// The live alert feed: rows from the page, then upserts from the server-sent
// stream. Filters, search and sort run here over the alerts loaded (the
// newest 200 the user may see); the choices are kept in the address bar.
// Keyboard: j/k move, a acknowledge, o/Enter open, / search, ? help.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("feed-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const body = document.getElementById("feed-body");
  const live = document.getElementById("live-status");
  const attention = window.yuqingAttention;
  const alerts = new Map();  // id → summary
  const drawn = new Map();  // id → {a: the summary drawn, tr}
  const OPEN = ["new", "notified", "acknowledged", "handling"];
  const RANK = {red: 0, orange: 1, yellow: 2, blue: 3};
  const F = ["q", "status", "level", "unit", "channel", "source", "risk", "time", "sort"];
  const seenKey = "yuqing.seen." + data.user;
  let seen = null;
  let selected = null;
  // The server's clock against this browser's: timers and time filters use the server's time.
  let skew = new Date(data.now).getTime() - Date.now();  // renewed by every /api/health answer
  const now = () => Date.now() + skew;

  try { seen = new Set(JSON.parse(localStorage.getItem(seenKey) || "null")); } catch (e) { seen = null; }
  const firstVisit = !localStorage.getItem(seenKey);
  if (!seen) seen = new Set();
  function markSeen(id) {
    if (seen.has(id)) return;
    seen.add(id);
    localStorage.setItem(seenKey, JSON.stringify(Array.from(seen).slice(-1000)));
    const tr = body.querySelector('tr[data-id="' + CSS.escape(id) + '"]');
    if (tr) { tr.classList.remove("unseen"); const m = tr.querySelector(".new-mark"); if (m) m.remove(); }
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmt(iso) {
    const t = localParts(new Date(iso));
    const p = (n) => String(n).padStart(2, "0");
    return `${p(t.month)}-${p(t.day)} ${t.hh}:${t.mm}`;
  }
  function hm(iso) {
    const t = localParts(new Date(iso));
    return `${t.hh}:${t.mm}`;
  }
  function elapsed(iso) {
    let s = Math.max(0, Math.floor((now() - new Date(iso).getTime()) / 1000));
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return (h ? h + "小时" : "") + String(m).padStart(2, "0") + "分" + String(s).padStart(2, "0") + "秒";
  }
  // A promised time ("03:35 自动转发单位"): once it has passed by a minute and the row still shows it,
  // the promise was not kept (the notify role is down): say so, "应于03:35自动转发，已逾期12分钟".
  function due(cls, iso, promise, late) {
    const s = el("span", "esc-next " + cls);
    s.dataset.due = iso;
    s.dataset.promise = promise;
    s.dataset.late = late;
    showDue(s);
    return s;
  }
  function showDue(s) {
    const m = Math.floor((now() - new Date(s.dataset.due).getTime()) / 60000);
    const late = m >= 1;
    s.textContent = late ? "应于" + hm(s.dataset.due) + s.dataset.late + "，已逾期" +
      (m >= 60 ? Math.floor(m / 60) + "小时" + (m % 60) + "分钟" : m + "分钟") : hm(s.dataset.due) + " " + s.dataset.promise;
    s.classList.toggle("overdue", late);
  }
  function cell(tr, text, cls, label) {
    const td = el("td", cls, text);
    if (label) td.dataset.label = label;
    tr.appendChild(td);
    return td;
  }

  // ---------------------------------------------------------------- filters
  const form = document.getElementById("filters");
  function value(name) { const f = form.elements[name]; return f ? f.value.trim() : ""; }
  function since(key) {
    const t = now();
    if (key === "1h") return t - 3600e3;
    if (key === "24h") return t - 86400e3;
    if (key === "7d") return t - 7 * 86400e3;
    if (key === "today") {  // since midnight in the association's zone
      const l = localParts(new Date(t));
      return t - ((+l.hh * 60 + +l.mm) * 60 + +l.ss) * 1000 - (t % 1000);
    }
    return null;
  }
  function matches(a) {
    const st = value("status"), q = value("q").toLowerCase();
    if (st === "open" && !OPEN.includes(a.status)) return false;
    if (st === "unack" && !a.unacknowledged) return false;
    if (st === "review" && !a.awaiting_review) return false;
    if (st && !["open", "unack", "review"].includes(st) && a.status !== st) return false;
    if (value("level") && a.level !== value("level")) return false;
    if (value("unit") && a.unit_id !== value("unit")) return false;
    if (value("channel") && !a.channel_ids.includes(value("channel"))) return false;
    if (value("source") && a.source_name !== value("source")) return false;
    if (value("risk") && !a.risk_types.includes(value("risk"))) return false;
    const from = since(value("time"));
    if (from !== null && new Date(a.last_seen).getTime() < from) return false;
    if (q) {
      const hay = [a.title, a.unit_name, a.unit_short, a.source_name, a.site, a.assignee || "",
                   a.risk_types.join(" ")].join(" ").toLowerCase();
      if (!q.split(/\s+/).every((w) => hay.includes(w))) return false;
    }
    return true;
  }
  function order(list) {
    const sort = value("sort") || "duty";
    const newest = (x, y) => (x.last_seen < y.last_seen ? 1 : x.last_seen > y.last_seen ? -1 : 0);
    const group = (a) => (a.escalated ? 0 : a.unacknowledged ? 1 : 2);
    return list.sort((x, y) => {
      if (sort === "duty") return group(x) - group(y) || RANK[x.level] - RANK[y.level] || newest(x, y);
      if (sort === "level") return RANK[x.level] - RANK[y.level] || newest(x, y);
      return newest(x, y);
    });
  }
  function keepInUrl() {
    const params = new URLSearchParams();
    F.forEach((n) => { const v = value(n); if (v && !(n === "sort" && v === "duty")) params.set(n, v); });
    const qs = params.toString();
    history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
  }

  // ---------------------------------------------------------------- rows
  function render(a) {
    const tr = el("tr");
    tr.dataset.id = a.id;
    tr.dataset.status = a.status;
    tr.dataset.level = a.level;
    tr.dataset.unit = a.unit_id;
    tr.dataset.lastSeen = a.last_seen;
    tr.dataset.step = a.escalation.step;
    tr.className = "level-row-" + a.level + (a.unacknowledged ? " unack" : "") + (a.escalated ? " escalated" : "");
    if (!seen.has(a.id)) tr.classList.add("unseen");
    const lv = cell(tr, "", "lv");
    lv.appendChild(el("span", "level level-" + a.level, a.level_label));
    if (!seen.has(a.id)) lv.appendChild(el("span", "new-mark", "新"));
    if (a.emergency) {
      const ev = el("a", "event-badge" + (a.emergency.status === "open" ? "" : " closed"), "事件");
      ev.href = "/emergencies/" + encodeURIComponent(a.emergency.id);
      ev.title = a.emergency.status === "open" ? "已升级为应急事件，处置中" : "应急事件已关闭";
      lv.appendChild(ev);
    }
    const unit = cell(tr, a.unit_short, "unit", "单位");
    unit.title = a.unit_name;
    const t = cell(tr, "", "title");
    const link = el("a", "", a.title);
    link.href = "/alerts/" + encodeURIComponent(a.id);
    link.addEventListener("click", () => markSeen(a.id));
    t.appendChild(link);
    const meta = el("div", "row-meta");
    meta.appendChild(el("span", "source", a.source_name));
    a.risk_types.forEach((r) => meta.appendChild(el("span", "tag neg", r)));
    t.appendChild(meta);
    // 1篇 · 1站 left 站 to guess: the sites said as such, and the whole sentence on hover.
    const spread = cell(tr, a.doc_count + "篇 · " + a.site_count + "个网站 · " + a.channels.join("、"), "spread", "传播");
    spread.title = "报道" + a.doc_count + "篇，来自" + a.site_count + "个网站（" + a.channels.join("、") + "）";
    const st = cell(tr, "", "status status-" + a.status, "状态");
    st.appendChild(el("span", "status-label", a.status_label));
    if (a.awaiting_review) {
      const r = el("span", "review-badge", a.review.label || "待复核");
      r.title = "单位尚未收到通知；" + hm(a.review.due_at) + " 前未复核将自动转发";
      st.appendChild(r);
      // The review deadline at a glance, like the next escalation step: the unit is told then by itself.
      st.appendChild(due("review-due", a.review.due_at, "自动转发单位", "自动转发"));
    } else if (a.review && a.review.state === "resolved") {
      const r = el("span", "review-badge review-closed", "协会已处置，未转发");
      r.title = a.review.label + "（" + (a.review.forwarded_by || "") + "）";
      st.appendChild(r);
    }
    if (a.escalation.step > 0) {
      const b = el("span", "esc esc-" + a.escalation.step, a.escalation.label);
      b.title = "已通知：" + (a.escalation.told.join("、") || "—");
      st.appendChild(b);
    }
    if (a.escalation.next_at) {
      st.appendChild(due("esc-due", a.escalation.next_at, "升级至" + a.escalation.next_label,
                         "升级至" + a.escalation.next_label));
    }
    const timer = cell(tr, a.unacknowledged ? elapsed(a.detected_at) : "—",
                       "timer" + (a.unacknowledged ? " timer-step-" + a.escalation.step : ""), "未确认");
    if (a.unacknowledged) timer.dataset.since = a.detected_at;
    cell(tr, a.assignee || "", "assignee", "处置人");
    cell(tr, fmt(a.last_seen), "when", "最近");
    const ops = cell(tr, "", "ops");
    if (a.awaiting_review && data.can_forward) {
      // The unit has not been told yet: the duty officer's next move is to review and forward it.
      const r = el("a", "button review-go", "复核");
      r.href = link.href + "#review";
      r.title = "单位尚未收到通知：复核研判与建议后转发";
      r.addEventListener("click", () => markSeen(a.id));
      ops.appendChild(r);
    }
    // Held for review and already received (or taken on) by a duty officer: acknowledging would only repeat it.
    const received = a.awaiting_review && a.review && a.review.received;
    if (a.unacknowledged && data.can_ack && !received) {
      const b = el("button", "ack", "确认收到");
      b.addEventListener("click", () => act(a.id, "acknowledge", b));
      ops.appendChild(b);
    }
    const d = el("a", "detail", "详情");
    d.href = link.href;
    d.addEventListener("click", () => markSeen(a.id));
    ops.appendChild(d);
    tr.addEventListener("click", (ev) => { if (ev.target.tagName !== "BUTTON") select(tr, false); });
    return tr;
  }
  function redraw() {
    const keep = selected ? selected.dataset.id : null;
    const list = order(Array.from(alerts.values()).filter(matches));
    // Rows are re-rendered only when their alert changed; the rest are moved, not rebuilt.
    const trs = list.map((a) => {
      const done = drawn.get(a.id);
      if (done && done.a === a) return done.tr;
      const tr = render(a);
      drawn.set(a.id, {a: a, tr: tr});
      return tr;
    });
    Array.from(body.children).forEach((tr) => { if (!trs.includes(tr)) tr.remove(); });
    trs.forEach((tr, i) => { if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null); });
    selected = keep ? body.querySelector('tr[data-id="' + CSS.escape(keep) + '"]') : null;
    if (selected) selected.classList.add("selected");
    document.getElementById("feed-empty").hidden = list.length > 0;
    let unack = 0;
    alerts.forEach((a) => { if (a.unacknowledged) unack += 1; });
    document.querySelector("#unack-count b").textContent = unack;
    const waiting = document.getElementById("review-count");  // held for the duty officers' review
    if (waiting) {
      let held = 0;
      alerts.forEach((a) => { if (a.awaiting_review) held += 1; });
      waiting.querySelector("b").textContent = held;
      waiting.hidden = held === 0;
    }
    attention.badge(unack);
    keepInUrl();
  }
  function upsert(a, fromStream) {
    const old = alerts.get(a.id);
    alerts.set(a.id, a);
    if (fromStream && a.unacknowledged && (!old || RANK[a.level] < RANK[old.level])) {
      attention.raise(data.user, a);
      if (!old) seen.delete(a.id);
    }
  }
  function flash(id) {
    const tr = body.querySelector('tr[data-id="' + CSS.escape(id) + '"]');
    if (tr) { tr.classList.add("flash-row"); setTimeout(() => tr.classList.remove("flash-row"), 3000); }
  }
  async function act(id, action, button) {
    button.disabled = true;
    markSeen(id);
    const r = await fetch("/api/alerts/" + encodeURIComponent(id) + "/actions", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
      body: JSON.stringify({action: action}),
    });
    if (r.ok) { upsert(await r.json(), false); redraw(); }
    else { button.disabled = false; const e = await r.json().catch(() => ({})); alert(e.detail || "操作失败"); }
  }

  // ---------------------------------------------------------------- keyboard
  function select(tr, scroll) {
    if (selected) selected.classList.remove("selected");
    selected = tr;
    if (!tr) return;
    tr.classList.add("selected");
    markSeen(tr.dataset.id);
    if (scroll) tr.scrollIntoView({block: "nearest"});
  }
  function move(step) {
    const trs = Array.from(body.querySelectorAll("tr"));
    if (!trs.length) return;
    const i = selected ? trs.indexOf(selected) : -1;
    select(trs[Math.min(trs.length - 1, Math.max(0, i < 0 ? 0 : i + step))], true);
  }
  const help = document.getElementById("kbd-help");
  function toggleHelp(show) { help.hidden = show === undefined ? !help.hidden : !show; }
  document.getElementById("show-help").addEventListener("click", () => toggleHelp());
  document.getElementById("close-help").addEventListener("click", () => toggleHelp(false));
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
    if (ev.key === "Escape") { toggleHelp(false); if (typing) document.activeElement.blur(); return; }
    if (typing) return;
    if (ev.key === "j") move(1);
    else if (ev.key === "k") move(-1);
    else if ((ev.key === "o" || ev.key === "Enter") && selected) location.href = "/alerts/" + encodeURIComponent(selected.dataset.id);
    else if (ev.key === "a" && selected) { const b = selected.querySelector("button.ack"); if (b && !b.disabled) b.click(); }
    else if (ev.key === "/") { document.getElementById("f-q").focus(); }
    else if (ev.key === "?") toggleHelp();
    else return;
    ev.preventDefault();
  });

  // ---------------------------------------------------------------- attention toggle
  const bell = document.getElementById("attention");
  function showBell() {
    const on = attention.enabled(data.user);
    bell.setAttribute("aria-pressed", on ? "true" : "false");
    bell.textContent = on ? "红橙预警弹窗与声音：已开启" : "开启弹窗与声音提醒";
  }
  bell.addEventListener("click", async () => {
    if (attention.enabled(data.user)) attention.disable(data.user); else await attention.enable(data.user);
    showBell();
  });
  showBell();

  // ---------------------------------------------------------------- stream
  function connect() {
    const es = new EventSource("/api/alerts/stream?since=" + data.cursor);
    const ok = () => {
      live.dataset.state = "live";
      live.textContent = live.dataset.ops ? "实时连接正常 · 有信息源失明" : "实时连接正常";
    };
    es.addEventListener("hello", ok);
    es.addEventListener("alert", (ev) => {
      data.cursor = Number(ev.lastEventId) || data.cursor;
      const a = JSON.parse(ev.data);
      upsert(a, true);
      redraw();
      flash(a.id);
    });
    es.addEventListener("ops", () => { live.dataset.ops = "1"; if (live.dataset.state === "live") ok(); });
    es.addEventListener("expired", () => { es.close(); location.href = "/login?reason=" + encodeURIComponent("登录已过期，请重新登录"); });
    es.onerror = () => { live.dataset.state = "down"; live.textContent = "连接中断，正在重连…"; };
  }
  data.alerts.forEach((a) => { upsert(a, false); if (firstVisit) seen.add(a.id); });
  if (firstVisit) localStorage.setItem(seenKey, JSON.stringify(Array.from(seen)));
  if (window.innerWidth < 760 && !location.search) document.getElementById("filter-box").open = false;
  form.addEventListener("input", redraw);
  form.addEventListener("change", redraw);
  document.getElementById("f-clear").addEventListener("click", () => {
    F.forEach((n) => { const f = form.elements[n]; if (f) f.value = n === "sort" ? "duty" : ""; });
    redraw();
  });
  redraw();
  setInterval(() => {
    document.querySelectorAll("td.timer[data-since]").forEach((td) => { td.textContent = elapsed(td.dataset.since); });
    body.querySelectorAll("span[data-due]").forEach(showDue);
  }, 1000);

  // ---------------------------------------------------------------- pipeline health (console/pipeline_health.py)
  const banner = document.getElementById("health-banner");
  function drawHealth(h) {
    skew = new Date(h.now).getTime() - Date.now();
    document.getElementById("health-items").replaceChildren(...h.problems.map((p) => {
      const item = el("span", "health-item", p.text);
      item.dataset.kind = p.kind;
      return item;
    }));
    banner.hidden = h.ok;
    document.body.dataset.health = h.ok ? "ok" : "bad";
  }
  async function checkHealth() {
    try {
      const r = await fetch("/api/health", {credentials: "same-origin", headers: {"Accept": "application/json"}});
      if (r.ok) drawHealth(await r.json());
    } catch (e) { /* the live-status badge already says the connection is down */ }
  }
  drawHealth(data.health);
  setInterval(checkHealth, 15000);
  connect();
})();
