// The box builder updates itself as portions change (htmx), so "Update box" is only for
// pages without JavaScript. Left visible if htmx did not load.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.htmx) return;
  document.querySelectorAll("[data-update-box]").forEach(function (button) { button.hidden = true; });
});
