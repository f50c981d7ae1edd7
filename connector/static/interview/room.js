// The interview room: device check, practice, then each question, resumable at any point.

import { ApiError, client, retryable, writerId } from "./api.js";
import * as media from "./media.js";
import { explain, showProblem } from "./problems.js";
import { $, block as showBlock, busy, buttons, countdown as startCountdown, say, show } from "./screen.js";
import { chunksOf, clearAnswer } from "./store.js";
import { Uploader } from "./uploader.js";

const root = document.getElementById("room");
const session = root.dataset.session;
const api = client(root.dataset.api, writerId(session));
const practice = JSON.parse($("practice").textContent)[0] || null;
const uploader = new Uploader(api, session, showUpload, (error) => failed(error));
const HEARTBEAT_MS = 10000;

let state = null;      // the server's view: questions with status, take and received chunks
let stream = null;     // camera and microphone
let current = null;    // the question on screen: { q, practice, take, recorder, blobs, ... }
let heartbeat = null;

function block(title, text, { link = false, reload = false } = {}) {
  clearInterval(heartbeat);
  showBlock(title, text, { link: link ? root.dataset.link : "", reload });
}

// A call failed for good: say so, hide the buttons that would fail the same way, and offer
// `retry` when sending the same thing again may work.
function failed(error, retry = null) {
  if (error instanceof ApiError && error.status === 410) {
    return block("This interview has closed", "The deadline has passed. If you still want to take part, reply to the invitation e-mail and ask for more time.");
  }
  if (error instanceof ApiError && error.reason === "in_use_elsewhere") {
    return block("This interview is open in another tab", "Carry on in the other tab or window. If you closed it, wait a minute, then reload the interview.", { reload: true });
  }
  if (error instanceof ApiError && error.reason === "session_completed") {
    return window.location.assign(root.dataset.done);
  }
  const again = retryable(error) ? retry : null;
  buttons();
  showProblem(explain(error, Boolean(again)), again);
}

// Whatever else fails (this device's storage, a bug) still ends in words and a way on.
window.addEventListener("unhandledrejection", (event) => failed(event.reason));

function showUpload(waiting, confirmed, stalled) {
  const parts = `${waiting} part${waiting === 1 ? "" : "s"} still to send`;
  const why = stalled ? " Waiting for the connection: your recording is kept on this device." : "";
  $("q-upload").textContent = waiting ? `Saving your recording… ${parts}.${why}` : "";
}

// The step's countdown; its button (Start, Stop) ends it early.
function countdown(seconds, label) {
  const ticking = startCountdown(seconds, label);
  current.cancelTimer = ticking.cancel;
  return ticking;
}

async function main() {
  if (media.inAppBrowser()) {
    return block("Open this link in Safari or Chrome", "This app's built-in browser cannot use your camera. Copy the link and open it in Safari (iPhone) or Chrome (Android).", { link: true });
  }
  try { state = await api.state(); } catch (error) { return failed(error, main); }
  if (state.current === null) return finish();
  const needs = state.questions.some((q) => q.kind === "video") ? "video"
    : state.questions.some((q) => q.kind === "audio") ? "audio" : null;
  if (!needs) return begin();
  if (!media.canRecord()) {
    return block("This browser cannot record", "Please open this link in a recent Chrome, Safari, Firefox or Edge.", { link: true });
  }
  await deviceCheck(needs);
}

async function deviceCheck(needs) {
  show("device");
  const ok = $("device-ok");
  const label = ok.textContent;
  Object.assign(ok, { disabled: true, textContent: "Starting…" });
  $("device-status").textContent = "Starting your camera and microphone…";
  try { stream = await media.openDevices(needs); } catch (error) { return deviceError(error); }
  $("preview").srcObject = stream;
  $("preview").hidden = needs !== "video";
  const stopMeter = media.levelMeter(stream, $("level"));
  $("device-status").textContent = needs === "video" ? "Your camera and microphone are on." : "Your microphone is on.";
  Object.assign(ok, { disabled: false, textContent: label, onclick: () => { stopMeter(); begin(); } });
}

