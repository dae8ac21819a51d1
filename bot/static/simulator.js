// The WhatsApp simulator: send text and voice notes as any number; poll for replies and messages to others.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const messages = $("messages"), others = $("others"), statusLine = $("status-line");
  const phoneInput = $("phone"), textInput = $("text"), fileInput = $("voice-file"), mic = $("mic");
  let lastId = 0, phone = phoneInput.value, timer = null, recorder = null, chunks = [];

  const saved = window.localStorage.getItem("munshi.sim.phone");
  if (saved && !new URLSearchParams(window.location.search).get("phone")) { phoneInput.value = saved; phone = saved; }

  function time(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  // Links in replies are clickable; a link to Munshi's default address (PUBLIC_BASE_URL unset)
  // is pointed at this server, wherever it runs.
  const DEFAULT_BASE = "http://127.0.0.1:5000";
  function localize(url) {
    return url.startsWith(DEFAULT_BASE + "/") ? window.location.origin + url.slice(DEFAULT_BASE.length) : url;
  }

  function appendText(box, text) {
    const re = /https?:\/\/[^\s<>"')\]]+/g;
    let last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) box.appendChild(document.createTextNode(text.slice(last, m.index)));
      const a = document.createElement("a");
      a.href = localize(m[0]); a.textContent = m[0]; a.target = "_blank"; a.rel = "noopener";
      box.appendChild(a);
      last = m.index + m[0].length;
    }
    if (last < text.length) box.appendChild(document.createTextNode(text.slice(last)));
  }

  function mediaLinks(box, media) {
    (media || []).forEach((m) => {
      if (m.url) {
        const a = document.createElement("a");
        a.className = "doc"; a.href = localize(m.url); a.target = "_blank"; a.rel = "noopener";
        a.textContent = "📄 " + (/\.pdf($|\?)/.test(m.url) ? "Open the PDF" : "Open the document");
        box.appendChild(a);
      } else if ((m.content_type || "").match(/^(audio|video)\//) || m.content_type === "application/ogg") {
        const s = document.createElement("span");
        s.textContent = "🎤 Voice note";
        box.appendChild(s);
      }
    });
  }

  function bubble(m) {
    const div = document.createElement("div");
    div.className = "bubble " + (m.direction === "in" ? "in" : "out");
    div.dataset.id = m.id;
    if (m.body) appendText(div, m.body);
    mediaLinks(div, m.media);
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = time(m.at);
    div.appendChild(meta);
    return div;
  }

  function sentCard(m) {
    const div = document.createElement("div");
    div.className = "sent";
    div.dataset.id = m.id;
    const to = document.createElement("div");
    to.className = "to";
    to.textContent = "To " + m.peer + " · " + time(m.at);
    div.appendChild(to);
    appendText(div, m.body || "");
    mediaLinks(div, m.media);
    return div;
  }

  async function poll() {
    const current = phone;
    try {
      const resp = await fetch("/simulator/messages?phone=" + encodeURIComponent(current) + "&after=" + lastId,
                               { credentials: "same-origin" });
      if (!resp.ok || current !== phone) return;
      const data = await resp.json();
      const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 60;
      data.chat.forEach((m) => { if (!messages.querySelector('[data-id="' + m.id + '"]')) messages.appendChild(bubble(m)); });
      data.others.forEach((m) => { if (!others.querySelector('[data-id="' + m.id + '"]')) others.prepend(sentCard(m)); });
      if (data.others.length) $("others-empty").classList.add("hidden");
      lastId = Math.max(lastId, data.last_id || 0);
      statusLine.textContent = data.typing ? "Munshi is typing…" : "";
      if (atBottom || data.chat.length) messages.scrollTop = messages.scrollHeight;
    } catch (e) {
      statusLine.textContent = "Cannot reach Munshi; retrying…";
    }
  }

  function restart() {
    if (timer) clearInterval(timer);
    messages.innerHTML = ""; others.innerHTML = ""; lastId = 0;
    $("others-empty").classList.remove("hidden");
    poll();
    timer = setInterval(poll, 1000);
  }

  async function send(form) {
    form.append("phone", phone);
    statusLine.textContent = "Sending…";
    const resp = await fetch("/simulator/send", { method: "POST", body: form, credentials: "same-origin",
                                                 headers: { "X-Munshi-Simulator": "1" } });
    if (!resp.ok) {
      let detail = resp.statusText;
      try { detail = (await resp.json()).error || detail; } catch (e) { /* keep the status text */ }
      statusLine.textContent = detail;
      return;
    }
    statusLine.textContent = "Munshi is typing…";
    poll();
  }

  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = textInput.value.trim();
    if (!text) return;
    const form = new FormData();
    form.append("body", text);
    textInput.value = "";
    send(form);
  });

  fileInput.addEventListener("change", () => {
    const file = fileInput.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("voice", file, file.name);
    fileInput.value = "";
    send(form);
  });

  mic.addEventListener("click", async () => {
    if (recorder && recorder.state === "recording") { recorder.stop(); return; }
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      statusLine.textContent = "This browser cannot record; attach a voice note file instead."; return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const type = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm"]
        .find((t) => MediaRecorder.isTypeSupported(t)) || "";
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      chunks = [];
      recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
      recorder.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        mic.classList.remove("recording");
        const blobType = (recorder.mimeType || "audio/webm").split(";")[0];
        const blob = new Blob(chunks, { type: blobType });
        const form = new FormData();
        form.append("voice", blob, "voice-note." + (blobType.includes("ogg") ? "ogg" : "webm"));
        send(form);
      };
      recorder.start();
      mic.classList.add("recording");
      statusLine.textContent = "Recording… press 🎤 again to send.";
    } catch (e) {
      statusLine.textContent = "No microphone: " + e.message;
    }
  });

  phoneInput.addEventListener("change", () => {
    phone = phoneInput.value.trim();
    window.localStorage.setItem("munshi.sim.phone", phone);
    restart();
  });

  restart();
})();
