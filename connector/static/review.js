// Review page: playback speed, and the keyboard to move between answers and play them.

const answers = [...document.querySelectorAll(".answer")];
let current = 0;

function setSpeed(section, speed) {
  const player = section.querySelector(".player");
  if (!player) return;
  player.playbackRate = Number(speed);
  for (const button of section.querySelectorAll(".speed")) {
    button.setAttribute("aria-pressed", String(button.dataset.speed === speed));
  }
}

for (const section of answers) {
  for (const button of section.querySelectorAll(".speed")) {
    button.addEventListener("click", () => setSpeed(section, button.dataset.speed));
  }
  section.addEventListener("focusin", () => { current = answers.indexOf(section); });
}

function go(step) {
  current = Math.max(0, Math.min(answers.length - 1, current + step));
  answers[current].focus();
  answers[current].scrollIntoView({ block: "start" });
}

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, textarea, select, button, [contenteditable]")) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const section = answers[current];
  const player = section?.querySelector(".player");
  const speeds = { 1: "1", 2: "1.5", 3: "2" };
  if (event.key === "j") go(1);
  else if (event.key === "k") go(-1);
  else if (event.key === " " && player) { event.preventDefault(); player.paused ? player.play() : player.pause(); }
  else if (speeds[event.key] && section) setSpeed(section, speeds[event.key]);
});
