// The template editor without a round trip for reordering: "Move up" and "Move down" buttons
// on each question and competency. Without JavaScript the order numbers do the same on save.
"use strict";

function renumber(list) {
  const noun = list.id === "questions" ? "Question" : "Competency";
  [...list.children].forEach((row, index) => {
    row.querySelector("legend").textContent = `${noun} ${index + 1}`;
    row.querySelector("input.order").value = index + 1;
  });
}

function move(row, step) {
  const list = row.parentElement;
  const other = step < 0 ? row.previousElementSibling : row.nextElementSibling;
  if (!other) return;
  list.insertBefore(row, step < 0 ? other : other.nextElementSibling);
  renumber(list);
}

function addButtons(row) {
  const tools = row.querySelector(".row-tools");
  for (const [label, step] of [["Move up", -1], ["Move down", 1]]) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.addEventListener("click", () => { move(row, step); button.focus(); });
    tools.append(button);
  }
}

for (const list of document.querySelectorAll("ol.rows")) {
  for (const row of list.children) addButtons(row);
}
