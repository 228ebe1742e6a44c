// Loyalty Desk: small behaviours that every page shares. No inline script anywhere (CSP).
(function () {
  "use strict";

  function typingIn(target) {
    return target && (target.isContentEditable ||
      /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // Moves focus to an element that may not be focusable by itself (a panel, a heading).
  function focusOn(element) {
    if (!element) return;
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  // Keyboard shortcuts: an element with data-shortcut="k" is reached by pressing k (a field
  // is focused, a link to a panel of this page focuses that panel, another link is
  // followed). "?" lists them, from the page itself, so the list is never out of date.
  function shortcutHelp() {
    var dialog = document.getElementById("shortcut-help");
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.id = "shortcut-help";
      dialog.className = "shortcuts";
      dialog.setAttribute("aria-labelledby", "shortcut-help-title");
      document.body.appendChild(dialog);
    }
    dialog.replaceChildren();
    var title = document.createElement("h2");
    title.id = "shortcut-help-title";
    title.textContent = "Keyboard shortcuts";
    var list = document.createElement("dl");
    var keys = [["?", "This list"]];
    document.querySelectorAll("[data-shortcut]").forEach(function (element) {
      var label = element.getAttribute("data-shortcut-label") || element.getAttribute("placeholder") ||
        element.getAttribute("aria-label") || element.textContent.trim();
      if (element.getAttribute("data-shortcut") === "/") label = "Find a guest";
      keys.push([element.getAttribute("data-shortcut"), label]);
    });
    keys.forEach(function (pair) {
      var term = document.createElement("dt");
      var key = document.createElement("kbd");
      key.textContent = pair[0];
      term.appendChild(key);
      var description = document.createElement("dd");
      description.textContent = pair[1];
      list.append(term, description);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button";
    close.textContent = "Close";
    close.addEventListener("click", function () { dialog.close(); });
    dialog.append(title, list, close);
    dialog.showModal();
    close.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "?") {
      event.preventDefault();
      shortcutHelp();
      return;
    }
    var element = document.querySelector("[data-shortcut='" + CSS.escape(event.key) + "']");
    if (!element) return;
    event.preventDefault();
    if (typingIn(element)) {
      element.focus();
      if (element.select) element.select();
      return;
    }
    var href = element.getAttribute("href") || "";
    if (href.charAt(0) === "#") {
      var panel = document.getElementById(href.slice(1));
      if (panel) {
        history.replaceState(null, "", href);
        focusOn(panel);
        panel.scrollIntoView({ block: "start" });
        return;
      }
    }
    element.click();
  });

  // Focus follows the result: on arrival (the guest found by a search, the timeline) the
  // element marked data-focus-on-load, or the panel named in the address; after an htmx swap
  // the first field of a form just opened, else the swapped-in result. Only what a person
  // did moves focus: a poll or a panel loading by itself never does.
  document.addEventListener("DOMContentLoaded", function () {
    var hash = window.location.hash.slice(1);
    var named = hash && document.getElementById(hash);
    focusOn(named || document.querySelector("[data-focus-on-load]"));
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    var cause = config && config.triggeringEvent;
    var byPerson = cause && /^(click|submit|keydown|keyup|change)$/.test(cause.type);
    event.detail.target.dataset.swapFocus = byPerson ? "1" : "";
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || target.dataset.swapFocus === "") return;
    if (!target.isConnected && target.id) target = document.getElementById(target.id);
    if (!target) return;
    delete target.dataset.swapFocus;
    var within = target.querySelector("[data-autofocus-within]");
    var field = within && within.querySelector("input:not([type=hidden]), select, textarea");
    var alert = target.querySelector(".errorlist, .alert");
    focusOn(field && !alert ? field : (alert || target));
  });

  // A text box with data-limit="n" says how many characters it holds as they are typed, and
  // says when it is over; the server refuses a text that is too long (nothing is cut).
  function counter(box) {
    if (box.dataset.counted) return;
    box.dataset.counted = "1";
    var limit = parseInt(box.getAttribute("data-limit"), 10);
    var output = document.createElement("p");
    output.className = "char-count";
    output.id = box.id + "-count";
    output.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", output);
    var described = box.getAttribute("aria-describedby");
    box.setAttribute("aria-describedby", (described ? described + " " : "") + output.id);
    function update() {
      var length = box.value.trim().length;
      var over = length - limit;
      output.classList.toggle("over", over > 0);
      output.textContent = over > 0
        ? length + " characters: " + over + " over the limit of " + limit + ". Shorten it to save it."
        : length + " of " + limit + " characters";
    }
    box.addEventListener("input", update);
    update();
  }
  function counters(root) {
    root.querySelectorAll("[data-limit]").forEach(counter);
  }
  document.addEventListener("DOMContentLoaded", function () { counters(document); });
  document.addEventListener("htmx:load", function (event) { counters(event.detail.elt); });

  // Back or Forward restoring a page from the browser's memory would show what was true
  // then (a card's old status): every page is sent no-store, so ask the server again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });

  // Copy buttons: <button data-copy="#id-of-element-or-value">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    var text = source ? (source.value || source.textContent || "").trim() : "";
    if (!text || !navigator.clipboard) return;
    navigator.clipboard.writeText(text).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Buttons that must not submit twice: disabled while their form is in flight.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-once]")) return;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("[data-once]");
    if (form) {
      form.dataset.submitted = "";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    }
  });
})();
