// The study page: asks the server for a trial, shows it, sends the answer, repeats.
// The server decides and judges everything; this page only displays what it is given.
"use strict";

const state = { study: null, trial: null, busy: false, feedback: false, hideTimer: null,
                shownAt: null };
// A crowd platform's ids in the study URL go with every trial request: one id, one session.
const PLATFORM_KEYS = ["PROLIFIC_PID", "STUDY_ID", "SESSION_ID", "participant"];
const $ = (id) => document.getElementById(id);

function show(id, visible) { $(id).hidden = !visible; }

async function getJSON(url, options) {
  const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  return { status: response.status, body };
}

async function init() {
  const { status, body } = await getJSON("/api/study");
  if (status !== 200) { return fail("The study is not available right now."); }
  state.study = body;
  const pair = body.mode === "pair";
  show("instructions-single", !pair);
  show("instructions-pair", pair);
  show("keys-single", !pair);
  show("keys-pair", pair);
  show("timing-note", body.display_ms > 0);
  $("practice-count").textContent = String(body.practice_trials);
  $("total-count").textContent = String(body.total);
  $("start").addEventListener("click", start);
  $("continue").addEventListener("click", nextTrial);
  document.querySelectorAll("button.answer").forEach((button) => {
    button.addEventListener("click", () => answer(button.dataset.answer));
  });
  document.addEventListener("keydown", onKey);
  show("start", true);  // only now does it work: shown before, a click would be lost
}

function start() {
  if ($("intro").hidden) { return; }
  show("intro", false);
  show("trial", true);
  nextTrial();
}

function trialURL() {
  const given = new URLSearchParams(window.location.search);
  const query = new URLSearchParams();
  for (const key of PLATFORM_KEYS) {
    if (given.has(key)) { query.set(key, given.get(key)); }
  }
  const text = query.toString();
  return "/api/trial" + (text ? "?" + text : "");
}

async function nextTrial() {
  state.feedback = false;
  show("feedback", false);
  show("error", false);
  clearTimeout(state.hideTimer);
  const { status, body } = await getJSON(trialURL());
  if (status !== 200) {
    const reason = body && typeof body.detail === "string" ? body.detail
      : "Could not load the next trial; please reload the page.";
    return fail(reason);
  }
  if (body.done) {
    show("trial", false);
    showDone(body);
    return;
  }
  state.trial = body;
  $("progress").textContent = body.index + " / " + body.total;
  show("practice-badge", body.practice);
  show("answers-single", body.mode === "single");
  show("answers-pair", body.mode === "pair");
  show("hidden-note", false);
  setAnswering(false);
  const box = $("images");
  box.replaceChildren();
  const loads = body.images.map((url, i) => new Promise((resolve) => {
    const img = new Image();
    img.alt = body.images.length > 1 ? (i === 0 ? "left image" : "right image") : "photo";
    img.className = "stimulus";
    img.onload = resolve;
    img.onerror = resolve;
    img.src = url;
    box.appendChild(img);
  }));
  await Promise.all(loads);
  if (state.trial !== body) { return; }
  state.shownAt = performance.now();
  setAnswering(true);
  if (body.display_ms > 0) {
    state.hideTimer = setTimeout(() => {
      box.querySelectorAll("img").forEach((img) => { img.style.visibility = "hidden"; });
      show("hidden-note", true);
    }, body.display_ms);
  }
}

function setAnswering(enabled) {
  state.busy = !enabled;
  document.querySelectorAll("button.answer").forEach((b) => { b.disabled = !enabled; });
}

async function answer(value) {
  if (state.busy || state.feedback || !state.trial) { return; }
  setAnswering(false);
  const trial = state.trial;
  const payload = { trial_id: trial.trial_id,
                    answer: trial.mode === "pair" ? Number(value) : value };
  if (state.shownAt !== null) {
    payload.response_ms = Math.max(0, Math.round(performance.now() - state.shownAt));
  }
  const { status, body } = await getJSON("/api/answer", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload) });
  if (status === 409) { return nextTrial(); }  // already recorded (e.g. a double press)
  if (status !== 200) {
    setAnswering(true);
    return fail("Your answer could not be saved; please try again.");
  }
  if (body.feedback) {
    state.feedback = true;
    $("feedback-text").textContent = feedbackText(trial, body.feedback);
    $("feedback").classList.toggle("right", body.feedback.correct);
    show("feedback", true);
    $("continue").focus();
    return;
  }
  nextTrial();
}

function feedbackText(trial, feedback) {
  let truth;
  if (trial.mode === "pair") {
    truth = "the " + (feedback.truth === 0 ? "left" : "right") + " image was colorized";
  } else {
    truth = feedback.truth === "real" ? "this was a real photo" : "this was colorized";
  }
  return (feedback.correct ? "Correct: " : "Not quite: ") + truth + ".";
}

function onKey(event) {
  if (event.altKey || event.ctrlKey || event.metaKey) { return; }
  const key = event.key;
  if (!$("intro").hidden) {
    if (key === "Enter" || key === " ") { event.preventDefault(); start(); }
    return;
  }
  if (state.feedback) {
    if (key === "Enter" || key === " ") { event.preventDefault(); nextTrial(); }
    return;
  }
  if (!state.trial || $("trial").hidden) { return; }
  const choices = state.trial.mode === "pair"
    ? { "1": "0", "ArrowLeft": "0", "2": "1", "ArrowRight": "1" }
    : { "r": "real", "R": "real", "c": "colorized", "C": "colorized" };
  if (key in choices) { event.preventDefault(); answer(choices[key]); }
}

function showDone(body) {
  if (body.completion_code) {
    $("completion-code").textContent = body.completion_code;
    show("completion", true);
  }
  if (body.completion_url) {
    $("completion-link").href = body.completion_url;
    show("completion-return", true);
  }
  show("done", true);
}

function fail(message) {
  $("error").textContent = message;
  show("error", true);
}

init();
