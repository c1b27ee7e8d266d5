// Progressive enhancement only: every page works without this file.
document.addEventListener("submit", (event) => {
  // A second click while the first submission is in flight sends nothing more. The server
  // records once anyway; this only spares the person a confusing second page load.
  const form = event.target;
  // Not GET forms: they change nothing, and one answered with a download (the attendance
  // list) leaves the page as it was, so the next choice must go through too.
  if (form.method !== "post") {
    return;
  }
  if (form.dataset.submitted) {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
// The course editor's live preview: the server renders the Markdown typed so far exactly as
// staff will see it (sanitized there), a moment after typing stops.
for (const area of document.querySelectorAll("textarea[data-preview]")) {
  const target = document.getElementById(area.dataset.previewInto);
  const token = area.form && area.form.querySelector("input[name=csrf]");
  let timer = 0;
  let sent = 0;
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++sent;
      try {
        const res = await fetch(area.dataset.preview, {
          method: "POST",
          headers: { "x-csrf-token": token ? token.value : "" },
          body: new URLSearchParams({ markdown: area.value }),
        });
        if (res.ok && mine === sent && target) {
          target.innerHTML = await res.text();
        }
      } catch (_) {
        // The preview button still works.
      }
    }, 300);
  });
}
// A question shows the answer fields of its kind.
for (const select of document.querySelectorAll("#question-form select[name=kind]")) {
  const show = () => {
    for (const set of select.form.querySelectorAll("fieldset[data-kind]")) {
      set.hidden = !set.dataset.kind.split(" ").includes(select.value);
    }
  };
  select.addEventListener("change", show);
  show();
}
// A rule with a minimum reading time: its button counts down and is pressed only after it (the
// server checks the time again; without script the button works and the server explains).
for (const button of document.querySelectorAll("button[data-wait]")) {
  let left = parseInt(button.dataset.wait, 10);
  const label = button.textContent;
  const tick = () => {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.disabled = true;
    button.textContent = label + " (" + left + ")";
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
}
