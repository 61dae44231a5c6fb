// idgap web UI: keyboard shortcuts for the review queue; everything works without JavaScript.
(function () {
  "use strict";

  function typing(ev) {
    const t = ev.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  function selectCandidate(n) {
    const cards = document.querySelectorAll("[data-candidate]");
    const card = cards[n - 1];
    if (!card) return;
    cards.forEach(function (c) { c.classList.remove("selected"); });
    card.classList.add("selected");
    const button = card.querySelector("button[type=submit]");
    if (button) button.focus();
  }

  function follow(selector) {
    const link = document.querySelector(selector);
    if (link && link.href) window.location.href = link.href;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) {
      // Ctrl+Enter inside the "Sin coincidencia" note submits it
      if (ev.key === "Enter" && ev.target && ev.target.id === "nomatch-note") ev.target.form.requestSubmit();
      return;
    }
    if (typing(ev) || !document.querySelector("[data-review]")) return;
    if (ev.key >= "1" && ev.key <= "5") { selectCandidate(Number(ev.key)); ev.preventDefault(); }
    else if (ev.key === "n") { const note = document.getElementById("nomatch-note"); if (note) { note.focus(); ev.preventDefault(); } }
    else if (ev.key === "j") { follow("a[data-nav=next]"); }
    else if (ev.key === "k") { follow("a[data-nav=prev]"); }
    else if (ev.key === "u") { const f = document.getElementById("undo-offer"); if (f) { f.requestSubmit(); ev.preventDefault(); } }
  });

  // folded filter forms (<details data-fold>) open on a wide screen; on a phone they stay
  // folded unless the server opened them because a filter is active
  if (window.matchMedia && window.matchMedia("(min-width: 601px)").matches) {
    document.querySelectorAll("details[data-fold]").forEach(function (d) { d.open = true; });
  }

  // "Volver" on error pages goes back when there is somewhere to go back to
  document.addEventListener("click", function (ev) {
    const link = ev.target && ev.target.closest && ev.target.closest("a[data-back]");
    if (link && window.history.length > 1) { ev.preventDefault(); window.history.back(); }
  });

  // confirm dangerous admin forms (merge / split)
  document.addEventListener("submit", function (ev) {
    const msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();
