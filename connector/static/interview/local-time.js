// Show a deadline in the candidate's own time zone, next to the company's.
for (const element of document.querySelectorAll("[data-local-deadline]")) {
  const when = new Date(element.dataset.localDeadline);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const local = new Intl.DateTimeFormat(undefined, {
    weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
  }).format(when);
  element.textContent = `In your time zone (${zone}): ${local}.`;
  element.hidden = false;
}
