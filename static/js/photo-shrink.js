// A photo shrunk on the phone before it is sent (the patrol outbox, a team report, a visit,
// a resident's report; patrols/photos.py does the same on the server): upright, longest side
// at most 1600 px, JPEG, at most 400 KB. The original never leaves the phone.
// `window.shrinkPhoto(file)` gives a Blob.
(function () {
  "use strict";
  const LONGEST = 1600;
  const MAX_BYTES = 400 * 1024;

  function canvasBlob(canvas, quality) {
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  }

  async function shrinkPhoto(file) {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    let scale = Math.min(1, LONGEST / Math.max(bitmap.width, bitmap.height));
    try {
      for (;;) {
        const canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(bitmap.width * scale));
        canvas.height = Math.max(1, Math.round(bitmap.height * scale));
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        for (const quality of [0.85, 0.75, 0.65, 0.55, 0.45]) {
          const blob = await canvasBlob(canvas, quality);
          if (blob && blob.size <= MAX_BYTES) return blob;
        }
        scale *= 0.75;
      }
    } finally {
      bitmap.close();
    }
  }

  window.shrinkPhoto = shrinkPhoto;
})();
