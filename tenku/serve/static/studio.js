// tenku studio: talks to the same server's /v1 Videos API. No dependencies, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { model: null, seconds: null, videos: new Map(), mediaUrls: new Map(), verdicts: new Map(), timer: null };

const PRESET_SECONDS = [1, 2, 4, 8, 12, 20, 30, 60];

function apiKey() { return localStorage.getItem("tenku-api-key") || ""; }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (apiKey()) headers["Authorization"] = "Bearer " + apiKey();
  const response = await fetch("/v1" + path, Object.assign({}, options, { headers }));
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try { message = (await response.json()).error.message; } catch (e) { /* not JSON */ }
    if (response.status === 401) $("key-box").open = true;
    throw new Error(message);
  }
  return response;
}

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

async function loadModel() {
  const models = await (await api("/models")).json();
  state.model = models.data[0];
  $("model-info").textContent = `${state.model.id} · ${state.model.fps} fps`;
  $("size").innerHTML = "";
  for (const size of state.model.sizes) $("size").add(new Option(size, size));
  $("durations").innerHTML = "";
  // a few duration presets out of the model's allowed whole seconds
  const presets = state.model.seconds.filter((s) => PRESET_SECONDS.includes(Number(s)));
  (presets.length ? presets : state.model.seconds.slice(0, 4)).forEach((s, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = s + " s";
    b.dataset.seconds = s;
    b.onclick = () => pickSeconds(s);
    $("durations").appendChild(b);
    if (i === 0) pickSeconds(s);
  });
}

function pickSeconds(s) {
  state.seconds = s;
  for (const b of $("durations").children) b.classList.toggle("on", b.dataset.seconds === s);
}

function mode() { return document.querySelector("input[name=mode]:checked").value; }

function showModeFields() {
  const m = mode();
  for (const el of document.querySelectorAll(".mode-only")) {
    el.classList.toggle("shown", el.dataset.modes.split(" ").includes(m));
  }
}

function styledPrompt() {
  const prompt = $("prompt").value.trim();
  const style = $("style").value;
  return style ? `${prompt}, in ${style} style` : prompt;
}

async function submit(event) {
  event.preventDefault();
  const m = mode();
  const prompt = styledPrompt();
  if (!prompt) return say("Write a prompt first.", true);
  const seed = $("seed").value;
  let path = "/videos";
  const form = new FormData();
  form.append("prompt", prompt);
  if (seed !== "") form.append("seed", seed);
  if (m === "text" || m === "image" || m === "loop") {
    form.append("size", $("size").value);
    form.append("seconds", state.seconds);
    if (m === "loop") form.append("loop", "true");
    if (m === "image") {
      if (!$("image").files.length) return say("Choose a start image.", true);
      form.append("input_reference", $("image").files[0]);
    }
  } else {
    const source = $("source").value;
    if (!source) return say("Pick a completed video from the gallery as the source.", true);
    if (m === "remix") {
      path = `/videos/${source}/remix`;
    } else {
      path = m === "extend" ? "/videos/extensions" : "/videos/edits";
      form.append("video[id]", source);
    }
    if (m === "extend") {
      form.append("seconds", state.seconds);
      if ($("backward").checked) form.append("backward", "true");
    } else {
      form.append("strength", $("strength").value);
    }
  }
  $("submit").disabled = true;
  try {
    const video = await (await api(path, { method: "POST", body: form })).json();
    state.videos.set(video.id, video);
    say(`Queued ${video.id}.`);
    render();
    schedule(200);
  } catch (e) {
    say(e.message, true);
  } finally {
    $("submit").disabled = false;
  }
}

async function mediaUrl(id, variant) {
  const key = id + ":" + variant;
  if (!apiKey()) return `/v1/videos/${id}/content?variant=${variant}`;
  if (!state.mediaUrls.has(key)) {
    const blob = await (await api(`/videos/${id}/content?variant=${variant}`)).blob();
    state.mediaUrls.set(key, URL.createObjectURL(blob));
  }
  return state.mediaUrls.get(key);
}

