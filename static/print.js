// The "Cetak" button of an order's documents.
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
