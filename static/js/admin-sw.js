// The admin's service worker (scope /admin/). Served by /admin/sw.js, which puts
// OFFLINE_URLS and CACHE above this. It keeps only the offline page and its styles: admin
// pages and data always come from the network, never from a cache.
/* global OFFLINE_URLS, CACHE */
"use strict";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(OFFLINE_URLS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    // A page: the network, and only when it fails the offline page.
    event.respondWith(fetch(request).catch(function () {
      return caches.match(OFFLINE_URLS[0]);
    }));
    return;
  }
  // The offline page's own styles and icon, while offline; anything else: the network.
  if (OFFLINE_URLS.indexOf(new URL(request.url).pathname + new URL(request.url).search) > 0) {
    event.respondWith(fetch(request).catch(function () { return caches.match(request); }));
  }
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var options = {
    body: data.body || "",
    tag: data.tag || "sweetshop-order",       // a repeat replaces, never piles up
    renotify: !!data.renotify,
    requireInteraction: true,                 // stays until someone deals with it
    icon: OFFLINE_URLS[OFFLINE_URLS.length - 1],
    data: { url: data.url || "/admin/", accept_url: data.accept_url || "",
            token: data.accept_token || "" },
    actions: data.accept_url ? [{ action: "accept", title: "Accept" }] : []
  };
  event.waitUntil(self.registration.showNotification(data.title || "New order", options));
});

function openOrder(url) {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].url === url && "focus" in list[i]) return list[i].focus();
    }
    return self.clients.openWindow(url);
  });
}

self.addEventListener("notificationclick", function (event) {
  var note = event.notification;
  var data = note.data || {};
  note.close();
  if (event.action !== "accept" || !data.accept_url) {
    event.waitUntil(openOrder(data.url));
    return;
  }
  // Accept with the same checks as the order page's button; if it cannot (signed out,
  // already taken by someone else), open the order so the person sees why.
  event.waitUntil(fetch(data.accept_url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: data.token })
  }).then(function (response) {
    return response.json().catch(function () { return {}; }).then(function (answer) {
      if (!response.ok || !answer.ok) return openOrder(data.url);
      return self.registration.showNotification(answer.message || "Accepted", {
        tag: note.tag, data: { url: data.url }, icon: OFFLINE_URLS[OFFLINE_URLS.length - 1]
      });
    });
  }).catch(function () { return openOrder(data.url); }));
});
