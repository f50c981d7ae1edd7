// What the room tells the candidate when a call fails for good, and the button that goes with
// it: "Try again" repeats what failed, "Reload the interview" resumes from the server's state.

import { ApiError, retryable } from "./api.js";

const $ = (id) => document.getElementById(id);
const KEPT = "Nothing you recorded is lost.";

// Plain words for what went wrong and what to do about it.
export function explain(error, canRetry) {
  const what = !(error instanceof ApiError) ? "Something went wrong in this browser."
    : error.status === 0 ? "We could not reach the server. Check your internet connection."
    : retryable(error) ? "The server could not take this just now."
    : "This step could not be finished here.";
  const next = canRetry ? "Choose Try again in a moment, or Reload the interview."
    : "Choose Reload the interview to carry on where you left off.";
  return `${what} ${next} ${KEPT}`;
}

// Shows the message; `retry` (when the same call may succeed later) backs the Try again button.
export function showProblem(text, retry) {
  $("problem-text").textContent = text;
  $("problem-actions").hidden = false;
  $("try-again").hidden = !retry;
  $("try-again").onclick = () => { clearProblem(); retry(); };
  $("problem-reload").classList.toggle("primary", !retry);
  $(retry ? "try-again" : "problem-reload").focus();
}

export function clearProblem() {
  $("problem-text").textContent = "";
  $("problem-actions").hidden = true;
}

// A reload starts the room again from /state: the question, its take and what the server holds.
for (const button of document.querySelectorAll("button.reload")) {
  button.onclick = () => {
    button.disabled = true;
    button.textContent = "Reloading…";
    window.location.reload();
  };
}
