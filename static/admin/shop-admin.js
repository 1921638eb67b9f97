// Back-office behaviour that Flask-Admin's templates put in inline handlers, which the
// Content-Security-Policy does not run: batch actions, delete confirmations, filter links.
document.addEventListener("click", function (event) {
  var action = event.target.closest("[data-model-action]");
  if (action) {
    event.preventDefault();
    if (window.modelActions) { window.modelActions.execute(action.dataset.modelAction); }
    return;
  }
  var confirmed = event.target.closest("[data-confirm]");
  if (confirmed && !window.confirm(confirmed.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (event.target.closest("[data-no-follow]")) { event.preventDefault(); }
});
