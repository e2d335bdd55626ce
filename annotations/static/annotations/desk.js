// The reviewer's desk: turn a text selection into code-point offsets (spans.js), and drive the
// page from the keyboard. The server renders everything (htmx partials); this module only
// measures selections, opens forms and moves focus.
import { measureSelection as measureIn } from "./spans.js";

const desk = document.getElementById("desk");
const popover = document.getElementById("mark-popover");
const toastBox = document.getElementById("toast");
const help = document.getElementById("shortcuts");
const verdicts = (desk?.dataset.verdicts || "").split(" ");
let pending = null; // the selection measured last: {start, end, quote}
let moving = null; // the claim id whose span the next selection replaces
let focusedId = null;

const textRoot = () => document.getElementById("article-text");
const cards = () => Array.from(document.querySelectorAll(".claim-card"));
// The current selection as {start, end, quote} over the stored article text (spans.js).
export function measureSelection(selection = window.getSelection()) {
  return measureIn(textRoot(), selection);
}
window.deskMeasureSelection = measureSelection; // for the browser tests

function toast(message) {
  toastBox.textContent = message;
  toastBox.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (toastBox.hidden = true), 6000);
}

function showPopover() {
  pending = measureSelection();
  if (!pending) {
    popover.hidden = true;
    return;
  }
  const rect = window.getSelection().getRangeAt(0).getBoundingClientRect();
  popover.querySelector('[data-action="move"]').hidden = !moving;
  popover.hidden = false;
  popover.style.top = `${window.scrollY + rect.bottom + 8}px`;
  popover.style.left = `${Math.max(8, window.scrollX + rect.left + rect.width / 2 - popover.offsetWidth / 2)}px`;
}

function markClaim() {
  const span = pending || measureSelection();
  if (!span) {
    toast("Select some text in the article first.");
    return;
  }
  popover.hidden = true;
  const url = `${desk.dataset.createUrl}?${new URLSearchParams({ start: span.start, end: span.end, quote: span.quote })}`;
  htmx.ajax("GET", url, { target: "#composer", swap: "innerHTML", source: desk }).then(() => {
    document.querySelector("#claim-form [name=claimant]")?.focus();
  });
}

// A person marks an entity the model missed: the label form opens in the composer.
function markEntity() {
  const span = pending || measureSelection();
  if (!span) {
    toast("Select some text in the article first.");
    return;
  }
  popover.hidden = true;
  const url = `${desk.dataset.entityUrl}?${new URLSearchParams({ start: span.start, end: span.end, quote: span.quote })}`;
  htmx.ajax("GET", url, { target: "#composer", swap: "innerHTML", source: desk }).then(() => {
    document.querySelector("#entity-form [name=label]")?.focus();
  });
}

function moveClaim() {
  const span = pending || measureSelection();
  const card = moving && document.getElementById(`claim-${moving}`);
  if (!span || !card) {
    toast(card ? "Select the new text for the claim first." : "Focus a claim you may edit, choose “Move span”, then select text.");
    return;
  }
  popover.hidden = true;
  const values = { start: span.start, end: span.end, quote: span.quote, version: card.dataset.version };
  htmx.ajax("POST", card.dataset.spanUrl, { target: `#slot-${moving}`, swap: "innerHTML", values, source: card });
  moving = null;
}

// Past the first full cards, claims arrive as stubs (quote and status) that are filled in a
// chunk at a time as they come near the viewport, or at once when one gets the focus. Only
// stubs are asked for, so a card with an open form is never replaced.
const chunk = Number(desk?.dataset.cardChunk || 25);
const asked = new Set();

// A fill that failed: its stubs may be asked for again (on the next scroll or focus).
function forgetFill(detail) {
  const failed = (detail.pathInfo?.requestPath || "").match(/\/cards\/\?ids=([\d,]+)/);
  if (failed) failed[1].split(",").forEach((id) => asked.delete(id));
}

