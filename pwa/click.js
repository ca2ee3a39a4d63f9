/* Shipfloor service worker helpers: pure functions, no service-worker API in them, so a
 * test can call them (headless Chromium can neither receive a real push nor click a
 * notification). Prepended to sw.js by pwa/build.py. */
"use strict";

/** The absolute URL a notification opens: its `data.url` on this origin, else the app. */
function notificationTarget(data, origin) {
  const path = data && typeof data.url === "string" ? data.url : "/";
  let url;
  try {
    url = new URL(path, origin);
  } catch (_) {
    url = new URL("/", origin);
  }
  // A payload never sends a tap to another site.
  return url.origin === new URL(origin).origin ? url.href : new URL("/", origin).href;
}

/** Title and options of the notification for one push payload (our server sends JSON
 * `{title, body, tag, data: {url, order_id, number, kind, id}}`; anything else is shown
 * as plain text under the app's name). */
function notificationFromPush(text, origin) {
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch (_) {
    payload = null;
  }
  if (!payload || typeof payload !== "object") {
    payload = { title: "Shipfloor", body: text || "", data: { url: "/" } };
  }
  const data = Object.assign({}, payload.data || {});
  data.url = notificationTarget(data, origin);
  const options = {
    body: typeof payload.body === "string" ? payload.body : "",
    data: data,
    icon: "/icons/icon-192.png",
    badge: "/icons/icon-192.png",
  };
  if (typeof payload.tag === "string" && payload.tag) {
    options.tag = payload.tag;
    options.renotify = true; // the same order again: replace the old one, but do tell
  }
  const title = typeof payload.title === "string" && payload.title ? payload.title : "Shipfloor";
  return { title: title, options: options };
}

/** Where a notification tap goes, given the open windows (`[{url, focused,
 * visibilityState}]`, as `clients.matchAll` returns them), the target URL and the
 * worker's scope:
 *  - no window of this app open: `{action: "open", url}`;
 *  - one already showing the target: `{action: "focus", index, navigate: false, url}`;
 *  - otherwise the focused (else visible, else first) app window, sent to the target:
 *    `{action: "focus", index, navigate: true, url}`. */
function chooseClickAction(windows, url, scope) {
  const ours = [];
  (windows || []).forEach(function (w, index) {
    if (w && typeof w.url === "string" && w.url.startsWith(scope)) ours.push({ w: w, index: index });
  });
  if (ours.length === 0) return { action: "open", url: url };
  const same = ours.find(function (c) {
    return c.w.url === url;
  });
  if (same) return { action: "focus", index: same.index, navigate: false, url: url };
  const rank = function (c) {
    return (c.w.focused ? 2 : 0) + (c.w.visibilityState === "visible" ? 1 : 0);
  };
  let best = ours[0];
  for (const c of ours) if (rank(c) > rank(best)) best = c;
  return { action: "focus", index: best.index, navigate: true, url: url };
}
