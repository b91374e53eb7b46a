// Date fields (templates/_dates.html): the text field holds YYYY-MM-DD; 日历 opens the browser's picker
// (an <input type=date> kept out of sight) and its choice is written back as YYYY-MM-DD.
(function () {
  for (const button of document.querySelectorAll("button.date-pick")) {
    const text = document.getElementById(button.dataset.for);
    const picker = button.parentElement.querySelector("input.date-picker");
    if (!text || !picker) continue;
    button.addEventListener("click", () => {
      if (/^\d{4}-\d{2}-\d{2}$/.test(text.value.trim())) picker.value = text.value.trim();
      try { picker.showPicker(); } catch (e) { picker.focus(); picker.click(); }
    });
    picker.addEventListener("change", () => {
      if (picker.value) text.value = picker.value;  // always YYYY-MM-DD, whatever the locale shows
      text.dispatchEvent(new Event("change", {bubbles: true}));
    });
  }
})();