function deviceError(error) {
  const options = { link: true, reload: true };
  if (error.name === "NotAllowedError" || error.name === "SecurityError") {
    return block("Allow the camera and microphone", "Your browser is not letting this page use them. Open the site settings (the camera or lock icon next to the address), allow the camera and microphone, then reload this page.", options);
  }
  if (error.name === "NotFoundError" || error.name === "OverconstrainedError") {
    return block("No camera or microphone found", "Connect a camera and a microphone, or open this link on your phone.", options);
  }
  return block("The camera is not available", "Another app may be using it. Close that app, then reload this page.", options);
}

function begin() {
  const fresh = state.questions.every((q) => q.status === "new");
  if (practice && fresh) return runQuestion({ ...practice, kind: practice.kind }, true);
  return runQuestion(state.questions.find((q) => q.position === state.current));
}

async function runQuestion(q, isPractice = false) {
  clearInterval(heartbeat);
  buttons();
  current = { q, practice: isPractice, take: q.take, blobs: [], mime: null };
  for (const id of ["q-status", "q-upload", "q-retakes", "q-timer"]) $(id).textContent = "";
  $("q-playback").hidden = true;
  $("q-writing").hidden = true;
  const number = state.questions.indexOf(q) + 1;
  $("q-label").textContent = isPractice ? "Practice question: nobody else sees this answer"
    : `Question ${number} of ${state.questions.length}`;
  $("q-prompt").textContent = q.prompt;
  show("question");
  if (!isPractice) {
    say("Opening the question…");
    try { await api.claim(q.position); } catch (error) { return failed(error, () => runQuestion(q)); }
    keepClaim(q.position);
  }
  if (q.kind === "text") return writeAnswer(q);
  current.mime = media.pickMimeType(q.kind);
  showRetakes(q);
  if (!isPractice && q.status === "recording" && q.received.length) return resume(q);
  return prepare(q);
}

// Tells the server every few seconds that this tab still has the question; a beat lost to the
// network is made up by the next one, but a refusal (closed, another tab) is shown at once.
function keepClaim(position) {
  clearInterval(heartbeat);
  heartbeat = setInterval(() => api.claim(position).catch((error) => {
    if (!retryable(error)) failed(error);
  }), HEARTBEAT_MS);
}

function showRetakes(q) {
  if (current.practice) { $("q-retakes").textContent = "Practise as often as you like."; return; }
  const left = q.retakes - q.retakes_used;
  $("q-retakes").textContent = `${left} retake${left === 1 ? "" : "s"} left.`;
}

async function prepare(q) {
  buttons("start");
  $("q-live").hidden = true;
  say(`You have ${q.prep_seconds} seconds to prepare. Recording starts after that, or when you choose.`);
  $("start").onclick = () => current.cancelTimer();
  await countdown(q.prep_seconds, "Prepare:");
  return record(q);
}

function streamFor(q) {
  return q.kind === "audio" ? new MediaStream(stream.getAudioTracks()) : stream;
}

async function record(q) {
  busy("start", "Starting…");
  if (!current.practice) {
    try {
      const take = await api.start(q.position, current.mime);
      Object.assign(q, take);
      current.take = take.take;
      await clearAnswer(session, q.position);
    } catch (error) { return failed(error, () => record(q)); }
  }
  const recorder = new media.Recorder(streamFor(q), current.mime, (index, blob) => {
    if (!current.practice) uploader.add(q.position, current.take, index, blob);
  });
  current.recorder = recorder;
  current.blobs = recorder.blobs;
  $("q-playback").hidden = true;
  $("q-live").srcObject = stream;
  $("q-live").hidden = q.kind !== "video";
  recorder.start();
  buttons("stop");
  $("stop").onclick = () => current.cancelTimer();
  say("Recording.");
  await countdown(q.answer_seconds, "Recording:");
  busy("stop", "Stopping…");
  $("q-timer").textContent = "";
  await recorder.stop();
  current.durationMs = recorder.durationMs;
  say("Recording stopped.");
  return stopTake(q);
}

// The server hears the take is finished, so that recording again uses a retake.
async function stopTake(q) {
  if (!current.practice) {
    busy("stop", "Stopping…");
    try { Object.assign(q, await api.stop(q.position, current.take)); } catch (error) { return failed(error, () => stopTake(q)); }
  }
  return review(q);
}

