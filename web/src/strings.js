// UI text: the server sends translated strings in data-strings; English fills any gap.
export const ENGLISH = {
  start_ar: "Start AR",
  view_3d: "3D view",
  ar_marker: "AR on the plaque",
  ar_ground: "AR on the ground",
  loading: "Loading…",
  scan_plaque: "Point your camera at the plaque",
  camera_denied: "Camera access was refused, so here is the 3D view. Allow the camera in your browser settings to use AR.",
  camera_missing: "No camera is available, so here is the 3D view.",
  ar_unsupported: "AR is not available on this device, so here is the 3D view.",
  load_failed: "The model could not be loaded. Check your connection and try again.",
  in_app_title: "Open in your browser for AR",
  in_app_android: "Open in Chrome",
  in_app_ios: "Tap ⋯ or the share button, then “Open in Safari”.",
  save_offline: "Save this site for offline",
  saving: "Saving… {done} of {total}",
  saved: "Saved for offline ({total})",
  save_failed: "Saving failed: {error}",
  listen: "Listen",
};

/** Merges server strings over the English fallback; ignores malformed JSON rather than breaking the page. */
export function loadStrings(json) {
  let server = {};
  try {
    const parsed = JSON.parse(json || "{}");
    if (parsed && typeof parsed === "object") server = parsed;
  } catch {
    server = {};
  }
  return { ...ENGLISH, ...server };
}

/** Fills {name} placeholders. */
export function format(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

/** "1.2 MB", "340 KB": sizes as a tourist on mobile data thinks of them. */
export function formatBytes(bytes, lang) {
  const mb = bytes / 1048576;
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: mb >= 1 ? 1 : 0 });
  return mb >= 1 ? `${number.format(mb)} MB` : `${number.format(Math.max(1, Math.round(bytes / 1024)))} KB`;
}
