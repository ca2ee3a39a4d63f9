/* Shipfloor's service worker: the app starts from this cache with no network at all.
 *
 * - install: precache this build's core (page, manifest, icons, Flutter loader, Pyodide,
 *   the app package) and the renderer the browser used with the previous build; the
 *   first install takes over at once, a later one waits for the page's "Reload";
 * - fetch: page navigations get the cached app shell (any path: /orders/123 too); other
 *   same-origin GETs are cache-first, and the app's assets are cached as they come; the
 *   API (/api, /schema, /health/) is never cached nor answered from here;
 * - message "keep": the page names the renderer files it loaded, they are cached;
 *   message "skip-waiting": the page's "Reload" activates a waiting update;
 * - push / notificationclick: show the order's notification; a tap focuses an app window
 *   and sends it to the order's deep link, or opens one there.
 */

const BUILD = /*__BUILD__*/ null;
const PREFIX = "shipfloor-";
const CACHE = PREFIX + BUILD.version;
/* The Python worker's compiled code (pwa/code_cache.py): it replaces its own entry when
 * the app package changes, so an update leaves it alone. */
const CODE_CACHE = BUILD.codeCache;
const API = ["/api/", "/schema", "/health/"];

/** A cache of an older build of ours (the code cache is none: it outlives builds). */
function olderBuild(name) {
  return name.startsWith(PREFIX) && name !== CACHE && name !== CODE_CACHE;
}

function isApi(path) {
  return path === "/api" || API.some(function (p) { return path.startsWith(p); });
}

/** Paths this worker may keep: the app shell files and everything of the build. */
function isAppAsset(path) {
  return (
    path.startsWith("/r/") ||
    path.startsWith("/icons/") ||
    /^\/app-[0-9a-f]+\.tar\.gz$/.test(path) ||
    path === "/manifest.webmanifest" ||
    path === "/favicon.png"
  );
}

/** A runtime path without its hash (/r/<hash>/canvaskit/x.wasm -> canvaskit/x.wasm). */
function runtimeFile(path) {
  const m = /^\/r\/[0-9a-f]+\/(.*)$/.exec(path);
  return m ? m[1] : null;
}

/** The renderer variants whose files all sit in the caches of earlier builds. */
async function renderersInUse() {
  const had = new Set();
  for (const name of await caches.keys()) {
    if (!olderBuild(name)) continue;
    const cache = await caches.open(name);
    for (const req of await cache.keys()) {
      const file = runtimeFile(new URL(req.url).pathname);
      if (file) had.add(file);
    }
  }
  return Object.keys(BUILD.renderers).filter(function (name) {
    return BUILD.renderers[name].every(function (url) { return had.has(runtimeFile(url)); });
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil((async function () {
    const cache = await caches.open(CACHE);
    await cache.addAll(BUILD.core);
    for (const name of await renderersInUse()) await cache.addAll(BUILD.renderers[name]);
    // The very first install has nothing to replace: take over now. An update waits
    // until the page says "Reload" (a running app keeps the files it started with).
    if (!self.registration.active) await self.skipWaiting();
  })());
});

self.addEventListener("activate", function (event) {
  event.waitUntil((async function () {
    for (const name of await caches.keys()) {
      if (olderBuild(name)) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function appShell(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match("/");
  if (hit) return hit;
  return fetch(request);
}

async function cacheFirst(request, path) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.status === 200 && isAppAsset(path)) {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || isApi(url.pathname)) return;
  if (request.mode === "navigate") {
    event.respondWith(appShell(request));
  } else if (url.pathname !== "/sw.js" && url.pathname !== "/build.json") {
    event.respondWith(cacheFirst(request, url.pathname));
  }
});

self.addEventListener("message", function (event) {
  const message = event.data || {};
  if (message.type === "skip-waiting") {
    event.waitUntil(self.skipWaiting());
  } else if (message.type === "keep" && Array.isArray(message.urls)) {
    event.waitUntil((async function () {
      const cache = await caches.open(CACHE);
      for (const raw of message.urls) {
        const url = new URL(raw, self.location.origin);
        if (url.origin !== self.location.origin || !isAppAsset(url.pathname)) continue;
        if (!(await cache.match(url.pathname))) {
          try {
            await cache.add(url.pathname);
          } catch (_) {
            // Offline or gone with a newer build: the next start fetches it again.
          }
        }
      }
    })());
  }
});

self.addEventListener("push", function (event) {
  const shown = notificationFromPush(event.data ? event.data.text() : "", self.location.origin);
  event.waitUntil(self.registration.showNotification(shown.title, shown.options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const url = notificationTarget(event.notification.data, self.location.origin);
  event.waitUntil((async function () {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const choice = chooseClickAction(windows, url, self.registration.scope);
    if (choice.action === "open") {
      await self.clients.openWindow(choice.url);
      return;
    }
    const client = windows[choice.index];
    const focused = (await client.focus()) || client;
    if (!choice.navigate) return;
    try {
      await focused.navigate(choice.url);
    } catch (_) {
      // Not controlled by this worker (yet): the page navigates itself.
      focused.postMessage({ type: "navigate", url: choice.url });
    }
  })());
});
