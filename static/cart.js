// Optional: add to cart without leaving the page. Without JavaScript the form posts as usual,
// and whenever this script cannot do the job it falls back to that plain post.
(function () {
  var status = document.createElement("p");
  status.className = "flash";
  status.setAttribute("role", "status");
  status.hidden = true;
  document.querySelector("main").prepend(status);

  document.querySelectorAll("form.add-to-cart").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // The form has an input named "action", which shadows form.action: read the attribute.
      fetch(form.getAttribute("action"), {
        method: "POST", body: new FormData(form), headers: {"Accept": "application/json"},
        credentials: "same-origin"
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          status.hidden = false;
          if (!data.success) {
            status.className = "flash error";
            status.textContent = data.error;
            return;
          }
          document.getElementById("cart-count").textContent = data.count;
          document.getElementById("cart-total").textContent = data.total_text;
          var name = form.closest("article").querySelector("h3").textContent;
          status.className = "flash ok";
          status.textContent = name + " ditambahkan. Keranjang: " + data.count + " item, " +
            data.total_text + ".";
          var bar = document.getElementById("cart-bar");
          if (bar) {
            bar.hidden = false;
            document.getElementById("cart-bar-text").textContent =
              data.count + " item · " + data.total_text;
          }
        })
        .catch(function () { form.submit(); });
    });
  });
})();
