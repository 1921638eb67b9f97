// Optional: add to cart without leaving the page. Without JavaScript the form posts as usual,
// and whenever this script cannot do the job it falls back to that plain post.
// Every text comes from the page ([data-cart-texts], rendered in the shopper's language).
(function () {
  var texts = document.querySelector("[data-cart-texts]");
  if (!texts) { return; }

  function say(key, values) {
    var text = texts.getAttribute("data-" + key) || "";
    Object.keys(values).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element) { element.textContent = text; }
  }

  // The feedback goes next to the tapped button: the card's (or product page's) live region.
  function statusOf(form) {
    var holder = form.closest("article") || form.parentNode;
    return holder.querySelector(".added");
  }

  function show(form, text, ok) {
    var status = statusOf(form);
    if (!status) { return; }
    status.className = "added " + (ok ? "ok" : "error");
    status.textContent = text;
    // Keep it in sight: the page's scroll-padding leaves room for the fixed cart bar.
    if (status.scrollIntoView) { status.scrollIntoView({block: "nearest"}); }
  }

  function update(data) {
    setText("cart-count", data.count);
    setText("cart-total", data.total_text);
    setText("cart-bar-text", say("items", {count: data.count}) + " · " + data.total_text);
    var bar = document.getElementById("cart-bar");
    if (bar) { bar.hidden = !data.count; }
  }

  document.querySelectorAll("form.add-to-cart").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      // The form has an input named "action", which shadows form.action: read the attribute.
      fetch(form.getAttribute("action"), {
        method: "POST", body: new FormData(form), headers: {"Accept": "application/json"},
        credentials: "same-origin"
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (button) { button.disabled = false; }
          if (!data.success) {
            show(form, data.error || say("failed", {}), false);
            return;
          }
          update(data);
          show(form, say("added", {name: form.getAttribute("data-name") || ""}) + " " +
            say("summary", {count: data.count, total: data.total_text}), true);
        })
        .catch(function () { form.submit(); });
    });
  });
})();
