// Hue AR service worker (scope "/"): content-hashed files cache-first, pages and manifests network-first.
// The page's "save for offline" action fills the same cache with every file a visit needs.
const CACHE = "hue-ar-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(forgetWorkspace().then(() => self.clients.claim())));

// Names that change whenever their bytes do: /files/sha256/… and the viewer's hashed build output.
const IMMUTABLE = [/\/files\//, /\/static\/viewer\/(assets|vendor-[0-9a-f]+)\//];
// The curators' workspace is not the tourists': never kept, never served offline on a shared device.
const WORKSPACE = /^\/admin(\/|$)/;

// A 200 the server lets caches keep (previews and workspace pages say no-store).
const storable = (response) =>
  response.status === 200 && !/no-store/.test(response.headers.get("cache-control") || "");

// Workspace pages an earlier version of this worker kept.
async function forgetWorkspace() {
  const cache = await caches.open(CACHE);
  const kept = (await cache.keys()).filter((request) => WORKSPACE.test(new URL(request.url).pathname));
  await Promise.all(kept.map((request) => cache.delete(request)));
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreVary: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (storable(response)) await cache.put(request, response.clone());
  return response;
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (storable(response)) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(request, { ignoreVary: true, ignoreSearch: request.mode === "navigate" });
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  // Only our own GETs; beacons and admin uploads pass through. Range requests (media seeking) too.
  if (request.method !== "GET" || url.origin !== self.location.origin || request.headers.has("range")) return;
  if (WORKSPACE.test(url.pathname)) return;
  const immutable = IMMUTABLE.some((pattern) => pattern.test(url.pathname));
  event.respondWith(immutable ? cacheFirst(request) : networkFirst(request));
});
