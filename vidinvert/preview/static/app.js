"use strict";
// The preview page: keeps the edits, asks the server for frames, ranges, exports and renders.

const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
let info = null;
const edits = { track: 0, strengths: {}, keyframes: {}, render: "warp", masks: {}, occluders: "hands" };
let frameIndex = 0;
let busy = false;
let again = false;
let renders = 0;
let player = null;

function showError(message) {
  const bar = $("error");
  const shown = message || (info && info.error) || "";
  bar.textContent = shown;
  bar.hidden = !shown;
}

async function call(path, data, method) {
  const response = await fetch(path, {
    method: method || (data === undefined ? "GET" : "POST"),
    headers: { "X-Vidinvert-Token": token, "Content-Type": "application/json" },
    body: data === undefined ? undefined : JSON.stringify(data),
  });
  return response;
}

async function json(response) {
  const data = await response.json();
  if (!response.ok && response.status !== 409) throw new Error(data.error || response.statusText);
  return data;
}

function blobToDataUrl(blob) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.readAsDataURL(blob);
  });
}

async function fetchFrame(view) {
  const response = await call("api/frame", { edits, index: frameIndex, view });
  if (!response.ok) throw new Error((await response.json()).error || response.statusText);
  return blobToDataUrl(await response.blob());
}

// one request at a time; a change while one is on its way asks for one more afterwards
async function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  document.body.dataset.busy = "1";
  try {
    do {
      again = false;
      const view = $("view").value;
      const wipe = view === "wipe";
      const shown = await fetchFrame(wipe ? "original" : view);
      $("frame").src = shown;
      if (wipe) $("wipe-top").src = await fetchFrame("output");
      $("wipe-top").hidden = !wipe;
      $("wipe-row").hidden = !wipe;
      updateWipe();
      showError(null);
    } while (again);
  } catch (error) {
    showError(error.message);
  } finally {
    busy = false;
    renders += 1;
    document.body.dataset.busy = "0";
    document.body.dataset.renders = String(renders);
  }
}

function updateWipe() {
  const at = $("wipe").value;
  $("wipe-top").style.clipPath = `inset(0 0 0 ${at}%)`;
}

function strengthAt(name, frame) {
  const keys = edits.keyframes[name];
  if (!keys || !Object.keys(keys).length) return edits.strengths[name] || 0;
  const frames = Object.keys(keys).map(Number).sort((a, b) => a - b);
  if (frame <= frames[0]) return keys[frames[0]];
  if (frame >= frames[frames.length - 1]) return keys[frames[frames.length - 1]];
  for (let i = 1; i < frames.length; i++) {
    if (frame <= frames[i]) {
      const a = frames[i - 1], b = frames[i];
      return keys[a] + (keys[b] - keys[a]) * (frame - a) / (b - a);
    }
  }
  return 0;
}

function directionRow(name) {
  const row = document.createElement("div");
  row.className = "direction";
  const id = "dir-" + name.replace(/[^a-z0-9]/gi, "_");
  row.innerHTML = `<span title="${name}">${name}</span>` +
    `<input type="range" id="${id}" min="-3" max="3" step="0.1" value="0" data-direction="${name}">` +
    `<output id="${id}-value">0</output>` +
    `<button type="button" id="${id}-key" title="set a keyframe at this frame">&#9670; key</button>` +
    `<button type="button" id="${id}-clear" title="remove this direction's keyframes">clear</button>`;
  const slider = row.querySelector("input");
  slider.value = edits.strengths[name] || 0;
  row.querySelector("output").textContent = Number(slider.value).toFixed(1);
  slider.addEventListener("input", () => {
    const value = Number(slider.value);
    row.querySelector("output").textContent = value.toFixed(1);
    const keys = edits.keyframes[name];
    if (keys && Object.keys(keys).length) { keys[frameIndex] = value; drawTimeline(); }
    else edits.strengths[name] = value;
    refresh();
  });
  row.querySelector(`#${id}-key`).addEventListener("click", () => {
    edits.keyframes[name] = edits.keyframes[name] || {};
    edits.keyframes[name][frameIndex] = Number(slider.value);
    drawTimeline();
    refresh();
  });
  row.querySelector(`#${id}-clear`).addEventListener("click", () => {
    delete edits.keyframes[name];
    edits.strengths[name] = Number(slider.value);
    drawTimeline();
    refresh();
  });
  return row;
}

function syncSliders() {
  for (const slider of document.querySelectorAll("#directions input[type=range]")) {
    const name = slider.dataset.direction;
    const keys = edits.keyframes[name];
    if (keys && Object.keys(keys).length) {
      slider.value = strengthAt(name, frameIndex);
      slider.nextElementSibling.textContent = Number(slider.value).toFixed(1);
    }
  }
}

function drawTimeline() {
  const timeline = $("timeline");
  timeline.innerHTML = "";
  const last = Math.max(info.frames - 1, 1);
  const names = Object.keys(edits.keyframes).filter((n) => Object.keys(edits.keyframes[n]).length);
  for (const name of names.length ? names : [""]) {
    const row = document.createElement("div");
    row.className = "track-row";
    row.innerHTML = `<span class="name">${name || "no keyframes"}</span>`;
    for (const frame of Object.keys(edits.keyframes[name] || {})) {
      const key = document.createElement("div");
      key.className = "key";
      key.dataset.frame = frame;
      key.title = `${name} = ${edits.keyframes[name][frame]} at frame ${frame}`;
      key.style.left = `${(100 * Number(frame)) / last}%`;
      row.appendChild(key);
    }
    timeline.appendChild(row);
  }
  const head = document.createElement("div");
  head.className = "playhead";
  head.style.left = `${(100 * frameIndex) / last}%`;
  timeline.appendChild(head);
}

