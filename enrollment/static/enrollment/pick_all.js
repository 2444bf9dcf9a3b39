// «Выбрать все»: the page's applications at once for the action below the list. Without JavaScript
// the box stays hidden and each application is ticked by itself.
const pickAll = document.getElementById("pick-all");
if (pickAll) {
  const boxes = [...document.querySelectorAll('input[name="application"]')];
  pickAll.hidden = false;
  pickAll.addEventListener("change", () => {
    boxes.forEach((box) => {
      box.checked = pickAll.checked;
    });
  });
  boxes.forEach((box) => {
    box.addEventListener("change", () => {
      pickAll.checked = boxes.every((b) => b.checked);
    });
  });
}
