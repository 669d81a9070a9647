// The visit form: its photo is shrunk on the phone (photo-shrink.js) before the form is
// sent, as the patrol's observations are. A file the browser cannot read as a picture is
// sent as it is, and the server says why it refuses it.
(function () {
  "use strict";
  const form = document.querySelector("[data-visit-form]");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const button = form.querySelector("[type=submit]");
  let ready = false;

  form.addEventListener("submit", async (event) => {
    if (ready || !input || !input.files.length || !window.DataTransfer || !window.shrinkPhoto) {
      return;
    }
    event.preventDefault();
    button.disabled = true;
    const shrunk = new DataTransfer();
    for (const file of input.files) {
      try {
        const blob = await window.shrinkPhoto(file);
        const name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
        shrunk.items.add(new File([blob], name, { type: "image/jpeg" }));
      } catch (error) {
        shrunk.items.add(file);
      }
    }
    input.files = shrunk.files;
    ready = true;
    button.disabled = false;
    form.requestSubmit(button);
  });
})();
