// The patrol page's outbox, also the team's report page's. An observation (or a report) is
// kept on the phone (IndexedDB: its fields, the moment it was recorded and its photo as a
// Blob) until the server has it, so a lost connection loses nothing. Each observation gets
// its id on the phone; the server stores an id once, so sending twice duplicates nothing.
//
// Sending is a FormData POST to the page's own URL (the CSP allows only 'self'; nothing here
// fetches a data: or blob: URL). Items go in the order they were recorded. One the server
// refuses (4xx) is kept with the server's reason, to discard or edit, and never holds up the
// others; a network failure or a server error retries later, with backoff.
(function () {
  "use strict";
  const form = document.querySelector("[data-outbox-form]");
  if (!form) return;

  // Items are kept per patrol, or per outbox the page names (the team's report page).
  const patrolId = form.dataset.outbox || form.dataset.patrol;
  const panel = document.querySelector("[data-outbox-panel]");
  const list = panel.querySelector("[data-outbox-list]");
  const count = panel.querySelector("[data-outbox-count]");
  const offlineNote = panel.querySelector("[data-outbox-offline]");
  const editingNote = form.querySelector("[data-outbox-editing]");
  const submitForm = document.querySelector("[data-submit-form]");
  const submitWarning = document.querySelector("[data-outbox-submit-warning]");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const text = JSON.parse(document.getElementById("outbox-text").textContent);

  const RETRY_MIN = 2000;
  const RETRY_MAX = 60000;

  let sending = false;
  let retryTimer = null;
  let retryDelay = RETRY_MIN;
  let editing = null; // a refused item being corrected: its id, time and photo are kept
  let submitWhenEmpty = false;

  // --- IndexedDB ---------------------------------------------------------------------------

  const dbReady = new Promise((resolve, reject) => {
    const request = indexedDB.open("patrol-outbox", 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore("items", { keyPath: "id" });
      store.createIndex("patrol", "patrol");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  async function store(mode, work) {
    const db = await dbReady;
    return new Promise((resolve, reject) => {
      const tx = db.transaction("items", mode);
      const result = work(tx.objectStore("items"));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("aborted"));
    });
  }

  async function items() {
    const all = await store("readonly", (s) => s.index("patrol").getAll(patrolId));
    return all.sort((a, b) => a.seq - b.seq);
  }
  const put = (item) => store("readwrite", (s) => s.put(item));
  const remove = (id) => store("readwrite", (s) => s.delete(id));

  // --- Photos --------------------------------------------------------------------------------

  // The photo is shrunk on the phone by photo-shrink.js (loaded before this file): upright,
  // longest side at most 1600 px, JPEG, at most 400 KB. The original is never stored nor sent.

  // --- Showing the outbox --------------------------------------------------------------------

  function timeOf(iso) {
    return new Date(iso).toLocaleTimeString(document.documentElement.lang, {
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  function button(label, action, id, style) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `btn btn-sm ${style}`;
    b.textContent = label;
    b.dataset.outboxAction = action;
    b.dataset.outboxId = id;
    return b;
  }

  async function render() {
    const all = await items();
    panel.classList.toggle("d-none", all.length === 0);
    offlineNote.classList.toggle("d-none", navigator.onLine);
    count.textContent = all.length;
    list.replaceChildren(
      ...all.map((item) => {
        const li = document.createElement("li");
        li.className = "list-group-item";
        li.dataset.outboxItem = item.id;
        const head = document.createElement("div");
        head.textContent = `${timeOf(item.observedAt)} · ${item.label}`;
        if (item.photo) head.append(` · ${text.photo} (${Math.round(item.photo.size / 1024)} KB)`);
        li.append(head);
        if (item.refused) {
          li.classList.add("list-group-item-danger");
          const reason = document.createElement("div");
          reason.className = "small";
          reason.dataset.outboxReason = "";
          reason.textContent = `${text.refused}: ${item.refused}`;
          const actions = document.createElement("div");
          actions.className = "d-flex gap-2 mt-1";
          actions.append(
            button(text.edit, "edit", item.id, "btn-outline-primary"),
            button(text.discard, "discard", item.id, "btn-outline-danger")
          );
          li.append(reason, actions);
        }
        return li;
      })
    );
    if (submitWarning) {
      submitWarning.classList.toggle("d-none", !submitWarning.dataset.shown || all.length === 0);
      submitWarning.querySelector("[data-outbox-unsent]").textContent = all.length;
    }
    return all;
  }

  // --- Sending -------------------------------------------------------------------------------

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX);
  }

  async function send(item) {
    const body = new FormData();
    for (const [key, value] of Object.entries(item.fields)) body.append(key, value);
    body.append("client_id", item.id);
    body.append("observed_at", item.observedAt);
    if (item.photo) body.append("photo", item.photo, item.photoName);
    return fetch(form.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    });
  }

  async function flush() {
    if (sending || !navigator.onLine) return render();
    sending = true;
    let sent = 0;
    let failed = false;
    try {
      for (const item of await items()) {
        if (item.refused || (item.retryAt && item.retryAt > Date.now())) continue;
        let response;
        try {
          response = await send(item);
        } catch (e) {
          failed = true; // no connection: keep everything for later
          break;
        }
        if (response.ok) {
          await remove(item.id);
          sent += 1;
        } else if (response.status >= 400 && response.status < 500) {
          const data = await response.json().catch(() => ({}));
          item.refused = data.reason || `${text.error} ${response.status}`;
          await put(item);
        } else {
          // The server failed: this item waits and is tried again; the others still go.
          item.attempts = (item.attempts || 0) + 1;
          item.retryAt = Date.now() + Math.min(RETRY_MIN * 2 ** item.attempts, RETRY_MAX);
          await put(item);
          failed = true;
        }
      }
    } finally {
      sending = false;
    }
    if (failed) scheduleRetry();
    else retryDelay = RETRY_MIN;
    const left = await render();
    if (sent) await refreshList();
    if (submitWhenEmpty && left.length === 0) {
      submitWhenEmpty = false;
      submitForm.submit();
    }
  }

  async function refreshList() {
    try {
      const response = await fetch(form.dataset.refresh, { credentials: "same-origin" });
      if (!response.ok) return;
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      document.querySelector("[data-observations]").replaceWith(holder.firstElementChild);
    } catch (e) {
      // Offline again: the list refreshes after the next send.
    }
  }

  // --- Recording -----------------------------------------------------------------------------

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const fields = {};
    for (const [key, value] of data.entries()) {
      if (!["photo", "client_id", "observed_at", "csrfmiddlewaretoken"].includes(key)) {
        fields[key] = value;
      }
    }
    const category = form.querySelector("[name=category]");
    const label = `${category.options[category.selectedIndex].text}: ${fields.text || ""}`;
    const file = data.get("photo");
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    try {
      let photo = editing ? editing.photo : null;
      let photoName = editing ? editing.photoName : null;
      if (file && file.size) {
        photo = await window.shrinkPhoto(file);
        photoName = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
      }
      await put({
        id: editing ? editing.id : newId(),
        seq: editing ? editing.seq : Date.now(),
        patrol: patrolId,
        observedAt: editing ? editing.observedAt : new Date().toISOString(),
        fields,
        label: label.slice(0, 80),
        photo,
        photoName,
      });
    } catch (e) {
      window.alert(text.notKept);
      return;
    } finally {
      button.disabled = false;
    }
    editing = null;
    editingNote.classList.add("d-none");
    form.reset();
    flush();
  });

  list.addEventListener("click", async (event) => {
    const target = event.target.closest("[data-outbox-action]");
    if (!target) return;
    const item = (await items()).find((x) => x.id === target.dataset.outboxId);
    if (!item) return;
    if (target.dataset.outboxAction === "discard") {
      if (!window.confirm(text.confirmDiscard)) return;
    } else {
      // Back into the form, keeping its id, the moment it was recorded and its photo.
      for (const [key, value] of Object.entries(item.fields)) {
        const field = form.elements.namedItem(key);
        if (field) field.value = value;
      }
      editing = item;
      editingNote.classList.remove("d-none");
      form.scrollIntoView({ block: "start" });
    }
    await remove(item.id);
    render();
  });

  // Submitting the log while observations still wait: say so, then wait for them or submit
  // anyway (the log then records how many had not arrived).
  if (submitForm && submitWarning) {
    const waitButton = submitWarning.querySelector("[data-outbox-submit=wait]");
    submitForm.addEventListener("submit", async (event) => {
      if (submitForm.dataset.confirmed) return;
      event.preventDefault();
      const waiting = (await items()).length;
      submitForm.dataset.confirmed = waiting === 0 ? "1" : "";
      if (waiting === 0) return submitForm.submit();
      submitWarning.dataset.shown = "1";
      await render();
      submitWarning.scrollIntoView({ block: "center" });
    });
    submitWarning.addEventListener("click", async (event) => {
      const action = event.target.closest("[data-outbox-submit]");
      if (!action) return;
      if (action.dataset.outboxSubmit === "anyway") {
        submitForm.elements.namedItem("unsent").value = (await items()).length;
        submitForm.dataset.confirmed = "1";
        submitForm.submit();
      } else {
        submitWhenEmpty = true;
        waitButton.disabled = true;
        await flush();
        // What the server refused will not go by waiting: the member decides.
        if (submitWhenEmpty && (await items()).every((item) => item.refused)) {
          submitWhenEmpty = false;
          waitButton.disabled = false;
        }
      }
    });
  }

  window.addEventListener("online", () => {
    retryDelay = RETRY_MIN;
    flush();
  });
  window.addEventListener("offline", render);
  setInterval(flush, 15000);
  flush();
})();
