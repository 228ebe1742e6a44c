// Loyalty Desk: small behaviours that every page shares. No inline script anywhere (CSP).
(function () {
  "use strict";

  // "/" focuses the global search box unless the user is already typing somewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target && (target.isContentEditable ||
      /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing) return;
    var box = document.querySelector("[data-shortcut='/']");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
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
  // What is typed into a form that sends a change (one with an idempotency key) is kept in this tab (sessionStorage, keyed
  // by page and form) as it is typed, so a form sent after the session ended, or a page left
  // open past it, loses nothing: the same page fills it in again after signing in. A form
  // that reaches the server (anything but the login page) clears its draft. Passwords and
  // hidden fields (the form's one-use key) are never kept.
  var DRAFT = "loyaltydesk:draft:";
  var SENT = "loyaltydesk:draft-sent";
  var DRAFT_HOURS = 8;

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
  function draftSave(form) {
    var values = {};
    var typed = false;
    keptFields(form).forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked) { values[field.name + "=" + field.value] = true; }
      } else {
        values[field.name] = field.value;
        if (field.value && field.value !== field.defaultValue) typed = true;
      }
    });
    try {
      if (typed) sessionStorage.setItem(draftKey(form), JSON.stringify({ at: Date.now(), values: values }));
      else sessionStorage.removeItem(draftKey(form));
    } catch (e) { /* storage full or off: nothing kept */ }
  }
  function draftRestore(form) {
    var raw;
    try { raw = sessionStorage.getItem(draftKey(form)); } catch (e) { return; }
    if (!raw) return;
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { sessionStorage.removeItem(draftKey(form)); return; }
    if (!draft || Date.now() - draft.at > DRAFT_HOURS * 3600 * 1000) {
      sessionStorage.removeItem(draftKey(form));
      return;
    }
    keptFields(form).forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = draft.values[field.name + "=" + field.value] === true;
      } else if (Object.prototype.hasOwnProperty.call(draft.values, field.name)) {
        field.value = draft.values[field.name];
      }
    });
    var note = document.createElement("div");
    note.className = "alert info draft-note";
    note.setAttribute("role", "status");
    note.setAttribute("data-draft-note", "");
    var text = document.createElement("span");
    text.textContent = "What you typed here and had not sent (before your session ended, or before you left the page) is filled in again. Check it, then send it.";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button link";
    discard.textContent = "Clear it";
    discard.addEventListener("click", function () {
      sessionStorage.removeItem(draftKey(form));
      form.reset();
      note.remove();
    });
    note.appendChild(text);
    note.appendChild(discard);
    form.insertBefore(note, form.firstChild);
  }
  function draftsRestore(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("form").forEach(function (form) {
      if (draftable(form)) draftRestore(form);
    });
  }
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && draftable(form)) draftSave(form);
  });
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && draftable(form)) draftSave(form);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!draftable(form)) return;
    draftSave(form);
    try { sessionStorage.setItem(SENT, draftKey(form)); } catch (e) { /* nothing kept */ }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form");
    var xhr = event.detail && event.detail.xhr;
    if (!form || !xhr || !draftable(form)) return;
    var redirect = xhr.getResponseHeader("HX-Redirect") || "";
    if (redirect.indexOf(body.dataset.loginUrl || "/login/") === 0) return;
    if (xhr.status && xhr.status < 500) {
      sessionStorage.removeItem(draftKey(form));
      sessionStorage.removeItem(SENT);
    }
  });
  (function settleSent() {
    var sent;
    try { sent = sessionStorage.getItem(SENT); } catch (e) { return; }
    if (!sent) return;
    sessionStorage.removeItem(SENT);
    // Sent and answered by the server: the page it led to has what was sent (a success, or
    // the form again with what was typed). On the login page it never arrived: keep it.
    if (!document.querySelector("[data-login-form]")) sessionStorage.removeItem(sent);
  })();
  draftsRestore(document);
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.querySelectorAll) {
      event.target.querySelectorAll("form").forEach(function (form) {
        if (draftable(form) && !form.querySelector("[data-draft-note]")) draftRestore(form);
      });
    }
  });
})();