function review(q) {
  $("q-timer").textContent = "";
  $("q-live").hidden = true;
  const playback = $("q-playback");
  playback.src = URL.createObjectURL(new Blob(current.blobs, { type: current.mime }));
  playback.hidden = false;
  showRetakes(q);
  const canRetake = current.practice || q.retakes_used < q.retakes || (!q.take_finished && q.free_restart);
  buttons(...(canRetake ? ["retake"] : []), current.practice ? "next" : "submit");
  $("retake").onclick = () => prepare(q);
  $("submit").onclick = () => submit(q);
  $("next").onclick = () => runQuestion(state.questions.find((x) => x.position === state.current));
}

async function resume(q) {
  const saved = await chunksOf(session, q.position, q.take);
  const complete = saved.length && saved.every((c, i) => c.index === i);
  if (!complete) {
    say("Your last recording was interrupted before this device could keep it. Please record this answer again.");
    return prepare(q);
  }
  current.blobs = saved.map((c) => c.blob);
  for (const c of saved) {
    if (!q.received.includes(c.index)) uploader.add(q.position, q.take, c.index, c.blob, { persist: false });
  }
  say(q.take_finished ? "Welcome back. Your answer is ready to submit." : interrupted(q));
  return review(q);
}

// The server allows one free restart after an interruption; after that a new take is a retake.
function interrupted(q) {
  const kept = "Your recording was interrupted. We kept what you recorded: submit it";
  if (q.free_restart) return `${kept}, or record again without using a retake.`;
  return q.retakes_used < q.retakes ? `${kept}, or record again using a retake.` : `${kept}.`;
}

async function submit(q, attempt = 1) {
  busy("submit", "Saving…");
  say("Saving your answer.");
  await uploader.idle();
  const size = current.blobs.reduce((sum, b) => sum + b.size, 0);
  const body = { chunks: current.blobs.length, size, sha256: await media.sha256Hex(current.blobs), duration_ms: current.durationMs ?? null };
  try {
    Object.assign(q, await api.submit(q.position, current.take, body));
  } catch (error) {
    const resend = { missing_chunks: error.body?.missing, checksum_mismatch: current.blobs.map((_, i) => i) }[error.reason];
    if (!resend || attempt > 3) return failed(error, () => submit(q));
    for (const index of resend) uploader.add(q.position, current.take, index, current.blobs[index], { persist: false });
    return submit(q, attempt + 1);
  }
  // The answer is final on the server; chunks left on this device would only take up room.
  await clearAnswer(session, q.position).catch(() => {});
  return saved(q);
}

function writeAnswer(q) {
  const area = $("q-text");
  const draft = `draft:${session}:${q.position}`;  // a reload keeps what was typed
  area.maxLength = q.max_characters || 5000;
  area.value = sessionStorage.getItem(draft) ?? "";
  $("q-writing").hidden = false;
  const count = () => { $("q-count").textContent = `${area.value.length} of ${area.maxLength} characters`; };
  area.oninput = () => { count(); sessionStorage.setItem(draft, area.value); };
  count();
  buttons("submit");
  say(`You have ${Math.round(q.answer_seconds / 60)} minutes to write your answer.`);
  area.focus();
  const send = async () => {
    busy("submit", "Saving…");
    try { Object.assign(q, await api.text(q.position, area.value)); } catch (error) {
      if (error.reason !== "empty_answer") return failed(error, send);
      buttons("submit");
      say("Write your answer before you submit it.");
      return area.focus();
    }
    current.cancelTimer?.();
    sessionStorage.removeItem(draft);
    return saved(q);
  };
  $("submit").onclick = send;
  countdown(q.answer_seconds, "Time left:").then((ended) => { if (ended && area.value.trim()) send(); });
}

function saved(q) {
  clearInterval(heartbeat);
  $("q-timer").textContent = "";
  q.status = "submitted";
  const next = state.questions.find((x) => x.status !== "submitted");
  state.current = next ? next.position : null;
  $("q-upload").textContent = "";
  $("q-retakes").textContent = "";  // a submitted answer is final: no retake is left to count
  say("Answer saved.");
  buttons(next ? "next" : "finish");
  $("next").onclick = () => runQuestion(next);
  $("finish").onclick = finish;
  $(next ? "next" : "finish").focus();
}

async function finish() {
  busy("finish", "Finishing…");
  try {
    const result = await api.finish();
    window.location.assign(result.done_url);
  } catch (error) { failed(error, finish); }
}

main();
