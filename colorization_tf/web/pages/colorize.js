// The colorize page: upload a photo, get the colorized PNG at the same resolution, and
// compare the two with a before/after slider.
"use strict";

const $ = (id) => document.getElementById(id);

async function init() {
  const response = await fetch("/api/runs");
  const info = await response.json();
  for (const name of info.runs) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name;
    $("run").appendChild(option);
  }
  $("limits").textContent = `Up to ${Math.round(info.max_upload_bytes / 1048576)} MB and ` +
    `${Math.round(info.max_pixels / 1e6)} megapixels.`;
  if (info.runs.length === 0) { $("go").disabled = true; $("status").textContent =
    "No model is loaded on this server."; }
  $("form").addEventListener("submit", submit);
  $("slider").addEventListener("input", slide);
}

function slide() {
  $("after").style.clipPath = `inset(0 ${100 - Number($("slider").value)}% 0 0)`;
}

async function submit(event) {
  event.preventDefault();
  const file = $("file").files[0];
  if (!file) { return; }
  const form = new FormData();
  form.append("image", file);
  $("status").textContent = "Colorizing…";
  $("go").disabled = true;
  try {
    const url = "/api/colorize?run=" + encodeURIComponent($("run").value);
    const response = await fetch(url, { method: "POST", body: form });
    if (!response.ok) {
      let reason = response.statusText;
      try { reason = (await response.json()).detail; } catch (e) { /* plain text */ }
      $("status").textContent = `Not colorized (${response.status}): ${reason}`;
      return;
    }
    const blob = await response.blob();
    $("before").src = URL.createObjectURL(file);
    $("after").src = URL.createObjectURL(blob);
    $("download").href = $("after").src;
    $("result").hidden = false;
    slide();
    $("status").textContent = "Done.";
  } finally {
    $("go").disabled = false;
  }
}

init();
