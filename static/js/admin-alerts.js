// Admin pages: register the admin's service worker, and on the Alerts page turn this
// device's push alerts on ("Alert this device") or off ("Stop alerts").
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var ready = navigator.serviceWorker.register("/admin/sw.js", { scope: "/admin/" });
  var panel = document.querySelector("[data-alert-device]");
  if (!panel) return;
  var button = panel.querySelector("button");
  var status = panel.querySelector("[data-alert-status]");
  var key = panel.getAttribute("data-vapid-key");
  var STORE = "sweetshop.alertDevice";

  function say(text) { status.textContent = text; }

  function keyBytes(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  if (!key || !("PushManager" in window) || !("Notification" in window)) {
    say(key ? "This browser cannot show alerts. Try Chrome on Android." : "Alerts are not set up on the server yet.");
    return;
  }
  button.hidden = false;
  say("");

  button.addEventListener("click", function () {
    button.disabled = true;
    say("Asking for permission…");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("denied");
      return ready;
    }).then(function () { return navigator.serviceWorker.ready; }).then(function (registration) {
      return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
    }).then(function (subscription) {
      return fetch(panel.getAttribute("data-url"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": panel.getAttribute("data-csrf") },
        body: JSON.stringify(subscription.toJSON())
      });
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) throw new Error(answer.message || "refused");
        try { localStorage.setItem(STORE, String(answer.id)); } catch (e) { /* private mode */ }
        say("This device gets alerts now.");
        window.location.reload();
      });
    }).catch(function (error) {
      button.disabled = false;
      say(error && error.message === "denied"
        ? "Alerts are blocked for this site. Allow notifications in the browser's site settings, then try again."
        : "This browser could not turn on alerts (" + (error && error.message || "unknown error") + ").");
    });
  });

  // "Stop alerts" on this very device also ends its browser subscription.
  var mine = null;
  try { mine = localStorage.getItem(STORE); } catch (e) { mine = null; }
  Array.prototype.forEach.call(document.querySelectorAll("[data-stop-device]"), function (form) {
    if (form.getAttribute("data-stop-device") !== mine) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.getSubscription();
      }).then(function (subscription) {
        return subscription ? subscription.unsubscribe() : null;
      }).catch(function () { return null; }).then(function () {
        try { localStorage.removeItem(STORE); } catch (e) { /* private mode */ }
        form.submit();
      });
    });
  });
})();
