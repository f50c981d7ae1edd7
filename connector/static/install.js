// The install wizard: copy buttons, and the test event's progress.
"use strict";

// Copy a read-only field; where the clipboard is refused or missing, select the text instead
// so the admin can copy it with the keyboard.
function selectForManualCopy(input, status) {
  input.focus();
  input.select();
  status.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
}

document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var input = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copy + "-status");
    if (!navigator.clipboard || !window.isSecureContext) {
      selectForManualCopy(input, status);
      return;
    }
    navigator.clipboard.writeText(input.value).then(function () {
      status.textContent = "Copied.";
    }, function () {
      selectForManualCopy(input, status);
    });
  });
});

// Poll the test event's status until it is settled (about a minute at most).
(function () {
  var result = document.getElementById("test-result");
  if (!result) return;
  var url = result.dataset.statusUrl;
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (status) {
        result.textContent = status.message;
        result.dataset.state = status.state;
        if (!status.done && tries < 60) setTimeout(poll, 1000);
        else if (!status.done) result.textContent += " Still waiting: refresh to look again.";
      })
      .catch(function () {
        if (tries < 60) setTimeout(poll, 2000);
      });
  }
  poll();
})();
