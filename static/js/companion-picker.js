// The companion picker of a patrol log: the grid's team is listed in full; the rest of the
// community is found by typing a name. Whoever is ticked stays in view. Without this script
// the whole community is listed.
(function () {
  "use strict";
  document.querySelectorAll("input[data-companion-search]").forEach(function (search) {
    var others = Array.prototype.slice.call(
      search.form.querySelectorAll("input[data-companion-other]")
    );
    var searchBox = search.closest("[id^=div_]") || search.parentElement;
    if (!others.length) {
      searchBox.hidden = true;
      return;
    }
    var group = others[0].closest("[id^=div_]") || others[0].closest("fieldset");
    var names = others.map(function (input) {
      return (input.labels.length ? input.labels[0].textContent : "").trim().toLowerCase();
    });

    function update() {
      var query = search.value.trim().toLowerCase();
      var shown = 0;
      others.forEach(function (input, i) {
        var show = input.checked || (query !== "" && names[i].indexOf(query) !== -1);
        input.closest(".form-check").hidden = !show;
        shown += show ? 1 : 0;
      });
      group.hidden = shown === 0;
    }

    search.addEventListener("input", update);
    // Enter in the search box must not submit the log.
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
    others.forEach(function (input) {
      input.addEventListener("change", update);
    });
    update();
  });
})();
