// The checkout's summary follows the courier picked: its fee and the grand total (each
// courier's own total is in its label, so the page reads right without this script too).
(function () {
  "use strict";
  var fee = document.getElementById("summary-fee");
  var total = document.getElementById("summary-total");
  if (!fee || !total) { return; }
  document.querySelectorAll('input[name="courier"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (!radio.checked) { return; }
      fee.textContent = radio.dataset.feeText;
      total.textContent = radio.dataset.total;
    });
  });
})();
