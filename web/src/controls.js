// The viewer's DOM: mode switch, status line, annotation panel, narration, in-app guidance, offline saving.
import { formatBytes } from "./strings.js";

function button(action, label, extraClass = "") {
  const element = document.createElement("button");
  element.type = "button";
  element.className = `hue-button ${extraClass}`.trim();
  element.dataset.action = action;
  element.textContent = label;
  return element;
}

export function createControls(root, { strings, lang, scene, pack }) {
  root.classList.add("hue-viewer");
  const poster = root.querySelector("img.poster");
  const stage = document.createElement("div");
  stage.className = "hue-stage";
  if (poster) poster.replaceWith(stage), stage.append(poster);
  else root.prepend(stage);

  const status = document.createElement("p");
  status.className = "hue-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");

  const modes = document.createElement("div");
  modes.className = "hue-modes";
  modes.setAttribute("role", "group");
  const view3d = button("view-3d", strings.view_3d);
  const marker = button("ar-marker", strings.ar_marker);
  const ground = button("ar-ground", strings.ar_ground);
  marker.hidden = true;
  ground.hidden = true;
  modes.append(view3d, marker, ground);

  const note = document.createElement("section");
  note.className = "hue-note";
  note.hidden = true;
  note.setAttribute("aria-live", "polite");

  const save = button("save-offline", `${strings.save_offline} (${formatBytes(pack.bytes, lang)})`, "hue-save");
  const saveProgress = document.createElement("progress");
  saveProgress.className = "hue-progress";
  saveProgress.max = 1;
  saveProgress.value = 0;
  saveProgress.hidden = true;
  save.hidden = !("caches" in window) || !pack.urls.length;

  const parts = [status, modes, note];
  // The server may already render the narration; only add it when the page has none.
  if (scene.audio && !document.querySelector(`audio[src="${CSS.escape(scene.audio.url)}"]`)) {
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = scene.audio.url;
    audio.setAttribute("aria-label", strings.listen);
    if (scene.captions) {
      const track = document.createElement("track");
      const { url, language } = scene.captions;
      Object.assign(track, { kind: "captions", src: url, srclang: language, default: true });
      audio.append(track);
    }
    parts.push(audio);
  }
  parts.push(save, saveProgress);
  stage.after(...parts);

  // The server renders its own Start AR button (with the download size); it joins the mode switch.
  const startButton = root.querySelector('[data-action="start-ar"]') || button("start-ar", strings.start_ar);
  const serverWrapper = startButton.parentElement !== root && startButton.isConnected ? startButton.parentElement : null;
  modes.prepend(startButton);
  if (serverWrapper && !serverWrapper.children.length) serverWrapper.remove();
  startButton.classList.add("hue-button", "hue-primary");

  return {
    stage,
    bind(handlers) {
      root.addEventListener("click", (event) => {
        const target = event.target.closest("[data-action]");
        if (!target || !root.contains(target) || !(target.dataset.action in handlers)) return;
        event.preventDefault();
        handlers[target.dataset.action]();
      });
      startButton.disabled = false;
    },
    setMessage(text) {
      status.textContent = text;
      status.hidden = !text;
    },
    setBusy(busy) {
      root.toggleAttribute("aria-busy", busy);
    },
    setActive(mode) {
      for (const [element, name] of [[view3d, "3d"], [marker, "marker"], [ground, "ground"]]) {
        element.setAttribute("aria-pressed", String(name === mode));
      }
    },
    revealModel() {
      if (poster) poster.hidden = true;
    },
    showMarker(visible) {
      marker.hidden = !visible;
    },
    showGround(visible) {
      ground.hidden = !visible;
    },
    showAnnotation(item) {
      note.replaceChildren();
      const title = document.createElement("h3");
      title.textContent = item.title;
      const text = document.createElement("p");
      text.textContent = item.text;
      // A missing translation falls back to another language: marked, it is read in its own voice.
      title.lang = text.lang = item.language;
      note.append(title, text);
      note.hidden = false;
    },
    showInAppGuidance(app, os, intentUrl) {
      const box = document.createElement("aside");
      box.className = "hue-inapp";
      box.dataset.app = app;
      const title = document.createElement("p");
      title.textContent = strings.in_app_title;
      box.append(title);
      if (os === "android") {
        const link = document.createElement("a");
        link.className = "hue-button hue-primary";
        link.href = intentUrl;
        link.textContent = strings.in_app_android;
        box.append(link);
      } else {
        const steps = document.createElement("p");
        steps.textContent = strings.in_app_ios;
        box.append(steps);
      }
      root.prepend(box);
    },
    setSaveProgress(text, fraction) {
      save.textContent = text;
      save.disabled = fraction > 0 && fraction < 1;
      saveProgress.hidden = false;
      saveProgress.value = fraction;
    },
  };
}
