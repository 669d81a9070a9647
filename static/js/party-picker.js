// The party picker of a dispute's mediation: the grid's residents are found by typing, not
// listed. The matches come from the server (htmx, the search box's hx-get); a ticked match
// joins the chosen parties, which stay in view and are sent with the form. Without this
// script the box's "Search" button posts the form back and the page lists the matches.
(function () {
  "use strict";
  document.querySelectorAll("[data-party-picker]").forEach(function (picker) {
    var search = picker.querySelector("[data-party-search]");
    var chosen = picker.querySelector("[data-party-chosen]");
    var button = picker.querySelector("[data-party-search-button]");
    // The matches follow the typing: the button is not needed, and Enter must not post the
    // mediation.
    if (button) {
      button.remove();
    }
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        search.dispatchEvent(new Event("party-search"));
      }
    });
    picker.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox" || !box.checked || chosen.contains(box)) {
        return;
      }
      var row = box.closest("[data-party]");
      var before = chosen.querySelector('[data-party="' + row.dataset.party + '"]');
      if (before) {
        before.remove();
      }
      chosen.appendChild(row);
    });
  });
})();
