// Check-box lists (templates/_picklist.html): the filter box hides the options whose label does not contain what
// was typed (ticked ones always stay), and the legend counts what is ticked (已选 N).
(function () {
  for (const box of document.querySelectorAll("fieldset.picklist")) {
    const count = box.querySelector(".pick-count");
    const filter = box.querySelector("input.pick-filter");
    const options = Array.from(box.querySelectorAll(".pick-list label"));
    const recount = () => {
      const n = box.querySelectorAll(".pick-list input:checked").length;
      count.textContent = n ? `已选 ${n}` : "";
    };
    box.addEventListener("change", recount);
    if (filter) {
      filter.addEventListener("input", () => {
        const needle = filter.value.trim().toLowerCase();
        for (const label of options) {
          const text = (label.textContent + " " + (label.title || "")).toLowerCase();
          label.hidden = Boolean(needle) && !text.includes(needle) && !label.querySelector("input").checked;
        }
      });
      // Enter in the filter box must not submit the whole search form.
      filter.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
    }
  }
})();