function fill(stub) {
  if (!stub?.classList.contains("stub") || asked.has(stub.dataset.claimId)) return;
  const ids = [];
  for (let el = stub; el && ids.length < chunk; el = el.nextElementSibling) {
    if (el.classList.contains("stub") && !asked.has(el.dataset.claimId)) ids.push(el.dataset.claimId);
  }
  ids.forEach((id) => asked.add(id));
  // The stub as the source: htmx keeps one request in flight per source element and would drop
  // the others, so a shared source would leave stubs unfilled.
  htmx.ajax("GET", `${desk.dataset.cardsUrl}?ids=${ids.join(",")}`, { target: stub, swap: "outerHTML", source: stub });
}

const nearby =
  "IntersectionObserver" in window
    ? new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            if (!entry.isIntersecting) continue;
            nearby.unobserve(entry.target);
            fill(entry.target);
          }
        },
        { rootMargin: "600px 0px" },
      )
    : null;
const watchStubs = () => document.querySelectorAll(".claim-card.stub").forEach((stub) => nearby?.observe(stub));
watchStubs();

function focusClaim(card, scroll = true) {
  if (!card) return;
  fill(card);
  focusedId = card.dataset.claimId;
  card.focus({ preventScroll: !scroll });
  if (scroll) card.scrollIntoView({ block: "nearest" });
  markActive();
  const seg = textRoot().querySelector(`.seg[data-claims~="${focusedId}"]`);
  if (scroll && seg) seg.scrollIntoView({ block: "center", behavior: "smooth" });
}

function markActive() {
  textRoot().querySelectorAll(".seg.active").forEach((s) => s.classList.remove("active"));
  if (focusedId) {
    textRoot().querySelectorAll(`.seg[data-claims~="${focusedId}"]`).forEach((s) => s.classList.add("active"));
  }
}

function currentCard() {
  const active = document.activeElement?.closest?.(".claim-card");
  return active || (focusedId && document.getElementById(`claim-${focusedId}`)) || null;
}

function step(delta) {
  const all = cards();
  if (!all.length) return;
  const index = all.indexOf(currentCard());
  const next = index < 0 ? (delta > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + delta));
  focusClaim(all[next]);
}

// A stub has no controls until its card arrives (and a card just swapped in keeps the stub's
// class for htmx's settle moment, so the controls, not the class, decide).
const loading = (card) => card?.classList.contains("stub") && !card.querySelector("form.quick");

function openEditor(card) {
  if (loading(card)) return toast("The claim is still loading: try again in a moment.");
  const button = card?.querySelector('[data-action="edit"]');
  if (!button) {
    toast(card ? "You can only change claims you marked." : "Focus a claim first (j / k).");
    return;
  }
  htmx.ajax("GET", button.getAttribute("hx-get"), { source: button, target: button.getAttribute("hx-target") });
}

function setVerdict(digit) {
  const card = currentCard();
  if (loading(card)) return toast("The claim is still loading: try again in a moment.");
  const select = card?.querySelector("form.quick select[name=verdict]");
  if (!card || !select) {
    toast(card ? "You can only change claims you marked." : "Focus a claim first (j / k).");
    return;
  }
  select.value = verdicts[digit - 1];
  // Straight through htmx.ajax rather than a synthetic "change": works even on a card swapped
  // in a moment ago that htmx has not wired up yet.
  const form = select.form;
  htmx.ajax("POST", form.getAttribute("hx-post"), { source: form, target: form, swap: "outerHTML" });
}

// Suggested sentences (check-worthiness): s moves between them, a opens the claim form on the
// focused one (the server makes the claim at the sentence's exact span), x dismisses it.
let focusedSuggestion = null;
let refocusSuggestionAt = null; // after a dismissal, the list position to focus again
const suggestionItems = () => Array.from(document.querySelectorAll("#suggestions .suggestion"));

function currentSuggestion() {
  const active = document.activeElement?.closest?.(".suggestion");
  return active || (focusedSuggestion && document.getElementById(`suggestion-${focusedSuggestion}`)) || null;
}

function markSuggestion() {
  textRoot().querySelectorAll(".seg.active-suggestion").forEach((s) => s.classList.remove("active-suggestion"));
  if (focusedSuggestion) {
    textRoot()
      .querySelectorAll(`.seg[data-suggestions~="${focusedSuggestion}"]`)
      .forEach((s) => s.classList.add("active-suggestion"));
  }
}

