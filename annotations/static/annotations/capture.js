// The capture page: turn a selection in the captured text into code-point offsets for the
// "Quote as excerpt" form. The server checks them against the stored text (as on the desk).
import { measureSelection as measureIn } from "./spans.js";

const root = document.getElementById("capture-text");
const form = document.getElementById("quote-form");

// The selection over the captured text, in code points (spans.js, as on the desk).
export function measureSelection(selection = window.getSelection()) {
  return measureIn(root, selection);
}
window.captureMeasureSelection = measureSelection; // for the browser tests

if (root && form) {
  const preview = document.getElementById("quote-preview");
  const button = document.getElementById("quote-button");
  const pick = () => {
    const picked = measureSelection();
    if (!picked) return; // keep the last selection: clicking the button collapses it
    form.elements.start.value = String(picked.start);
    form.elements.end.value = String(picked.end);
    form.elements.quote.value = picked.quote;
    preview.textContent = `Selected ${picked.end - picked.start} characters (${picked.start}–${picked.end}).`;
    button.disabled = false;
  };
  document.addEventListener("selectionchange", pick);
  pick(); // a selection made while this module was still loading
}