async function showProvenance(card, id) {
  const el = card.querySelector(".provenance");
  try {
    if (!state.verdicts.has(id)) state.verdicts.set(id, await (await api(`/videos/${id}/provenance`)).json());
    const v = state.verdicts.get(id);
    const parts = [v.from_tenku ? "✓ made by tenku" : "✗ not shown to come from tenku"];
    if (v.manifest) parts.push(`C2PA ${v.manifest.state}`);
    if (v.watermark) parts.push(`watermark ${v.watermark.found ? "found" : "not found"}`);
    el.textContent = "provenance: " + parts.join(" · ");
    el.title = v.text || "";
    el.className = "provenance " + (v.from_tenku ? "verified" : "unverified");
  } catch (e) {
    el.textContent = "provenance: " + e.message;
  }
}

async function fillMedia(card, video) {
  const media = card.querySelector(".media");
  if (media.dataset.filled === "1") return;
  media.dataset.filled = "1";
  const player = document.createElement("video");
  player.controls = true;
  player.loop = true;
  player.muted = true;
  player.playsInline = true;
  player.poster = await mediaUrl(video.id, "thumbnail");
  player.src = await mediaUrl(video.id, "video");
  media.replaceChildren(player);
  showProvenance(card, video.id);
}

function cardFor(video) {
  let card = document.querySelector(`.card[data-id="${video.id}"]`);
  if (!card) {
    card = $("card-template").content.firstElementChild.cloneNode(true);
    card.dataset.id = video.id;
    card.querySelector(".media").textContent = "queued";
    card.querySelector(".prompt").textContent = video.prompt;
    for (const b of card.querySelectorAll("button")) b.onclick = () => act(b.dataset.action, video.id);
  }
  card.dataset.status = video.status;
  card.querySelector(".bar").style.width = video.progress + "%";
  const what = video.remixed_from_video_id ? ` · remix of ${video.remixed_from_video_id.slice(0, 12)}…` : "";
  card.querySelector(".meta").textContent = `${video.status} ${video.progress}% · ${video.size} · ${video.seconds} s${what}`;
  if (video.status === "in_progress") card.querySelector(".media").textContent = `generating… ${video.progress}%`;
  if (video.status === "failed") {
    card.querySelector(".media").textContent = "failed";
    card.querySelector(".provenance").textContent = video.error ? `${video.error.code}: ${video.error.message}` : "";
  }
  if (video.status === "completed") fillMedia(card, video);
  return card;
}

function render() {
  const videos = [...state.videos.values()].sort((a, b) => b.created_at - a.created_at);
  const gallery = $("gallery");
  const cards = videos.map(cardFor);
  cards.forEach((card, i) => { if (gallery.children[i] !== card) gallery.insertBefore(card, gallery.children[i] || null); });
  while (gallery.children.length > cards.length) gallery.lastElementChild.remove();
  const source = $("source");
  const current = source.value;
  source.innerHTML = "";
  for (const v of videos.filter((x) => x.status === "completed")) {
    source.add(new Option(`${v.prompt.slice(0, 40)} (${v.id.slice(6, 14)})`, v.id));
  }
  if (current) source.value = current;
}

async function refresh() {
  try {
    const page = await (await api("/videos?limit=100&order=desc")).json();
    const seen = new Set(page.data.map((v) => v.id));
    for (const id of [...state.videos.keys()]) if (!seen.has(id)) state.videos.delete(id);
    for (const v of page.data) state.videos.set(v.id, v);
    render();
  } catch (e) {
    say(e.message, true);
  }
  const busy = [...state.videos.values()].some((v) => v.status === "queued" || v.status === "in_progress");
  schedule(busy ? 500 : 5000);
}

function schedule(ms) {
  clearTimeout(state.timer);
  state.timer = setTimeout(refresh, ms);
}

async function act(action, id) {
  if (action === "delete") {
    try {
      await api(`/videos/${id}`, { method: "DELETE" });
      state.videos.delete(id);
      render();
    } catch (e) { say(e.message, true); }
    return;
  }
  document.querySelector(`input[name=mode][value=${action}]`).checked = true;
  showModeFields();
  render();
  $("source").value = id;
  $("prompt").focus();
}

function init() {
  $("api-key").value = apiKey();
  $("save-key").onclick = () => {
    localStorage.setItem("tenku-api-key", $("api-key").value.trim());
    state.mediaUrls.clear();
    start();
  };
  for (const r of document.querySelectorAll("input[name=mode]")) r.onchange = showModeFields;
  $("strength").oninput = () => { $("strength-out").textContent = $("strength").value; };
  $("create-form").onsubmit = submit;
  showModeFields();
  start();
}

async function start() {
  try {
    await loadModel();
    say("");
  } catch (e) {
    say(e.message, true);
    return;
  }
  refresh();
}

init();
