// The colorize editor: upload a photo, place colour points (click), paint strokes (drag),
// edit or remove a point (click it again), undo; the photo is colorized again after each
// change (debounced) through POST /api/colorize with the hints JSON (the hints file format,
// in the photo's pixel coordinates). Learned-hints runs suggest colours at a new point
// (POST /api/suggest). The result is the full-resolution PNG the server returns.
// The page opens on the server's default method (the first that reads hints); a click on
// the photo under a run that reads none says so and offers to switch to one that does.
"use strict";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 350;
const DRAG_PX = 5;        // a press that moves further is a stroke, not a click
const HIT_PX = 9;         // a click this close to a point (screen px) selects it

const state = {
  file: null, width: 0, height: 0,   // the photo and its size (after EXIF orientation)
  points: [], strokes: [], history: [],
  selected: -1, editing: false,
  methods: {}, timer: null, sequence: 0, controller: null, resultUrl: null,
  press: null,
};

async function init() {
  const info = await (await fetch("/api/runs")).json();
  for (const method of info.methods) {
    state.methods[method.name] = method;
    const option = document.createElement("option");
    option.value = method.name;
    option.textContent = method.name + (method.hints ? "" : " (automatic)");
    $("run").appendChild(option);
  }
  if (info.default) { $("run").value = info.default; }
  $("limits").textContent = `Up to ${Math.round(info.max_upload_bytes / 1048576)} MB and ` +
    `${Math.round(info.max_pixels / 1e6)} megapixels.`;
  if (info.methods.length === 0) {
    $("status").textContent = "No model is loaded on this server.";
    $("file").disabled = true;
  }
  $("file").addEventListener("change", newPhoto);
  $("run").addEventListener("change", () => { methodChanged(); schedule(0); });
  $("reference").addEventListener("change", () => schedule(0));
  $("undo").addEventListener("click", undo);
  $("clear").addEventListener("click", clearHints);
  $("remove").addEventListener("click", removeSelected);
  $("point-color").addEventListener("input", recolourSelected);
  $("show-hints").addEventListener("change", draw);
  $("switch").addEventListener("click", switchToHints);
  $("after").addEventListener("load", fitOverlay);
  window.addEventListener("resize", fitOverlay);
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "z") { event.preventDefault(); undo(); }
  });
  const overlay = $("overlay");
  overlay.addEventListener("pointerdown", pointerDown);
  overlay.addEventListener("pointermove", pointerMove);
  overlay.addEventListener("pointerup", pointerUp);
  methodChanged();
}

function method() { return state.methods[$("run").value] || {}; }

function hintMethod() {
  return Object.values(state.methods).find((m) => m.hints);
}

function methodChanged() {
  const current = method();
  $("no-hints").hidden = true;
  $("reference-box").hidden = !current.reference;
  $("help").textContent = current.hints === false
    ? "This run reads no hints: it colorizes automatically. Choose a hint method to steer it."
    : "Click the photo to place a colour point, click a point again to change or remove " +
      "it, drag to paint a stroke. The photo is colorized again after each change.";
  $("suggestions").textContent = "";
}

// ------------------------------------------------------------------ the photo

function newPhoto() {
  const file = $("file").files[0];
  if (!file) { return; }
  state.file = file;
  state.points = []; state.strokes = []; state.history = []; state.selected = -1;
  state.width = 0; state.height = 0;
  const probe = new Image();
  if (state.resultUrl) { URL.revokeObjectURL(state.resultUrl); state.resultUrl = null; }
  probe.onload = () => {
    if (state.file !== file || state.resultUrl) { return; }  // the result came first
    state.width = probe.naturalWidth; state.height = probe.naturalHeight;
    $("after").src = probe.src;
    $("stage").hidden = false;
  };
  probe.src = URL.createObjectURL(file);
  updateControls();
  schedule(0);
}

function fitOverlay() {
  const image = $("after"), overlay = $("overlay");
  const ratio = window.devicePixelRatio || 1;
  overlay.width = Math.round(image.clientWidth * ratio);
  overlay.height = Math.round(image.clientHeight * ratio);
  overlay.style.width = image.clientWidth + "px";
  overlay.style.height = image.clientHeight + "px";
  draw();
}

// photo pixels per screen pixel
function scale() {
  const rect = $("overlay").getBoundingClientRect();
  return rect.width ? state.width / rect.width : 1;
}

