// Text selections as code-point offsets, for every page that lets people select stored text: the
// desk's article and a capture's text. The server splits the text into
// <span class="seg" data-start data-end> runs whose offsets are Python code-point indexes (inside
// <p class="para"> lines on the desk). A DOM selection point is (text node, UTF-16 offset): we
// count the code points in the node's text before that point and add the segment's start.

const codePoints = (s) => Array.from(s).length; // Array.from iterates by code point, not by UTF-16 unit

// The text exactly as stored: paragraphs (where there are any) are lines; segments cover them wholly.
export function storedText(root) {
  const segsOf = (el) => Array.from(el.querySelectorAll(".seg")).map((s) => s.textContent).join("");
  const paras = Array.from(root.querySelectorAll(".para"));
  return paras.length ? paras.map(segsOf).join("\n") : segsOf(root);
}

// A DOM boundary point -> code-point offset in the text, or null when outside it. `side` says
// which way to snap a point that falls between segments (e.g. between paragraphs).
export function pointToOffset(root, node, offset, side) {
  if (!root.contains(node)) return null;
  const host = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  const seg = host.closest(".seg");
  if (seg) {
    const text = seg.textContent;
    // A point on the segment element itself counts children (0 = before its text node).
    const units = node.nodeType === Node.TEXT_NODE ? offset : offset === 0 ? 0 : text.length;
    return Number(seg.dataset.start) + codePoints(text.slice(0, units));
  }
  const segs = Array.from(root.querySelectorAll(".seg"));
  const range = document.createRange();
  let previous = null;
  for (const s of segs) {
    range.selectNodeContents(s);
    if (range.comparePoint(node, offset) < 0) {
      return side === "start" || !previous ? Number(s.dataset.start) : Number(previous.dataset.end);
    }
    previous = s;
  }
  return previous ? Number(previous.dataset.end) : 0;
}

// The selection as {start, end, quote} over the text under `root`, trimmed of outer whitespace;
// null when nothing under it is selected.
export function measureSelection(root, selection = window.getSelection()) {
  if (!root || !selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!root.contains(range.startContainer) && !root.contains(range.endContainer)) return null;
  const clipped = range.cloneRange();
  if (!root.contains(range.startContainer)) clipped.setStart(root, 0);
  if (!root.contains(range.endContainer)) clipped.setEnd(root, root.childNodes.length);
  let start = pointToOffset(root, clipped.startContainer, clipped.startOffset, "start");
  let end = pointToOffset(root, clipped.endContainer, clipped.endOffset, "end");
  if (start === null || end === null) return null;
  const chars = Array.from(storedText(root));
  while (start < end && /\s/u.test(chars[start])) start += 1;
  while (end > start && /\s/u.test(chars[end - 1])) end -= 1;
  if (end <= start) return null;
  return { start, end, quote: chars.slice(start, end).join("") };
}
