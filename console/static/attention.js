// Getting a duty officer's attention: the unacknowledged count in the tab
// title and favicon, and (opted in per user, remembered in this browser) a
// system notification and a short tone for red and orange alerts.
// window.yuqingAttention is the small API feed.js uses.
(function () {
  "use strict";
  const baseTitle = document.title;
  const icon = document.createElement("link");
  icon.rel = "icon";
  document.head.appendChild(icon);
  let audio = null;

  function key(user) { return "yuqing.attention." + user; }

  function badge(count) {
    document.title = (count > 0 ? "(" + count + ") " : "") + baseTitle;
    const c = document.createElement("canvas");
    c.width = c.height = 32;
    const g = c.getContext("2d");
    g.fillStyle = "#17324d"; g.fillRect(0, 0, 32, 32);
    g.fillStyle = "#fff"; g.font = "bold 18px sans-serif"; g.textAlign = "center"; g.textBaseline = "middle";
    g.fillText("舆", 16, 17);
    if (count > 0) {
      g.fillStyle = "#d9363e"; g.beginPath(); g.arc(22, 10, 10, 0, 2 * Math.PI); g.fill();
      g.fillStyle = "#fff"; g.font = "bold 13px sans-serif";
      g.fillText(count > 99 ? "99" : String(count), 22, 11);
    }
    icon.href = c.toDataURL("image/png");
    icon.dataset.count = String(count);
  }

  function tone() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35].forEach((at) => {
        const o = audio.createOscillator(), v = audio.createGain();
        o.frequency.value = 880; o.type = "sine";
        v.gain.setValueAtTime(0.0001, audio.currentTime + at);
        v.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + at + 0.02);
        v.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + at + 0.3);
        o.connect(v); v.connect(audio.destination);
        o.start(audio.currentTime + at); o.stop(audio.currentTime + at + 0.32);
      });
      return true;
    } catch (e) { return false; }
  }

  const api = {
    shown: [],  // what was raised, newest last (the browser tests read it)
    enabled(user) { return localStorage.getItem(key(user)) === "on"; },
    async enable(user) {
      if ("Notification" in window && Notification.permission === "default") {
        await Notification.requestPermission();
      }
      localStorage.setItem(key(user), "on");
      tone();  // a user gesture unlocks audio for later alerts
    },
    disable(user) { localStorage.setItem(key(user), "off"); },
    badge: badge,
    raise(user, a) {
      if (!api.enabled(user) || (a.level !== "red" && a.level !== "orange")) return false;
      const title = "【" + a.level_label + "】" + (a.unit_short || a.unit_name);
      const body = a.title + "\n来源：" + a.source_name + " · " + a.status_label;
      let notified = false;
      if ("Notification" in window && Notification.permission === "granted") {
        try {
          const n = new Notification(title, {body: body, tag: a.id, requireInteraction: a.level === "red"});
          n.onclick = () => { window.focus(); location.href = "/alerts/" + encodeURIComponent(a.id); };
          notified = true;
        } catch (e) { notified = false; }
      }
      const sounded = tone();
      api.shown.push({id: a.id, title: title, notified: notified, sounded: sounded});
      return true;
    },
  };
  window.yuqingAttention = api;
})();
