// Whistle raise form: typing filters the departments to summon.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-filter-boxes]").forEach(function (input) {
      var box = document.getElementById(input.dataset.filterBoxes);
      if (!box) return;
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase();
        box.querySelectorAll("label").forEach(function (l) {
          var cb = l.querySelector("input");
          l.hidden = !!q && l.textContent.toLowerCase().indexOf(q) < 0 && !(cb && cb.checked);
        });
      });
    });
  });
})();
