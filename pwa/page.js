    // Shipfloor: the push bridge. The app's Python runs in a web worker (flet-web's
    // python-worker.js); the permission prompt and the service worker's pushManager belong
    // to this window. The Python worker is named after a BroadcastChannel unique to this
    // tab; the app posts JSON requests there and this page answers (mobile/push_browser.py):
    //   {from: "app", id, op: "state" | "request" | "subscribe" (key) | "unsubscribe"}
    //   -> {from: "page", id, ok, result | error: {name, message}}
    // JSON text only: nothing is evaluated (the app's CSP has no 'unsafe-eval').
    (function () {
      "use strict";
      if (typeof BroadcastChannel !== "function" || typeof Worker !== "function") return;
      var id = (self.crypto && crypto.randomUUID) ? crypto.randomUUID()
        : String(Math.random()).slice(2) + String(Date.now());
      var name = "shipfloor-push:" + id;
      var NativeWorker = window.Worker;
      // Only python-worker.js gets the name; Flutter's own workers are left as they are.
      var NamedWorker = function (url, options) {
        if (/\/python-worker\.js(\?|$)/.test(String(url))) {
          options = Object.assign({}, options, { name: name });
        }
        return new NativeWorker(url, options);
      };
      NamedWorker.prototype = NativeWorker.prototype;
      window.Worker = NamedWorker;
      window.shipfloorPushChannel = name;

      function unsupported() {
        if (!window.isSecureContext) return "insecure";
        if ("serviceWorker" in navigator && "PushManager" in window && "Notification" in window) {
          return "";
        }
        var ios = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
          (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
        return ios && !navigator.standalone ? "ios-home-screen" : "no-push";
      }
      function keyBytes(base64url) {
        var text = atob((base64url + "===".slice((base64url.length + 3) % 4))
          .replace(/-/g, "+").replace(/_/g, "/"));
        var bytes = new Uint8Array(text.length);
        for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
        return bytes;
      }
      function sameKey(buffer, bytes) {
        if (!buffer) return false;
        var old = new Uint8Array(buffer);
        if (old.length !== bytes.length) return false;
        for (var i = 0; i < old.length; i++) if (old[i] !== bytes[i]) return false;
        return true;
      }
      var ops = {
        state: function () {
          var why = unsupported();
          return { permission: why ? "unsupported" : Notification.permission, reason: why };
        },
        request: function () {
          var why = unsupported();
          if (why) return { permission: "unsupported", reason: why };
          // Older Safari only calls back; newer browsers return a promise.
          return new Promise(function (resolve) {
            var promise = Notification.requestPermission(resolve);
            if (promise && promise.then) promise.then(resolve);
          }).then(function (permission) { return { permission: permission }; });
        },
        subscribe: function (m) {
          var key = keyBytes(String(m.key || ""));
          return navigator.serviceWorker.ready.then(function (reg) {
            return reg.pushManager.getSubscription().then(function (old) {
              if (old && sameKey(old.options && old.options.applicationServerKey, key)) return old;
              return (old ? old.unsubscribe() : Promise.resolve()).then(function () {
                return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
              });
            });
          }).then(function (sub) { return { subscription: sub.toJSON() }; });
        },
        unsubscribe: function () {
          if (!("serviceWorker" in navigator)) return { done: false };
          return navigator.serviceWorker.getRegistration("/").then(function (reg) {
            return reg && reg.pushManager ? reg.pushManager.getSubscription() : null;
          }).then(function (sub) {
            return sub ? sub.unsubscribe() : false;
          }).then(function (done) { return { done: !!done }; });
        },
      };
      var channel = new BroadcastChannel(name);
      channel.onmessage = function (event) {
        var m;
        try { m = JSON.parse(event.data); } catch (e) { return; }
        if (!m || m.from !== "app" || !Object.prototype.hasOwnProperty.call(ops, m.op)) return;
        function answer(body) {
          body.from = "page";
          body.id = m.id;
          channel.postMessage(JSON.stringify(body));
        }
        new Promise(function (resolve) { resolve(ops[m.op](m)); }).then(
          function (result) { answer({ ok: true, result: result }); },
          function (error) {
            console.warn("Shipfloor: push " + m.op + " failed:", error);
            answer({ ok: false, error: {
              name: (error && error.name) || "Error",
              message: String((error && error.message) || error),
            } });
          }
        );
      };
    })();

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