function maskRow(name, value) {
  const label = document.createElement("label");
  label.innerHTML = `${name.replace("mask_", "mask ")} <input type="number" step="0.01" min="0" value="${value}">`;
  label.querySelector("input").addEventListener("change", (event) => {
    edits.masks[name] = Number(event.target.value);
    refresh();
  });
  return label;
}

function setFrame(index) {
  frameIndex = index;
  $("frame-label").textContent = `frame ${index} (${info.times[index].toFixed(2)} s)`;
  syncSliders();
  drawTimeline();
  refresh();
}

async function pollJob(id, bar) {
  bar.hidden = false;
  for (;;) {
    const status = await json(await call(`api/jobs/${id}`));
    bar.max = Math.max(status.total, 1);
    bar.value = status.done;
    if (status.finished) {
      bar.hidden = true;
      if (status.error) throw new Error(status.error);
      return status;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function playRange() {
  if (player) { clearInterval(player); player = null; }
  const start = Number($("range-start").value), stop = Number($("range-stop").value);
  try {
    const started = await json(await call("api/range", { edits, start, stop }));
    await pollJob(started.id, $("range-progress"));
    const urls = [];
    for (let k = 0; k < stop - start; k++) {
      const response = await call(`api/range/${started.id}/${k}`);
      urls.push(URL.createObjectURL(await response.blob()));
    }
    let k = 0;
    player = setInterval(() => {
      if (k >= urls.length) { clearInterval(player); player = null; urls.forEach(URL.revokeObjectURL); refresh(); return; }
      $("frame").src = urls[k];
      $("frame-label").textContent = `frame ${start + k} (range preview)`;
      k += 1;
    }, 1000 / info.fps);
    showError(null);
  } catch (error) {
    showError(error.message);
  }
}

async function exportSpec(overwrite) {
  try {
    const response = await call("api/export", { edits, path: $("spec-path").value, overwrite });
    const data = await json(response);
    if (response.status === 409) {
      if (confirm(`${data.error}. Replace it?`)) return exportSpec(true);
      return;
    }
    $("command").textContent = data.command;
    $("command").dataset.path = data.path;
    showError(null);
  } catch (error) {
    showError(error.message);
  }
}

async function renderVideo(overwrite) {
  try {
    const response = await call("api/render", { edits, path: $("video-path").value, overwrite });
    const data = await json(response);
    if (response.status === 409) {
      if (confirm(`${data.error}. Replace it?`)) return renderVideo(true);
      return;
    }
    $("render-done").textContent = "rendering…";
    await pollJob(data.id, $("render-progress"));
    $("render-done").textContent = `written: ${data.path}`;
    showError(null);
  } catch (error) {
    $("render-done").textContent = "";
    showError(error.message);
  }
}

async function start() {
  try {
    info = await json(await call("api/info"));
  } catch (error) {
    showError(error.message);
    return;
  }
  if (info.frames === undefined) { showError(info.error); return; }
  $("video-name").textContent = `${info.video}: ${info.frames} frames, ${info.width}x${info.height}`;
  Object.assign(edits.strengths, info.strengths);
  Object.assign(edits.masks, info.masks);
  edits.render = info.render;
  edits.track = info.tracks.length ? info.tracks[0].id : 0;
  for (const track of info.tracks) {
    const option = document.createElement("option");
    option.value = track.id;
    option.textContent = `track ${track.id}: frames ${track.first}-${track.last}, ${track.size} px`;
    $("track").appendChild(option);
  }
  for (const name of info.directions) $("directions").appendChild(directionRow(name));
  for (const [name, value] of Object.entries(info.masks)) $("masks").appendChild(maskRow(name, value));
  $("render").value = info.render;
  edits.occluders = info.occluders;
  for (const choice of info.occluder_choices) {
    const option = document.createElement("option");
    option.value = option.textContent = choice;
    $("occluders").appendChild(option);
  }
  $("occluders").value = info.occluders;
  $("scrub").max = info.frames - 1;
  $("range-stop").max = info.frames;
  $("range-start").max = info.frames - 1;
  $("range-stop").value = Math.min(info.frames, Math.round(info.fps * 2));
  $("spec-path").value = info.spec_path;
  $("video-path").value = info.video_path;
  $("scrub").addEventListener("input", () => setFrame(Number($("scrub").value)));
  $("track").addEventListener("change", () => { edits.track = Number($("track").value); refresh(); });
  $("view").addEventListener("change", refresh);
  $("render").addEventListener("change", () => { edits.render = $("render").value; refresh(); });
  $("occluders").addEventListener("change", () => { edits.occluders = $("occluders").value; refresh(); });
  $("wipe").addEventListener("input", updateWipe);
  $("play").addEventListener("click", playRange);
  $("export").addEventListener("click", () => exportSpec(false));
  $("render-video").addEventListener("click", () => renderVideo(false));
  setFrame(0);
}

start();
