// The patrol page's outbox: observations are kept on the phone (localStorage) until the
// server has them, so a lost connection loses nothing. Each observation gets its id on the
// phone, and the server stores an id once, so sending twice duplicates nothing.
(function () {
  "use strict";
  const form = document.querySelector("[data-outbox-form]");
  if (!form) return;

  const storageKey = "patrol-outbox-" + form.dataset.patrol;
  const panel = document.querySelector("[data-outbox-panel]");
  const list = panel.querySelector("[data-outbox-list]");
  const count = panel.querySelector("[data-outbox-count]");
  const offlineNote = panel.querySelector("[data-outbox-offline]");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  let sending = false;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storageKey)) || [];
    } catch (e) {
      return [];
    }
  }

  function save(items) {
    localStorage.setItem(storageKey, JSON.stringify(items));
    render(items);
  }

  function render(items) {
    panel.classList.toggle("d-none", items.length === 0);
    offlineNote.classList.toggle("d-none", navigator.onLine);
    count.textContent = items.length;
    list.replaceChildren(
      ...items.map((item) => {
        const li = document.createElement("li");
        li.textContent = item.label;
        if (item.error) li.append(" — " + item.error);
        return li;
      })
    );
  }

  function readPhoto(file) {
    return new Promise((resolve) => {
      if (!file || !file.size) return resolve(null);
      const reader = new FileReader();
      reader.onload = () => resolve({ name: file.name, type: file.type, data: reader.result });
      reader.onerror = () => resolve(null);
      reader.readAsDataURL(file);
    });
  }

  async function photoBlob(photo) {
    const response = await fetch(photo.data);
    return new File([await response.blob()], photo.name, { type: photo.type });
  }

  async function refreshList() {
    try {
      const response = await fetch(form.dataset.refresh, { credentials: "same-origin" });
      if (!response.ok) return;
      const current = document.querySelector("[data-observations]");
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      current.replaceWith(holder.firstElementChild);
    } catch (e) {
      // Still offline: the list refreshes on the next successful send.
    }
  }

  async function flush() {
    if (sending) return;
    sending = true;
    let sent = 0;
    try {
      for (const item of load()) {
        const body = new FormData();
        for (const [key, value] of Object.entries(item.fields)) body.append(key, value);
        body.append("client_id", item.id);
        if (item.photo) body.append("photo", await photoBlob(item.photo));
        let response;
        try {
          response = await fetch(form.action, {
            method: "POST",
            body,
            credentials: "same-origin",
            headers: { "X-CSRFToken": csrf, Accept: "application/json" },
          });
        } catch (e) {
          break; // offline: keep the rest for later
        }
        const items = load();
        const index = items.findIndex((x) => x.id === item.id);
        if (response.ok) {
          if (index >= 0) items.splice(index, 1);
          sent += 1;
        } else if (index >= 0 && response.status >= 400 && response.status < 500) {
          const data = await response.json().catch(() => ({}));
          const errors = Object.values(data.errors || {}).flat();
          items[index].error = errors.map((e) => e.message).join(" ") || String(response.status);
        }
        save(items);
        if (!response.ok && response.status >= 500) break;
      }
    } finally {
      sending = false;
      render(load());
    }
    if (sent) await refreshList();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const fields = {};
    for (const [key, value] of data.entries()) {
      if (key !== "photo" && key !== "client_id" && key !== "csrfmiddlewaretoken") fields[key] = value;
    }
    const category = form.querySelector("[name=category]");
    const label = `${category.options[category.selectedIndex].text}: ${fields.text || ""}`.slice(0, 80);
    const photo = await readPhoto(data.get("photo"));
    const items = load();
    items.push({ id: newId(), fields, photo, label });
    save(items);
    form.reset();
    flush();
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", () => render(load()));
  setInterval(flush, 15000);
  render(load());
  flush();
})();
