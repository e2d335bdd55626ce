// Entity extraction on the page: the run state that updates itself while a run is active,
// the label legend (toggles a hide-<LABEL> class on the text container), the entity list
// (click an entity to highlight its mentions), and the project's progress bar.
(() => {
  "use strict";
  if (window.workbenchExtraction) return; // the script may be included by several partials
  window.workbenchExtraction = true;

  const POLL_MS = 2000;
  const ACTIVE = new Set(["queued", "running"]);

  // --- article page: run state ------------------------------------------------------------
  function pollRunState(initial) {
    let wasActive = ACTIVE.has(initial.dataset.status);
    if (!wasActive) return;
    const url = initial.dataset.url;
    const tick = async () => {
      const current = document.getElementById("extraction-state");
      if (!current) return;
      let html;
      try {
        const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        html = await response.text();
      } catch (_error) {
        setTimeout(tick, POLL_MS * 3); // a restart or a network blip: keep trying, more slowly
        return;
      }
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const fresh = holder.querySelector("#extraction-state");
      if (!fresh) return;
      current.replaceWith(fresh);
      if (ACTIVE.has(fresh.dataset.status)) {
        setTimeout(tick, POLL_MS);
      } else if (wasActive && fresh.dataset.status === "done") {
        const refresh = fresh.querySelector(".extraction-refresh");
        if (refresh) refresh.hidden = false;
      }
    };
    setTimeout(tick, POLL_MS);
  }

  // --- article page: legend and entity list -------------------------------------------------
  function setUpEntityPanel(panel) {
    const text = document.getElementById(panel.dataset.text || "article-text");
    if (!text) return;
    panel.querySelectorAll(".legend-toggle").forEach((button) => {
      button.addEventListener("click", () => {
        const shown = button.getAttribute("aria-pressed") === "true";
        button.setAttribute("aria-pressed", String(!shown));
        text.classList.toggle(`hide-${button.dataset.label}`, shown);
      });
    });
    const items = panel.querySelectorAll(".entity-item");
    items.forEach((item) => {
      item.addEventListener("click", () => {
        const wasOn = item.getAttribute("aria-pressed") === "true";
        items.forEach((other) => other.setAttribute("aria-pressed", "false"));
        text.querySelectorAll(".seg.entity-focus").forEach((seg) => seg.classList.remove("entity-focus"));
        if (wasOn) return;
        item.setAttribute("aria-pressed", "true");
        const spans = item.dataset.spans.split(" ").map((pair) => pair.split("-").map(Number));
        let first = null;
        text.querySelectorAll(".seg.ent").forEach((seg) => {
          const start = Number(seg.dataset.start);
          const end = Number(seg.dataset.end);
          if (spans.some(([s, e]) => start >= s && end <= e)) {
            seg.classList.add("entity-focus");
            first = first || seg;
          }
        });
        // Showing a mention of a hidden label would be confusing: reveal that label.
        text.classList.remove(`hide-${item.dataset.label}`);
        const toggle = panel.querySelector(`.legend-toggle[data-label="${CSS.escape(item.dataset.label)}"]`);
        if (toggle) toggle.setAttribute("aria-pressed", "true");
        if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
      });
    });
  }

  // --- project page: progress ---------------------------------------------------------------
  function pollProjectProgress(section) {
    if (Number(section.dataset.active) === 0) return;
    const bar = section.querySelector("progress");
    const label = section.querySelector(".progress-text");
    const tick = async () => {
      let data;
      try {
        const response = await fetch(section.dataset.progressUrl, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(String(response.status));
        data = await response.json();
      } catch (_error) {
        setTimeout(tick, POLL_MS * 3);
        return;
      }
      bar.max = Math.max(data.total, 1);
      bar.value = data.done + data.failed;
      label.textContent =
        `${data.done} done, ${data.failed} failed, ${data.active} queued or running, ` +
        `${data.never_run} never run, of ${data.total} article${data.total === 1 ? "" : "s"}.`;
      section.dataset.active = String(data.active);
      if (data.active > 0) setTimeout(tick, POLL_MS);
    };
    setTimeout(tick, POLL_MS);
  }

  function start() {
    const state = document.getElementById("extraction-state");
    if (state) pollRunState(state);
    document.querySelectorAll(".entity-panel").forEach(setUpEntityPanel);
    const project = document.getElementById("project-extraction");
    if (project) pollProjectProgress(project);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
