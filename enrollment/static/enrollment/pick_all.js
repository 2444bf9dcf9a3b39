// «Выбрать все»: the page's applications at once for the action below the list, and a link that
// stays in sight while some are ticked and leads to the actions. Without JavaScript both stay
// hidden and each application is ticked by itself.
const pickAll = document.getElementById("pick-all");
if (pickAll) {
  const boxes = [...document.querySelectorAll('input[name="application"]')];
  const jump = document.getElementById("bulk-jump");
  const count = document.getElementById("bulk-count");
  const update = () => {
    const ticked = boxes.filter((b) => b.checked).length;
    pickAll.checked = ticked === boxes.length;
    count.textContent = String(ticked);
    jump.hidden = ticked === 0;
  };
  pickAll.hidden = false;
  pickAll.addEventListener("change", () => {
    boxes.forEach((box) => {
      box.checked = pickAll.checked;
    });
    update();
  });
  boxes.forEach((box) => box.addEventListener("change", update));
  update(); // boxes the browser ticked again on going back
}
