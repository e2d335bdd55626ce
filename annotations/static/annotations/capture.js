// The capture page: turn a selection in the captured text into code-point offsets for the
// "Quote as excerpt" form. The server checks them against the stored text (as on the desk).
const root = document.getElementById("capture-text");
const form = document.getElementById("quote-form");
const codePoints = (s) => Array.from(s).length; // by code point, not UTF-16 unit

function fullText() {
  return Array.from(root.querySelectorAll(".seg")).map((s) => s.textContent).join("");
}

// A DOM boundary point -> code-point offset in the captured text, or null when outside it.
function pointToOffset(node, offset, side) {
  if (!root.contains(node)) return null;
  const host = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  const seg = host.closest(".seg");
  if (seg) {
    const text = seg.textContent;
    const units = node.nodeType === Node.TEXT_NODE ? offset : offset === 0 ? 0 : text.length;
    return Number(seg.dataset.start) + codePoints(text.slice(0, units));
  }
  const segs = Array.from(root.querySelectorAll(".seg"));
  if (!segs.length) return null;
  const range = document.createRange();
  for (const s of segs) {
    range.selectNodeContents(s);
    if (range.comparePoint(node, offset) < 0) return Number(s.dataset.start);
  }
  return Number(segs[segs.length - 1].dataset.end);
}

export function measureSelection(selection = window.getSelection()) {
  if (!root || !selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!root.contains(range.startContainer) && !root.contains(range.endContainer)) return null;
  const clipped = range.cloneRange();
  if (!root.contains(range.startContainer)) clipped.setStart(root, 0);
  if (!root.contains(range.endContainer)) clipped.setEnd(root, root.childNodes.length);
  let start = pointToOffset(clipped.startContainer, clipped.startOffset, "start");
  let end = pointToOffset(clipped.endContainer, clipped.endOffset, "end");
  if (start === null || end === null) return null;
  const chars = Array.from(fullText());
  while (start < end && /\s/u.test(chars[start])) start += 1;
  while (end > start && /\s/u.test(chars[end - 1])) end -= 1;
  if (end <= start) return null;
  return { start, end, quote: chars.slice(start, end).join("") };
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
