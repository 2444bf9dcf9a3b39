// On a phone, panels marked data-fold-on-phone start folded (the search's filters, the settings of the
// version for the visually impaired), so that the page itself is the first thing seen. Without
// JavaScript they stay open: everything in them remains reachable.
document.addEventListener("DOMContentLoaded", () => {
  if (window.matchMedia("(max-width: 899px)").matches) {
    document.querySelectorAll("details[data-fold-on-phone][open]").forEach((details) => details.removeAttribute("open"));
  }
});
