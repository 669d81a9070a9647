// Registers the service worker (offline patrol pages) for a signed-in user and asks it to
// keep the pages a patrol page links to; on a signed-out page, it forgets every kept page.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  const body = document.body;
  if (body.dataset.signedIn) {
    navigator.serviceWorker.register(body.dataset.serviceWorker, { scope: "/" }).catch(() => {
      // No service worker (a private window, an old browser): everything still works online.
    });
    const keep = document.querySelector("[data-offline-urls]");
    if (keep) {
      navigator.serviceWorker.ready.then((registration) => {
        registration.active.postMessage({
          type: "keep",
          urls: [window.location.pathname, ...keep.dataset.offlineUrls.split(" ")],
        });
      });
    }
  } else if ("caches" in window) {
    caches.keys().then((keys) =>
      Promise.all(keys.filter((k) => k.startsWith("pages-")).map((k) => caches.delete(k)))
    );
  }
})();
