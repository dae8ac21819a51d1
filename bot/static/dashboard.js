// Munshi dashboard: buttons and forms that call the API with the session's CSRF token.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  async function api(method, url, body) {
    const opts = { method, credentials: "same-origin",
                   headers: { "X-CSRF-Token": csrf, "Accept": "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(url, opts);
    let data = null;
    if (resp.status !== 204) { try { data = await resp.json(); } catch (e) { data = null; } }
    if (!resp.ok) {
      const detail = (data && (data.detail || data.title)) || resp.statusText;
      const extra = data && data.errors ? " " + data.errors.map(e => e.message).join("; ") : "";
      throw new Error(detail + extra);
    }
    return data;
  }
  window.munshiApi = api;

  function after(then, data) {
    if (then === "reload") { window.location.reload(); }
    else if (then === "flow" && data && data.id) { window.location.href = "/dashboard/flows/" + encodeURIComponent(data.id); }
    else if (then === "run" && data && data.run_id) { window.location.href = "/dashboard/runs/" + encodeURIComponent(data.run_id); }
    else if (then === "show-token" && data && data.token) {
      document.getElementById("token-value").textContent = data.token;
      document.getElementById("token-shown").classList.remove("hidden");
    }
  }

  document.addEventListener("click", async (ev) => {
    const el = ev.target.closest("button[data-api]");
    if (!el || el.form) return;
    ev.preventDefault();
    if (el.dataset.confirm && !window.confirm(el.dataset.confirm)) return;
    el.disabled = true;
    try {
      const body = el.dataset.body ? JSON.parse(el.dataset.body) : undefined;
      after(el.dataset.then, await api(el.dataset.api, el.dataset.url, body));
    } catch (err) {
      window.alert(err.message);
    } finally { el.disabled = false; }
  });

  document.addEventListener("change", (ev) => {
    if (ev.target.matches("select[data-autosubmit]")) ev.target.form.submit();
  });

  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (form.id === "run-form") {
      ev.preventDefault();
      const errorBox = document.getElementById("run-error");
      errorBox.textContent = "";
      let payload;
      try { payload = JSON.parse(form.payload.value || "{}"); }
      catch (e) { errorBox.textContent = "The event data is not valid JSON: " + e.message; return; }
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        const data = await api("POST", "/api/workflow/execute", { flow_id: form.dataset.flow, payload });
        after("run", data);
      } catch (err) { errorBox.textContent = err.message; button.disabled = false; }
      return;
    }
    if (form.dataset.api) {
      ev.preventDefault();
      const body = Object.fromEntries(new FormData(form).entries());
      try { after(form.dataset.then, await api(form.dataset.api, form.dataset.url, body)); }
      catch (err) { window.alert(err.message); }
    }
  });
})();
