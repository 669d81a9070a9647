// The companion picker of a patrol log: the grid's team is listed in full; the rest of the
// community is found by typing a name. The matches come from the server (htmx, the search
// box's hx-get); a ticked match joins the chosen, which stay in view and are sent with the
// log (also when the outbox submits it). Without this script the box's "Search" button
// posts the form back and the page lists the matches.
(function () {
  "use strict";
  document.querySelectorAll("[data-companion-picker]").forEach(function (picker) {
    var search = picker.querySelector("[data-companion-search]");
    var chosen = picker.querySelector("[data-companion-chosen]");
    var button = picker.querySelector("[data-companion-search-button]");
    // The matches follow the typing: the button is not needed, and Enter in any field of the
    // log must not post the search.
    if (button) {
      button.remove();
    }
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        // Enter searches now and does not submit the log.
        event.preventDefault();
        search.dispatchEvent(new Event("companion-search"));
      }
    });
    picker.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox" || !box.checked || chosen.contains(box)) {
        return;
      }
      var row = box.closest("[data-companion]");
      var before = chosen.querySelector('[data-companion="' + row.dataset.companion + '"]');
      if (before) {
        before.remove();
      }
      chosen.appendChild(row);
    });
  });
})();
