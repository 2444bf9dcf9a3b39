// Panels marked data-fold-on-phone start folded where the page has little room — a phone, or large
// type (the version for the visually impaired) on a small screen: the search's filters once the
// results are in one column below them (opora.css: under 50em of main), the settings of the version
// for the visually impaired likewise. Without JavaScript they stay open: everything remains reachable.
const ROOM_IN_LETTERS = 50;

function roomInLetters(element) {
  const box = element.closest("main") || document.body;
  const style = getComputedStyle(box);
  const width = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return width / parseFloat(style.fontSize);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("details[data-fold-on-phone][open]").forEach((details) => {
    if (roomInLetters(details) < ROOM_IN_LETTERS) details.removeAttribute("open");
  });
});