function focusSuggestion(item, scroll = true) {
  if (!item) return;
  focusedSuggestion = item.dataset.suggestionId;
  item.focus({ preventScroll: !scroll });
  if (scroll) item.scrollIntoView({ block: "nearest" });
  markSuggestion();
  const seg = textRoot().querySelector(`.seg[data-suggestions~="${focusedSuggestion}"]`);
  if (scroll && seg) seg.scrollIntoView({ block: "center", behavior: "smooth" });
}

function stepSuggestion() {
  const all = suggestionItems();
  if (!all.length) {
    toast("No suggestions left on this article.");
    return;
  }
  const index = all.indexOf(currentSuggestion());
  focusSuggestion(all[(index + 1) % all.length]);
}

function acceptSuggestion(item) {
  if (!item) {
    toast("Focus a suggestion first (s, or click a suggested sentence).");
    return;
  }
  const { start, end, quote, suggestionId } = item.dataset;
  const params = new URLSearchParams({ start, end, quote, suggestion: suggestionId });
  htmx.ajax("GET", `${desk.dataset.createUrl}?${params}`, { target: "#composer", swap: "innerHTML", source: desk }).then(
    () => document.querySelector("#claim-form [name=claimant]")?.focus(),
  );
}

function dismissSuggestion(item) {
  if (!item) {
    toast("Focus a suggestion first (s, or click a suggested sentence).");
    return;
  }
  refocusSuggestionAt = suggestionItems().indexOf(item);
  focusedSuggestion = null;
  htmx.ajax("POST", item.dataset.dismissUrl, { target: "#suggestions", swap: "outerHTML", source: desk });
}

const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    popover.hidden = true;
    moving = null;
    const form = event.target.closest?.(".panel-form");
    if (form) cancelForm(form);
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  const key = event.key;
  if (key === "j" || key === "k") step(key === "j" ? 1 : -1);
  else if (key === "c") markClaim();
  else if (key === "m") moveClaim();
  else if (key === "s") stepSuggestion();
  else if (key === "a") acceptSuggestion(currentSuggestion());
  else if (key === "x") dismissSuggestion(currentSuggestion());
  else if (key === "e") openEditor(currentCard());
  else if (key === "?") help.open ? help.close() : help.showModal();
  else if (/^[1-8]$/.test(key)) setVerdict(Number(key));
  else return;
  event.preventDefault();
});

function cancelForm(form) {
  const card = form.closest(".claim-card");
  form.remove();
  if (card) card.focus();
}

document.addEventListener("click", (event) => {
  const action = event.target.closest("[data-action], [data-cancel]");
  if (!action) return;
  if (action.hasAttribute("data-cancel")) return cancelForm(action.closest("form"));
  const name = action.dataset.action;
  if (name === "mark") markClaim();
  else if (name === "mark-entity") markEntity();
  else if (name === "move") moveClaim();
  else if (name === "help") help.showModal();
  else if (name === "accept-suggestion") acceptSuggestion(action.closest(".suggestion"));
  else if (name === "dismiss-suggestion") dismissSuggestion(action.closest(".suggestion"));
  else if (name === "reselect") {
    moving = action.closest(".claim-card").dataset.claimId;
    toast("Select the new text for this claim, then press m (or click “Move claim here”).");
  }
});

document.addEventListener("mouseup", (event) => {
  if (popover.contains(event.target)) return;
  setTimeout(showPopover, 0); // after the browser has updated the selection
});
document.addEventListener("keyup", (event) => {
  if (event.shiftKey || event.key === "Shift") showPopover();
});
document.addEventListener("focusin", (event) => {
  const item = event.target.closest?.(".suggestion");
  if (item && item.dataset.suggestionId !== focusedSuggestion) {
    focusedSuggestion = item.dataset.suggestionId;
    markSuggestion();
  }
  const card = event.target.closest?.(".claim-card");
  fill(card);

  if (card && focusedSuggestion) {
    // a and x act on the suggestion in view, never on one left behind by moving to the claims
    focusedSuggestion = null;
    markSuggestion();
  }
  if (card && card.dataset.claimId !== focusedId) {
    focusedId = card.dataset.claimId;
    markActive();
  }
});
// Clicking a suggested sentence (not yet a claim) focuses its suggestion.
document.addEventListener("click", (event) => {
  const seg = event.target.closest?.(".seg.suggested:not(.claim)");
  if (!seg || !window.getSelection().isCollapsed) return;
  const id = seg.dataset.suggestions.split(" ")[0];
  focusSuggestion(document.getElementById(`suggestion-${id}`), false);
});
// Clicking a highlight focuses its claim.
document.addEventListener("click", (event) => {
  const seg = event.target.closest?.(".seg.claim");
  if (!seg || !window.getSelection().isCollapsed) return;
  const id = seg.dataset.claims.split(" ")[0];
  focusClaim(document.getElementById(`claim-${id}`), false);
});

