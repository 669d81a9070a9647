// A search picker (grids.pickers.SearchPicker: a patrol log's companions from the rest of the
// community, a dispute's parties): the people are found by typing, not listed. The matches
// come from the server (htmx, the search box's hx-get); a ticked match joins the chosen,
// which stay in view and are sent with the form (also when the patrol's outbox submits it).
// Without this script the box's "Search" button posts the form back and the page lists the
// matches.
(function () {
  "use strict";
  document.querySelectorAll("[data-search-picker]").forEach(function (picker) {
    var search = picker.querySelector("[data-search-box]");
    var chosen = picker.querySelector("[data-search-chosen]");
    var button = picker.querySelector("[data-search-button]");
    // The matches follow the typing: the button is not needed, and Enter in any field of the
    // form must not post the search.
    if (button) {
      button.remove();
    }
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        // Enter searches now and does not submit the form.
        event.preventDefault();
        search.dispatchEvent(new Event("picker-search"));
      }
    });
    picker.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox" || !box.checked || chosen.contains(box)) {
        return;
      }
      var row = box.closest("[data-choice]");
      var before = chosen.querySelector('[data-choice="' + row.dataset.choice + '"]');
      if (before) {
        before.remove();
      }
      chosen.appendChild(row);
    });
  });
})();
