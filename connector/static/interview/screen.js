// What the room shows: one section at a time, its buttons, the status line and the countdown.

import { clearProblem } from "./problems.js";

export const $ = (id) => document.getElementById(id);
const BUTTONS = ["start", "stop", "retake", "submit", "next", "finish"];

for (const id of BUTTONS) $(id).dataset.label = $(id).textContent;

// Shows one section and moves focus to its heading, where a screen reader starts reading.
export function show(section) {
  for (const id of ["blocked", "device", "question"]) $(id).hidden = id !== section;
  $(section).querySelector("h1")?.focus();
}

// Shows only these buttons, each enabled and with its own label.
export function buttons(...visible) {
  for (const id of BUTTONS) {
    Object.assign($(id), { hidden: !visible.includes(id), disabled: false });
    $(id).textContent = $(id).dataset.label;
  }
}

// A button whose action is under way: it stays in place, disabled, saying what is happening.
export function busy(id, text) {
  buttons(id);
  Object.assign($(id), { disabled: true, textContent: text });
}

export function say(text) { $("q-status").textContent = text; }

// A step the candidate cannot take from here, with what to do instead.
export function block(title, text, { link = "", reload = false } = {}) {
  clearProblem();
  $("blocked-title").textContent = title;
  $("blocked-text").textContent = text;
  $("blocked-copy").hidden = !link;
  $("blocked-reload").hidden = !reload;
  $("copy-link").value = link;
  show("blocked");
}

let timer = null;

// A visible countdown that resolves true when time is up, or false once `.cancel()` is called;
// it announces the last ten seconds to screen readers.
export function countdown(seconds, label) {
  clearInterval(timer);
  let left = seconds;
  let cancel;
  const render = () => { $("q-timer").textContent = `${label} ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`; };
  render();
  const done = new Promise((resolve) => {
    timer = setInterval(() => {
      left -= 1;
      render();
      if (left === 10) say("10 seconds left.");
      if (left <= 0) { clearInterval(timer); resolve(true); }
    }, 1000);
    cancel = () => { clearInterval(timer); resolve(false); };
  });
  return Object.assign(done, { cancel });
}

$("copy-button").onclick = async () => {
  await navigator.clipboard.writeText($("copy-link").value).catch(() => $("copy-link").select());
  $("copy-status").textContent = "Link copied. Paste it into Safari or Chrome.";
};
