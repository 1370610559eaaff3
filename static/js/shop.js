// Small progressive enhancements; the shop works without this file.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches("[data-submit-once]")) return;
  if (form.dataset.submitted) { event.preventDefault(); return; }  // a second tap does nothing
  form.dataset.submitted = "1";
  var button = form.querySelector("button[type=submit]");
  // Words come from the page (data-busy-label), so they are in the page's language.
  if (button) {
    button.dataset.label = button.textContent;
    button.setAttribute("aria-busy", "true");
    button.textContent = button.getAttribute("data-busy-label") || button.textContent;
  }
});
// Back/forward cache may restore a submitted form: let it be sent again (the server dedupes).
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
    var button = form.querySelector("button[type=submit][aria-busy]");
    if (button) {
      button.removeAttribute("aria-busy");
      if (button.dataset.label) button.textContent = button.dataset.label;
    }
  });
});
// htmx requests go only to paths of this site: an hx-get/hx-post injected with a foreign URL
// (which would carry the admin's CSRF header) is cancelled before it is built.
document.addEventListener("htmx:config:request", function (event) {
  var request = event.detail && event.detail.ctx && event.detail.ctx.request;
  if (!request) return;
  var url;
  try { url = new URL(request.action || "", window.location.href); } catch (e) { url = null; }
  if (!url || url.origin !== window.location.origin) event.preventDefault();
});
// Marks the page as scripted: "Update price" (for pages without JavaScript) hides.
document.documentElement.classList.add("js");
// Share: the phone's own share sheet where there is one, else the wa.me link as it is.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-share-url]");
  if (!link || !navigator.share) return;
  event.preventDefault();
  navigator.share({ title: link.dataset.shareTitle, url: link.dataset.shareUrl }).catch(function () {});
});
