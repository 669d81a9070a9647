// A meeting's attendance: someone marked absent or excused gets the AB post's other holder
// suggested as substitute; someone present needs none.
(function () {
  "use strict";
  document.querySelectorAll("[data-participant]").forEach(function (row) {
    var select = row.querySelector("[data-substitute]");
    if (!select) { return; }
    row.querySelectorAll("input[data-attendance]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (!radio.checked) { return; }
        if (radio.value === "present") {
          select.value = "";
        } else if (!select.value && select.dataset.suggestion) {
          select.value = select.dataset.suggestion;
        }
      });
    });
  });
})();
