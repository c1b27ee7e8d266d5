// Progressive enhancement only: every page works without this file.
document.addEventListener("submit", (event) => {
  // A second click while the first submission is in flight sends nothing more. The server
  // records once anyway; this only spares the person a confusing second page load.
  const form = event.target;
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