document.addEventListener("htmx:configRequest", () => (popover.hidden = true));
// A toast is about the last action: the next one that succeeds clears it (refusals are 4xx).
document.addEventListener("htmx:afterRequest", (event) => {
  const status = event.detail.xhr?.status || 0;
  if (status >= 200 && status < 300) {
    clearTimeout(toast.timer);
    toastBox.hidden = true;
  }
});
// Swaps nobody asked for just now: a capture state polling, a "checked before" list, stubs filled
// as they scroll in. They must not move the focus or the cursor, except to put the focus back
// on the card when the focused stub itself was the element replaced.
const background = (detail) => {
  const path = detail.pathInfo?.requestPath || "";
  return path.includes("/cards/") || Boolean(detail.elt?.closest?.(".capture-state, .similar"));
};

document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.target?.id === "claims") asked.clear(); // a panel sent anew: its stubs are new
  watchStubs(); // a panel sent anew brings new stubs
  if (background(event.detail)) {
    const lost = document.activeElement === document.body || !document.activeElement;
    const card = focusedId && document.getElementById(`claim-${focusedId}`);
    if (lost && card) focusClaim(card, false);
    return;
  }

  if (refocusSuggestionAt !== null) {
    const all = suggestionItems();
    const next = all[Math.min(refocusSuggestionAt, all.length - 1)];
    refocusSuggestionAt = null;
    if (next) {
      focusSuggestion(next);
      return;
    }
  }
  markSuggestion();
  // A whole panel names its focus; a card sent back alone (a new claim) carries focus-me.
  const fresh = document.querySelector("#claims .claim-card.focus-me");
  fresh?.classList.remove("focus-me");
  const wanted = document.querySelector("#claims[data-focus]")?.dataset.focus || fresh?.dataset.claimId;
  if (wanted) document.getElementById("claims").removeAttribute("data-focus");
  const card = document.getElementById(`claim-${wanted || focusedId}`);
  // A suggestion that has the focus keeps it (x moved it there), unless a new claim asks for it.
  const onSuggestion = !wanted && document.activeElement?.closest?.(".suggestion");
  if (card && !typing(document.activeElement) && !onSuggestion) focusClaim(card, Boolean(wanted));
  else markActive();
  document.querySelector(".slot :is(input, textarea, select):not([type=hidden])")?.focus();
});
document.addEventListener("htmx:responseError", (event) => {
  // A fill that failed: its stubs may be asked for again (on the next scroll or focus).
  forgetFill(event.detail);
  const xhr = event.detail.xhr;
  const status = xhr.status;
  // Refusals come with the server's reason as plain text: show it, not a guess.
  const reason = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain") ? xhr.responseText.trim() : "";
  toast(
    reason
      ? reason
      : status === 403
      ? "You may not make this change."
      : status === 404
        ? "Not found: it may have been deleted. Reload the page."
        : `The server answered ${status}. Reload the page and try again.`,
  );
});
// A refusal with no form to show it in (HX-Trigger "refused"): its reason as a toast.
document.body.addEventListener("refused", (event) => toast(event.detail.value || String(event.detail)));
document.addEventListener("htmx:sendError", (event) => {
  forgetFill(event.detail);
  toast("The server cannot be reached. Check your connection.");
});

// Bad input (400) and stale versions (409) come back as the form with its messages: show them.
if (window.htmx) {
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    // Bad input (400), a refusal (403) and a stale version (409) answer with the form or card as
    // the server has it, the reason on top: swap it in, so no control shows a refused value.
    { code: "40[039]", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];
}