function toPhoto(event) {
  const rect = $("overlay").getBoundingClientRect();
  const s = state.width / rect.width, t = state.height / rect.height;
  const clamp = (v, hi) => Math.min(Math.max(Math.round(v * 10) / 10, 0), hi);
  return [clamp((event.clientX - rect.left) * s - 0.5, state.width - 1),
          clamp((event.clientY - rect.top) * t - 0.5, state.height - 1)];
}

// ------------------------------------------------------------------ editing

function snapshot() {
  state.history.push(JSON.stringify({ points: state.points, strokes: state.strokes }));
  if (state.history.length > 200) { state.history.shift(); }
}

function changed() { updateControls(); draw(); schedule(DEBOUNCE_MS); }

// A click under a run that reads no hints: say so, and offer a method that reads them.
function refuseClick() {
  const other = hintMethod();
  $("no-hints-text").textContent = `${$("run").value} reads no hints: it colorizes ` +
    "automatically, so your click was not used." + (other ? "" : " No loaded method reads hints.");
  $("switch").hidden = !other;
  if (other) { $("switch").textContent = `Switch to ${other.name}`; }
  $("no-hints").hidden = false;
}

function switchToHints() {
  const other = hintMethod();
  if (!other) { return; }
  $("run").value = other.name;
  methodChanged();
  schedule(0);
}

function pointerDown(event) {
  if (!state.width) { return; }
  if (!method().hints) { refuseClick(); return; }
  $("overlay").setPointerCapture(event.pointerId);
  state.press = { x: event.clientX, y: event.clientY, path: [toPhoto(event)], drag: false };
}

function pointerMove(event) {
  const press = state.press;
  if (!press) { return; }
  if (!press.drag && Math.hypot(event.clientX - press.x, event.clientY - press.y) > DRAG_PX) {
    press.drag = true;
  }
  if (press.drag) {
    const [x, y] = toPhoto(event), last = press.path[press.path.length - 1];
    if (Math.hypot(x - last[0], y - last[1]) >= 2 * scale()) { press.path.push([x, y]); }
    draw();
  }
}

function pointerUp(event) {
  const press = state.press;
  state.press = null;
  if (!press) { return; }
  if (press.drag) {
    press.path.push(toPhoto(event));
    snapshot();
    state.strokes.push({ points: press.path, color: $("color").value,
                         width: round(Number($("size").value) * scale()) });
    select(-1);
    changed();
    return;
  }
  const [x, y] = press.path[0];
  const hit = nearestPoint(x, y);
  if (hit >= 0) { select(hit); draw(); return; }
  snapshot();
  state.points.push({ x, y, color: $("color").value,
                      radius: round(Number($("size").value) * scale() / 2) });
  select(state.points.length - 1);
  changed();
  if (method().suggest) { suggest(x, y); }
}

function round(value) { return Math.round(value * 10) / 10; }

function nearestPoint(x, y) {
  let best = -1, bestDistance = Infinity;
  const reach = HIT_PX * scale();
  state.points.forEach((point, i) => {
    const d = Math.hypot(point.x - x, point.y - y);
    if (d <= Math.max(reach, point.radius) && d < bestDistance) { best = i; bestDistance = d; }
  });
  return best;
}

function select(index) {
  state.selected = index;
  state.editing = false;
  $("selected").hidden = index < 0;
  if (index >= 0) {
    const point = state.points[index];
    $("point-color").value = point.color;
    $("selected-where").textContent = `(${Math.round(point.x)}, ${Math.round(point.y)})`;
  }
  $("suggestions").textContent = "";
}

function recolourSelected() {
  if (state.selected < 0) { return; }
  if (!state.editing) { snapshot(); state.editing = true; }
  state.points[state.selected].color = $("point-color").value;
  changed();
}

function removeSelected() {
  if (state.selected < 0) { return; }
  snapshot();
  state.points.splice(state.selected, 1);
  select(-1);
  changed();
}

function undo() {
  const last = state.history.pop();
  if (last === undefined) { return; }
  const restored = JSON.parse(last);
  state.points = restored.points; state.strokes = restored.strokes;
  select(-1);
  changed();
}

function clearHints() {
  if (!state.points.length && !state.strokes.length) { return; }
  snapshot();
  state.points = []; state.strokes = [];
  select(-1);
  changed();
}

function updateControls() {
  $("undo").disabled = state.history.length === 0;
  $("clear").disabled = !state.points.length && !state.strokes.length;
}

