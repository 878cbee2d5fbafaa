// jitsuin: small progressive enhancements; every page also works without JavaScript.
(function () {
  "use strict";

  // A form marked data-once sends once: a second click while it is on its way does nothing.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // Re-enable after a while so that a download form can be used again.
    window.setTimeout(function () { form.dataset.sent = "0"; }, 5000);
  }, true);

  // Copy buttons: data-copy="#id" copies the element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent.trim();
    var status = document.querySelector(button.getAttribute("data-copy-status") || "#copy-status");
    function done() { if (status) status.textContent = button.getAttribute("data-copied") || "OK"; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
    } else {
      selectText(source);
      try { if (document.execCommand("copy")) done(); } catch (e) { /* selected for manual copy */ }
    }
  });

  // A result that appears after a form post (data-focus) gets the focus, so that screen readers
  // announce it and a phone scrolls to it.
  document.addEventListener("DOMContentLoaded", function () {
    var target = document.querySelector("[data-focus]");
    if (target) target.focus();
  });

  // Polled panels (htmx, hx-swap="outerHTML") are replaced on every update. Screen readers
  // follow one persistent live region per page instead (data-live="#id"): only its text
  // changes, and only when the panel's data-announce differs, so each change is announced
  // once. Focus inside a replaced panel returns to the same element (or to the panel), not
  // to the body. Once nothing is in progress, "requested: progress shows here" messages go.
  var focusBeforeSwap = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    focusBeforeSwap = null;
    if (target && active && active !== document.body && target.contains(active)) {
      focusBeforeSwap = {id: active.id, panel: target.id};
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[data-live][data-announce]").forEach(function (panel) {
      var live = document.querySelector(panel.getAttribute("data-live"));
      var text = panel.getAttribute("data-announce");
      if (live && live.textContent.trim() !== text.trim()) live.textContent = text;
    });
    if (!document.querySelector("[data-in-progress='1']")) {
      document.querySelectorAll("[data-progress-message]").forEach(function (item) {
        var list = item.parentNode;
        item.remove();
        if (list && !list.children.length) list.remove();
      });
    }
    var lost = !document.activeElement || document.activeElement === document.body;
    if (focusBeforeSwap && lost) {
      var back = (focusBeforeSwap.id && document.getElementById(focusBeforeSwap.id)) ||
        document.getElementById(focusBeforeSwap.panel);
      if (back) back.focus();
    }
    focusBeforeSwap = null;
  });

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
})();
