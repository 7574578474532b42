// The viewer's observable state: window.hueViewer.state for tests and host pages, plus a DOM event per change.

export function createState(root) {
  const state = {
    mode: "poster", // poster | 3d | marker | ground
    model: null, // level of the model shown
    markerFound: false,
    lastPose: null, // 16 numbers, column-major anchor matrix from MindAR, or null
    errors: [],
    offline: null, // null | "saving" | "saved" | "failed"
    inApp: null,
  };
  const update = (changes) => {
    Object.assign(state, changes);
    root.dispatchEvent(new CustomEvent("hue-viewer:state", { detail: { ...state }, bubbles: true }));
  };
  const fail = (code, error) => {
    state.errors.push({ code, message: String(error?.message || error || code) });
    update({});
  };
  return { state, update, fail };
}