function draw() {
  const overlay = $("overlay"), context = overlay.getContext("2d");
  context.clearRect(0, 0, overlay.width, overlay.height);
  if (!$("show-hints").checked || !state.width) { return; }
  const k = overlay.width / state.width;   // canvas px per photo px
  const at = (v) => (v + 0.5) * k;
  context.lineCap = "round"; context.lineJoin = "round";
  const paths = state.strokes.map((s) => [s.points, s.color, s.width]);
  if (state.press && state.press.drag) {
    paths.push([state.press.path, $("color").value, Number($("size").value) * scale()]);
  }
  for (const [points, colour, width] of paths) {
    context.strokeStyle = colour;
    context.lineWidth = Math.max(width * k, 2);
    context.beginPath();
    points.forEach(([x, y], i) => (i ? context.lineTo(at(x), at(y)) : context.moveTo(at(x), at(y))));
    if (points.length === 1) { context.lineTo(at(points[0][0]) + 0.1, at(points[0][1])); }
    context.stroke();
  }
  state.points.forEach((point, i) => {
    const r = Math.max(point.radius * k, 5 * (window.devicePixelRatio || 1));
    context.beginPath();
    context.arc(at(point.x), at(point.y), r, 0, 2 * Math.PI);
    context.fillStyle = point.color;
    context.fill();
    context.lineWidth = i === state.selected ? 3 : 1.5;
    context.strokeStyle = i === state.selected ? "#fff" : "#000";
    context.stroke();
  });
}

// ------------------------------------------------------------------ the server

// the request's fields; ``without``: a point left out (the one suggestions are for)
function form(without = -1) {
  const data = new FormData();
  data.append("image", state.file);
  const current = method();
  const points = state.points.filter((_, i) => i !== without);
  if (current.hints && (points.length || state.strokes.length)) {
    data.append("hints", JSON.stringify({ points, strokes: state.strokes }));
  }
  const reference = $("reference").files[0];
  if (current.reference && reference) { data.append("reference", reference); }
  return data;
}

async function reason(response) {
  try { return (await response.json()).detail; } catch (e) { return response.statusText; }
}

function schedule(delay) {
  clearTimeout(state.timer);
  if (state.file) { state.timer = setTimeout(colorize, delay); }
}

async function colorize() {
  const sequence = ++state.sequence;
  if (state.controller) { state.controller.abort(); }
  state.controller = new AbortController();
  const count = method().hints ? state.points.length + state.strokes.length : 0;
  $("status").textContent = "Colorizing…";
  let response;
  try {
    response = await fetch("/api/colorize?run=" + encodeURIComponent($("run").value),
                           { method: "POST", body: form(), signal: state.controller.signal });
  } catch (error) {
    if (sequence === state.sequence) { $("status").textContent = `Not colorized: ${error}`; }
    return;
  }
  if (sequence !== state.sequence) { return; }   // a newer change is on its way
  if (!response.ok) {
    $("status").textContent = `Not colorized (${response.status}): ${await reason(response)}`;
    return;
  }
  const blob = await response.blob();
  if (sequence !== state.sequence) { return; }
  if (state.resultUrl) { URL.revokeObjectURL(state.resultUrl); }
  state.resultUrl = URL.createObjectURL(blob);
  const image = $("after");
  image.onload = () => {
    state.width = image.naturalWidth; state.height = image.naturalHeight;
    image.onload = null;
    fitOverlay();
    $("status").textContent = `Done (${count} hint${count === 1 ? "" : "s"}).`;
  };
  image.src = state.resultUrl;
  $("stage").hidden = false;
  $("download").href = state.resultUrl;
  $("download").hidden = false;
}

async function suggest(x, y) {
  const url = `/api/suggest?run=${encodeURIComponent($("run").value)}&x=${x}&y=${y}`;
  const target = state.selected;
  const response = await fetch(url, { method: "POST", body: form(target) });
  if (!response.ok || state.selected !== target) { return; }
  const colours = (await response.json()).colors;
  const box = $("suggestions");
  box.textContent = colours.length ? "suggested: " : "";
  for (const colour of colours) {
    const swatch = document.createElement("button");
    swatch.type = "button";
    swatch.className = "swatch";
    swatch.title = colour;
    swatch.style.background = colour;
    swatch.addEventListener("click", () => {
      if (state.selected < 0) { return; }
      snapshot();
      state.points[state.selected].color = colour;
      $("point-color").value = colour;
      changed();
    });
    box.appendChild(swatch);
  }
}

init();
