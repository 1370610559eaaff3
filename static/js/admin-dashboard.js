// Dashboard: chime when a new order arrives, and show the waiting count in the tab title.
// The waiting list itself refreshes through htmx polling; this only reacts to it.
(function () {
  "use strict";
  var STORAGE_KEY = "sweetshop.orderSound";
  var list = document.getElementById("waiting");
  var toggle = document.querySelector("[data-sound-toggle]");
  if (!list || !toggle) return;
  var stateText = toggle.querySelector("[data-sound-state]");
  var announcer = document.querySelector("[data-new-orders-announcer]");
  var hint = document.querySelector("[data-sound-hint]");
  var baseTitle = document.title.replace(/^\(\d+\)\s*/, "");
  var audio = null;
  var soundOn = readPreference();
  var lastCount = currentCount();

  function readPreference() {
    try { return localStorage.getItem(STORAGE_KEY) !== "off"; } catch (e) { return true; }
  }

  function savePreference() {
    try { localStorage.setItem(STORAGE_KEY, soundOn ? "on" : "off"); } catch (e) { /* private mode */ }
  }

  function currentCount() {
    var box = list.querySelector("[data-waiting-count]");
    var n = box ? parseInt(box.getAttribute("data-waiting-count"), 10) : 0;
    return isNaN(n) ? 0 : n;
  }

  function words(name) { return toggle.getAttribute("data-text-" + name) || ""; }

  function showToggle() {
    toggle.hidden = false;
    toggle.setAttribute("aria-pressed", soundOn ? "true" : "false");
    // The words are the page's (data-text-* attributes), in the admin's language.
    if (stateText) stateText.textContent = words(soundOn ? "on" : "off");
    // Until the page has been touched once, the browser keeps the chime silent: say so.
    // The text changes but stays one line, so nothing under it moves as a tap lands.
    if (hint) {
      hint.hidden = false;
      hint.textContent = !soundOn ? words("silent")
        : (audio && audio.state === "running") ? words("chimes")
        : words("tap");
    }
  }

  // Browsers keep audio locked until the person interacts with the page: every tap or key
  // press (the toggle included) gives us the chance to create or resume the AudioContext.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) {
      audio = new Context();
      audio.onstatechange = showToggle;
    }
    if (audio.state === "suspended") audio.resume();
    return audio;
  }

  function chime() {
    var ctx = audio;
    if (!soundOn || !ctx || ctx.state !== "running") return;
    // Two short rising notes, loud enough to hear across a shop counter.
    [[880, 0], [1320, 0.18]].forEach(function (note) {
      var start = ctx.currentTime + note[1];
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = note[0];
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.4, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.35);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.4);
    });
  }

  function updateTitle(count) {
    document.title = (count > 0 ? "(" + count + ") " : "") + baseTitle;
  }

  toggle.addEventListener("click", function () {
    soundOn = !soundOn;
    savePreference();
    showToggle();
    var ctx = soundOn ? unlockAudio() : null;
    if (ctx) ctx.resume().then(chime);  // a sample, and proof the sound works
  });

  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () { if (soundOn) unlockAudio(); },
                              { capture: true, passive: true });
  });

  list.addEventListener("htmx:after:swap", function () {
    var count = currentCount();
    if (count > lastCount) {
      chime();
      if (announcer) {
        var added = count - lastCount;
        announcer.textContent = added === 1 ? words("one-new")
          : words("many-new").replace("%(num)s", added);
      }
    }
    lastCount = count;
    updateTitle(count);
  });

  showToggle();
  updateTitle(lastCount);
})();
