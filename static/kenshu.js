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
