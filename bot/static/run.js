// A run's steps turning green live: server-sent events from /dashboard/runs/<id>/events.
"use strict";
(function () {
  const list = document.getElementById("steps");
  if (!list || !window.EventSource) return;
  const live = document.getElementById("live");
  const statusBadge = document.getElementById("run-status");
  const errorLine = document.getElementById("run-error");
  const retry = document.getElementById("retry");
  const STATES = ["pending", "queued", "running", "waiting", "succeeded", "failed", "skipped"];

  function setState(el, state) {
    STATES.forEach(s => el.classList.remove(s));
    el.classList.add(state);
  }

  function render(run) {
    statusBadge.textContent = run.status;
    setState(statusBadge, run.status);
    statusBadge.classList.add("badge");
    errorLine.textContent = run.error || "";
    if (retry) retry.classList.toggle("hidden", run.status !== "failed");
    (run.rows || []).forEach(row => {
      const li = list.querySelector('li[data-node="' + CSS.escape(row.id) + '"]');
      if (!li) return;
      setState(li, row.status);
      const badge = li.querySelector('[data-role="status"]');
      if (badge) { badge.textContent = row.status; setState(badge, row.status); }
      const meta = li.querySelector('[data-role="meta"]');
      if (meta) {
        const parts = [];
        if (row.attempts) parts.push("attempts " + row.attempts);
        if (row.duration_ms !== null && row.duration_ms !== undefined && row.status !== "pending") parts.push(row.duration_ms + " ms");
        meta.textContent = parts.join(" · ");
      }
      const err = li.querySelector('[data-role="error"]');
      if (err) err.textContent = row.error || "";
    });
  }

  const source = new EventSource(list.dataset.events);
  source.addEventListener("open", () => live.classList.remove("off"));
  source.addEventListener("run", (ev) => render(JSON.parse(ev.data)));
  source.addEventListener("done", () => { source.close(); live.classList.add("off"); live.textContent = "finished"; });
  source.addEventListener("error", () => live.classList.add("off"));
})();
