    // Shipfloor: register the service worker, offer "Update available — reload" when a new
    // build has installed, tell the worker which renderer files this browser used, ask for
    // persistent storage (the device store lives in IndexedDB), follow notification taps.
    (function () {
      "use strict";
      if (!("serviceWorker" in navigator)) return;
      var sw = navigator.serviceWorker;
      var updating = false;

      function showUpdate(worker) {
        if (document.getElementById("sf-update")) return;
        var bar = document.createElement("div");
        bar.id = "sf-update";
        bar.setAttribute("role", "alert");
        bar.style.cssText =
          "position:fixed;left:50%;bottom:16px;transform:translateX(-50%);z-index:2147483647;" +
          "display:flex;gap:16px;align-items:center;padding:10px 12px 10px 16px;" +
          "border-radius:8px;background:#1F6F5C;color:#fff;font:15px/1.3 Roboto,sans-serif;" +
          "box-shadow:0 2px 8px rgba(0,0,0,.3)";
        var text = document.createElement("span");
        text.textContent = "Update available";
        var button = document.createElement("button");
        button.textContent = "Reload";
        button.style.cssText =
          "min-height:40px;padding:0 16px;border:0;border-radius:20px;background:#fff;" +
          "color:#1F6F5C;font:600 15px Roboto,sans-serif;cursor:pointer";
        button.addEventListener("click", function () {
          updating = true;
          worker.postMessage({ type: "skip-waiting" });
        });
        bar.appendChild(text);
        bar.appendChild(button);
        document.body.appendChild(bar);
        window.shipfloorUpdateAvailable = true;
      }

      sw.addEventListener("controllerchange", function () {
        if (updating) location.reload();
      });
      sw.addEventListener("message", function (event) {
        var m = event.data || {};
        if (m.type === "navigate" && typeof m.url === "string") {
          var url = new URL(m.url, location.href);
          if (url.origin === location.origin) location.assign(url.href);
        }
      });

      window.shipfloorServiceWorker = sw
        .register("/sw.js", { scope: "/", updateViaCache: "none" })
        .then(function (reg) {
          if (reg.waiting && sw.controller) showUpdate(reg.waiting);
          reg.addEventListener("updatefound", function () {
            var worker = reg.installing;
            if (!worker) return;
            worker.addEventListener("statechange", function () {
              if (worker.state === "installed" && sw.controller) showUpdate(worker);
            });
          });
          // A tab left open for days still learns of a new build.
          document.addEventListener("visibilitychange", function () {
            if (document.visibilityState === "visible") reg.update().catch(function () {});
          });
          return reg;
        })
        .catch(function (error) {
          console.warn("Shipfloor: no service worker, no offline start:", error);
        });

      addEventListener("flutter-first-frame", function () {
        var urls = performance.getEntriesByType("resource").map(function (e) { return e.name; });
        sw.ready.then(function (reg) {
          if (reg.active) reg.active.postMessage({ type: "keep", urls: urls });
        });
      }, { once: true });

      if (navigator.storage && navigator.storage.persist) {
        navigator.storage.persist().catch(function () {});
      }
    })();
