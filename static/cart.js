// Optional: add to cart without leaving the page. Without JavaScript the form posts as usual.
document.querySelectorAll("form.add-to-cart").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {method: "POST", body: new FormData(form), headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.success) { alert(data.error); return; }
        document.getElementById("cart-count").textContent = data.count;
        document.getElementById("cart-total").textContent = data.total_text;
      })
      .catch(function () { form.submit(); });
  });
});
