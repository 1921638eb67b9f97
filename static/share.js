// The thank-you banner's "Salin" and "Bagikan": shown only where the browser can do them.
(function () {
  "use strict";
  var link = document.getElementById("tracking-link");
  var copy = document.getElementById("copy-link");
  var share = document.getElementById("share-link");
  if (!link) { return; }
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(link.value).then(function () {
        copy.textContent = copy.dataset.copied;
      });
    });
  }
  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      navigator.share({ title: share.dataset.title, url: link.value }).catch(function () {});
    });
  }
})();
