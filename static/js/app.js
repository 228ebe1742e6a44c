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

  // A page the server has reloaded (HX-Refresh: a job that ended while it was watched) gives
  // focus back to the element of the same id, as a swap does, not to the page's top.
  var KEPT_FOCUS = "loyalty-desk:focus-after-refresh";
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    var active = document.activeElement;
    if (!xhr || xhr.getResponseHeader("HX-Refresh") !== "true") return;
    if (!active || !active.id || active === document.body) return;
    try {
      sessionStorage.setItem(KEPT_FOCUS, JSON.stringify(
        {path: location.pathname + location.search, id: active.id}));
    } catch (e) { /* storage refused: the page's own focus rules apply */ }
  });
  function keptFocus() {
    var kept = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(KEPT_FOCUS) || "null");
      sessionStorage.removeItem(KEPT_FOCUS);
    } catch (e) { return null; }
    if (!kept || kept.path !== location.pathname + location.search) return null;
    return document.getElementById(kept.id);
  }

  // Focus follows the result: on arrival (the guest found by a search, the timeline) the
  // element marked data-focus-on-load, or the panel named in the address; after an htmx swap
  // the first field of a form just opened, else the swapped-in result. Only what a person
  // did moves focus: a poll or a panel loading by itself never does.
  document.addEventListener("DOMContentLoaded", function () {
    var hash = window.location.hash.slice(1);
    var named = hash && document.getElementById(hash);
    focusOn(keptFocus() || named || document.querySelector("[data-focus-on-load]"));
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

  // Forms whose action cannot be taken back ask first: <form data-confirm="question">.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
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
  // -- Idle timeout ------------------------------------------------------------------------
  // The server says how many seconds the session has left: on <body data-session-seconds>
  // when the page loads, in X-Session-Expires-In on every htmx response and from the
  // keep-alive. Tabs share the latest end in localStorage, so one tab's activity keeps the
  // others from warning. A minute before the end a warning offers to stay signed in; at the
  // end it offers to sign in again, back to this page.
  var body = document.body;
  var WARN_BEFORE = 60 * 1000;
  var SHARED = "loyaltydesk:session-ends";
  var endsAt = null;

  function sharedEnd() {
    try { return parseInt(localStorage.getItem(SHARED) || "0", 10) || 0; } catch (e) { return 0; }
  }
  function sessionLeft(seconds) {
    var seen = parseInt(seconds, 10);
    if (isNaN(seen)) return;
    endsAt = Date.now() + seen * 1000;
    try { localStorage.setItem(SHARED, String(endsAt)); } catch (e) { /* private mode */ }
    tick();
  }
  function remaining() {
    return Math.max(endsAt || 0, sharedEnd()) - Date.now();
  }
  function loginUrl() {
    var next = window.location.pathname + window.location.search;
    return body.dataset.loginUrl + "?expired=1&next=" + encodeURIComponent(next);
  }
  function tick() {
    var box = document.getElementById("session-warning");
    if (!box || endsAt === null) return;
    var left = remaining();
    var text = box.querySelector("[data-session-text]");
    var stay = box.querySelector("[data-session-stay]");
    var login = box.querySelector("[data-session-login]");
    if (left > WARN_BEFORE) { box.hidden = true; return; }
    if (left > 0 && Date.now() - lastTyped < WARN_BEFORE) {
      // Typing is activity the server does not see: keep the session for the one typing.
      stayAlive();
      return;
    }
    if (left > 0) {
      var seconds = Math.ceil(left / 1000);
      text.textContent = "You have been inactive for a while: your session ends in " + seconds +
        " second" + (seconds === 1 ? "" : "s") + ".";
      stay.hidden = false;
      login.hidden = true;
    } else {
      sessionEnded();
      text.textContent = "Your session has ended. What you were typing on this page is kept " +
        "in this tab; sign in again to go on.";
      stay.hidden = true;
      login.hidden = false;
      login.href = loginUrl();
    }
    // Shown, not focused: focus moved away from a field would take the next keystrokes.
    box.hidden = false;
  }
  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }
  var lastTyped = 0;
  var renewing = false;
  var sessionEnded = function () { /* set with the drafts below */ };
  document.addEventListener("input", function () { lastTyped = Date.now(); });
  function stayAlive() {
    if (renewing) return;
    renewing = true;
    fetch(body.dataset.keepaliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (response) {
      if (!response.ok) { sessionLeft(0); return null; }
      return response.json();
    }).then(function (reply) {
      renewing = false;
      if (reply) sessionLeft(reply.expiresIn);
    }).catch(function () {
      renewing = false;  // no answer: the warning stays, the button can be pressed again
    });
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-session-stay]")) stayAlive();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var seconds = xhr && xhr.getResponseHeader("X-Session-Expires-In");
    if (seconds !== null && seconds !== undefined && seconds !== "") sessionLeft(seconds);
  });
  if (body.dataset.sessionSeconds !== undefined) {
    sessionLeft(body.dataset.sessionSeconds);
    setInterval(tick, 1000);
    window.addEventListener("storage", function (event) { if (event.key === SHARED) tick(); });
  }

  // -- Drafts ------------------------------------------------------------------------------
  // What is typed into a form that sends a change (one with an idempotency key) is kept in
  // this tab (sessionStorage, keyed by page and form) as it is typed. It is filled in again
  // only when it never reached the server: the form was sent after the session ended (it led
  // to the login page), or the session ended while the page was open. Then, and only on the
  // first page after signing in again (the page it came from), it comes back once. A form the
  // server answered (a success, a refusal, a field error: any answer) clears its draft, and a
  // draft left behind on a page (typed, not sent) is dropped on the next page. Passwords and
  // hidden fields (the form's one-use key) are never kept.
  var DRAFT = "loyaltydesk:draft:";
  var SENT = "loyaltydesk:draft-sent";
  var DRAFT_HOURS = 8;
  var onLogin = document.querySelector("[data-login-form]") !== null;

  function draftable(form) {
    // A change form carries its one-use key; searches and filters (a card number typed into
    // the audit filter...) are not drafts and are never kept.
    return form.method === "post" && !form.closest("[data-no-draft]") &&
      form.querySelector("input[name$='idempotency_key']") !== null;
  }
  function draftKey(form) {
    var name = form.id || form.getAttribute("action") || "";
    return DRAFT + window.location.pathname + "#" + name;
  }
  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && !field.disabled && !/^(password|hidden|file|submit|button)$/.test(field.type);
    });
  }
  function draftRead(key) {
    try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function draftWrite(key, draft) {
    try { sessionStorage.setItem(key, JSON.stringify(draft)); } catch (e) { /* full or off */ }
  }
  function draftDrop(key) {
    try { sessionStorage.removeItem(key); } catch (e) { /* off */ }
  }
  function draftKeys() {
    var keys = [];
    try {
      for (var i = 0; i < sessionStorage.length; i++) {
        var key = sessionStorage.key(i);
        if (key && key.indexOf(DRAFT) === 0) keys.push(key);
      }
    } catch (e) { /* off */ }
    return keys;
  }
  function changed(field) {
    if (field.tagName !== "SELECT") return field.value !== field.defaultValue;
    return Array.prototype.some.call(field.options, function (option) {
      return option.selected !== option.defaultSelected;
    });
  }
  // state: "typing" (on its page), "sent" (waiting for an answer), "signin" (never arrived:
  // the session had ended; comes back after signing in again).
  function draftSave(form, state) {
    var values = {};
    var typed = false;
    keptFields(form).forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked) { values[field.name + "=" + field.value] = true; }
        if (field.checked !== field.defaultChecked) typed = true;
      } else {
        values[field.name] = field.value;
        if (changed(field)) typed = true;
      }
    });
    if (typed) draftWrite(draftKey(form), { at: Date.now(), state: state, values: values });
    else draftDrop(draftKey(form));
  }
  function draftsAwaitSignin(keys) {
    keys.forEach(function (key) {
      var draft = draftRead(key);
      if (draft) { draft.state = "signin"; draftWrite(key, draft); }
    });
  }

  // What this page may fill in again: the drafts of this page that never arrived. Every
  // other draft is stale (typed and left, or answered) and is dropped. On the login page
  // nothing is restored or dropped: a form sent there never arrived.
  var restorable = {};
  (function settle() {
    var sent = null;
    try { sent = sessionStorage.getItem(SENT); sessionStorage.removeItem(SENT); } catch (e) { return; }
    if (onLogin) {
      if (sent) draftsAwaitSignin([sent]);
      return;
    }
    if (!body.dataset.loginUrl) return;  // signed out: keep them for the sign-in
    var here = DRAFT + window.location.pathname + "#";
    draftKeys().forEach(function (key) {
      var draft = draftRead(key);
      if (key !== sent && key.indexOf(here) === 0 && draft && draft.state === "signin" &&
          Date.now() - draft.at < DRAFT_HOURS * 3600 * 1000) {
        restorable[key] = draft;
      }
      draftDrop(key);
    });
  })();

  function draftRestore(form) {
    var key = draftKey(form);
    var draft = restorable[key];
    if (!draft) return;
    delete restorable[key];
    keptFields(form).forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = draft.values[field.name + "=" + field.value] === true;
      } else if (Object.prototype.hasOwnProperty.call(draft.values, field.name)) {
        field.value = draft.values[field.name];
      }
    });
    draftSave(form, "typing");
    var note = document.createElement("div");
    note.className = "alert info draft-note";
    note.setAttribute("role", "status");
    note.setAttribute("data-draft-note", "");
    var text = document.createElement("span");
    text.textContent = "What you typed here and had not sent (before your session ended) is filled in again. Check it, then send it.";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button link";
    discard.textContent = "Clear it";
    discard.addEventListener("click", function () {
      draftDrop(key);
      form.reset();
      note.remove();
    });
    note.appendChild(text);
    note.appendChild(discard);
    form.insertBefore(note, form.firstChild);
  }
  function draftsRestore(root) {
    root.querySelectorAll("form").forEach(function (form) {
      if (draftable(form)) draftRestore(form);
    });
  }
  function typedInto(event) {
    var form = event.target.form;
    if (form && draftable(form)) draftSave(form, ended ? "signin" : "typing");
  }
  document.addEventListener("input", typedInto);
  document.addEventListener("change", typedInto);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!draftable(form)) return;
    draftSave(form, "sent");
    try { sessionStorage.setItem(SENT, draftKey(form)); } catch (e) { /* nothing kept */ }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form");
    var xhr = event.detail && event.detail.xhr;
    if (!form || !xhr || !draftable(form)) return;
    var redirect = xhr.getResponseHeader("HX-Redirect") || "";
    if (redirect.indexOf(body.dataset.loginUrl || "/login/") === 0) return;  // the login page settles it
    try { sessionStorage.removeItem(SENT); } catch (e) { /* off */ }
    if (xhr.status) draftDrop(draftKey(form));  // answered, whatever the answer
    else draftSave(form, "typing");  // no answer at all: nothing arrived, the form still holds it
  });
  // The session ended with the page open: what is typed here never arrived.
  var ended = false;
  sessionEnded = function () {
    ended = true;
    draftsAwaitSignin(draftKeys().filter(function (key) {
      return key.indexOf(DRAFT + window.location.pathname + "#") === 0;
    }));
  };
  draftsRestore(document);
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) draftsRestore(event.target);
  });
})();
