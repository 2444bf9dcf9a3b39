// On a phone the filters start folded, so that results are the first thing a family sees.
// Without JavaScript they stay open: every filter must remain reachable.
document.addEventListener("DOMContentLoaded", () => {
  if (window.matchMedia("(max-width: 899px)").matches) {
    document.querySelectorAll("details[data-fold-on-phone][open]").forEach((details) => details.removeAttribute("open"));
  }
});
