// The acknowledgement link's page. Nothing here submits by itself: the
// acknowledgement takes one human action, the 确认收到 button. Link scanners
// and previews — even those that run scripts, like a headless browser — open
// the page and change nothing. The server also requires the button's own
// field (confirm=1), which a script calling form.submit() does not send.
const form = document.getElementById("ack-form");
if (form) {
  form.addEventListener("submit", () => {
    const button = document.getElementById("do-ack");
    // After the browser has collected the button's field: no second post from a double tap.
    setTimeout(() => { button.disabled = true; button.textContent = "正在确认……"; }, 0);
  });
}
