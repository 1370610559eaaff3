// The payment page: open Razorpay Checkout, then post its answer to our server as a form.
// The options come from a JSON block the server wrote (no inline script, strict CSP);
// checkout.js is loaded only here, and only when this file runs.
(function () {
  "use strict";
  var box = document.getElementById("pay");
  var data = document.getElementById("razorpay-options");
  var form = document.getElementById("pay-confirm");
  var button = document.getElementById("pay-button");
  var problem = document.getElementById("pay-problem");
  if (!box || !data || !form || !button) return;

  var done = false;  // paid or failed: a later "dismiss" must not send the customer away

  function show(selector, visible) {
    document.querySelectorAll(selector).forEach(function (el) { el.hidden = !visible; });
  }

  function say(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  function ready() {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }

  function loadCheckout(then) {
    if (window.Razorpay) { then(); return; }
    var script = document.createElement("script");
    script.src = box.getAttribute("data-checkout-src");
    script.async = true;
    script.onload = then;
    script.onerror = function () {
      script.remove();
      say(box.getAttribute("data-text-load-failed"));
      ready();
    };
    document.head.appendChild(script);
  }

  function open() {
    say("");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    loadCheckout(function () {
      if (!window.Razorpay) { say(box.getAttribute("data-text-not-started")); ready(); return; }
      var options = JSON.parse(data.textContent);
      options.handler = function (answer) {
        done = true;
        form.elements.razorpay_payment_id.value = answer.razorpay_payment_id || "";
        form.elements.razorpay_order_id.value = answer.razorpay_order_id || "";
        form.elements.razorpay_signature.value = answer.razorpay_signature || "";
        say("");
        button.textContent = box.getAttribute("data-text-confirming");
        form.submit();
      };
      options.modal = {
        confirm_close: true,
        ondismiss: function () {
          if (!done) window.location.assign(box.getAttribute("data-dismissed-url"));
        }
      };
      var checkout = new window.Razorpay(options);
      checkout.on("payment.failed", function () {
        done = true;
        window.location.assign(box.getAttribute("data-failed-url"));
      });
      checkout.open();
      ready();
    });
  }

  show("[data-needs-js]", false);
  show("[data-when-js]", true);
  button.hidden = false;
  button.addEventListener("click", open);
  if (box.getAttribute("data-auto-open") === "1") open();
})();
