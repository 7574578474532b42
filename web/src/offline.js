// Offline visits: service worker registration and "save this site" (every file of the visit into its cache).

// Same name as in public/sw.js: the page fills the cache the worker reads from.
const CACHE = "hue-ar-v1";

/** Registers the worker; its script is then revalidated through the HTTP cache (max-age an hour), not every visit. */
export function registerServiceWorker(url) {
  if (!("serviceWorker" in navigator) || !url) return Promise.resolve(null);
  return navigator.serviceWorker.register(url, { scope: "/", updateViaCache: "all" }).catch(() => null);
}

/** Our own built files (JS, CSS, decoders), listed at build time with their sizes. */
async function viewerFiles() {
  const root = new URL(/* @vite-ignore */ "../", import.meta.url);
  const response = await fetch(new URL("offline-files.json", root));
  const { files } = await response.json();
  return files.map((file) => ({ url: new URL(file.path, root).href, bytes: file.bytes }));
}

/**
 * Puts the page, its manifest, the viewer's files and the site's pack into the cache, reporting
 * progress(doneBytes, totalBytes). Files already cached are not downloaded again.
 */
export async function saveForOffline({ pageUrl, manifestUrl, pack }, progress) {
  const cache = await caches.open(CACHE);
  const viewer = await viewerFiles();
  const packShare = pack.urls.length ? pack.bytes / pack.urls.length : 0;
  const entries = [
    { url: pageUrl, bytes: 0 },
    { url: manifestUrl, bytes: 0 },
    ...viewer,
    ...pack.urls.map((url) => ({ url: new URL(url, location.href).href, bytes: packShare })),
  ];
  const total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
  let done = 0;
  progress(done, total);
  for (const entry of entries) {
    if (!(await cache.match(entry.url, { ignoreVary: true }))) {
      const response = await fetch(entry.url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`${new URL(entry.url).pathname}: HTTP ${response.status}`);
      await cache.put(entry.url, response);
    }
    done += entry.bytes;
    progress(done, total);
  }
  return total;
}
