// Small progressive enhancements; the shop works without this file.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches("[data-submit-once]")) return;
  if (form.dataset.submitted) { event.preventDefault(); return; }  // a second tap does nothing
  form.dataset.submitted = "1";
  var button = form.querySelector("button[type=submit]");
  if (button) { button.setAttribute("aria-busy", "true"); button.textContent = "Placing order…"; }
});
// Back/forward cache may restore a submitted form: let it be sent again (the server dedupes).
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
    var button = form.querySelector("button[type=submit][aria-busy]");
    if (button) { button.removeAttribute("aria-busy"); button.textContent = "Place order"; }
  });
});
