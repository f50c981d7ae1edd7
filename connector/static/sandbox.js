// Drag a card onto another column: the card's own Move form is set to that column and submitted,
// so dragging does exactly what the keyboard-accessible control does (and the page reloads).
(function () {
  "use strict";
  var dragged = null;

  function columnOf(element) {
    return element && element.closest ? element.closest(".column") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.card);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".drop-target").forEach(function (c) {
      c.classList.remove("drop-target");
    });
    dragged = null;
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) return;
    event.preventDefault();  // allows the drop
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-target").forEach(function (c) {
      if (c !== column) c.classList.remove("drop-target");
    });
    column.classList.add("drop-target");
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) return;
    event.preventDefault();
    var form = dragged.querySelector("form.move");
    var target = column.dataset.column;
    if (!form || columnOf(dragged) === column) return;
    form.elements.column.value = target;
    column.querySelector(".cards").appendChild(dragged);  // shown at once; the reload confirms
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
})();
