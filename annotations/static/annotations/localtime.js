// Times in the reader's own time zone: the server renders UTC in <time datetime="...">, and
// every element marked data-local is rewritten here (CSP: no inline script).
const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
for (const element of document.querySelectorAll("time[data-local][datetime]")) {
  const when = new Date(element.getAttribute("datetime"));
  if (!Number.isNaN(when.getTime())) {
    element.title = element.textContent;
    element.textContent = format.format(when);
  }
}
