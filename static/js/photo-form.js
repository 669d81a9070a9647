// A form with photos (form[data-shrink-photos]: a resident's report, a visit): its photos are
// shrunk on the phone (photo-shrink.js) before it is sent, as the patrol's observations are,
// so a large camera picture goes as a few hundred kilobytes. A file the browser cannot read
// as a picture is sent as it is, and the server says why it refuses it.
(function () {
  "use strict";
  for (const form of document.querySelectorAll("form[data-shrink-photos]")) {
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
          shrunk.items.add(file); // not a picture the browser can read: the server says why
        }
      }
      input.files = shrunk.files;
      ready = true;
      button.disabled = false;
      form.requestSubmit(button);
    });
  }
})();
