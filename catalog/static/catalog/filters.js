// The filters start folded on a phone (core's fold.js), so that results are the first thing a family sees.
document.documentElement.classList.add("js"); // the results' button below works only with the filters searching at once

// «Показать N программ» at the foot of the filters on a phone: fold them and go to the results, which a
// ticked filter has already updated below the panel, out of sight.
document.addEventListener("click", (event) => {
  const link = event.target.closest(".show-results");
  if (!link) return;
  event.preventDefault();
  link.closest("details")?.removeAttribute("open");
  document.querySelector(".result-head")?.scrollIntoView({ block: "start" });
});

// A checkbox or a select searches at once; a text box waits for Enter or «Найти» (its change would be a
// second, identical request). Said here, not as an hx-trigger filter: htmx would run that through eval,
// which the Content-Security-Policy forbids.
document.addEventListener("change", (event) => {
  const form = event.target.closest("#search-form");
  if (!form || !event.target.matches("select, input[type=checkbox]")) return;
  if (event.target.dataset.stepFrom !== undefined) return; // stepped with the arrow keys: searched below
  htmx.trigger(form, "filter-change");
});

// A closed select stepped through with the arrow keys changes at every step: a keyboard user would send
// a search for each option passed over. It searches once, for the option chosen, on Enter or on leaving it.
const searchesOnce = (event) => event.target.matches?.("#search-form select");
document.addEventListener("keydown", (event) => {
  if (!searchesOnce(event)) return;
  const select = event.target;
  if (event.key.startsWith("Arrow") && select.dataset.stepFrom === undefined) select.dataset.stepFrom = select.value;
  if (event.key === "Enter") settleStepping(select);
});
document.addEventListener("focusout", (event) => {
  if (searchesOnce(event)) settleStepping(event.target);
});
function settleStepping(select) {
  if (select.dataset.stepFrom === undefined) return;
  const changed = select.dataset.stepFrom !== select.value;
  delete select.dataset.stepFrom;
  if (changed) htmx.trigger(select.closest("#search-form"), "filter-change");
}

// The address htmx asks for and pushes holds only what was chosen: not an empty box (`age=`) nor the
// sort a control has by default (its data-default). The server reads a missing value as it reads an
// empty one, so without JavaScript the plain GET form, sending every box, finds the same.
document.addEventListener("htmx:configRequest", (event) => {
  const form = event.detail.elt;
  if (form.id !== "search-form") return;
  const params = event.detail.parameters;
  const isDefault = (name, value) => form.elements.namedItem(name)?.dataset?.default === value;
  const kept = [...params.entries()].filter(([name, value]) => value !== "" && !isDefault(name, value));
  for (const name of new Set(params.keys())) params.delete(name);
  for (const [name, value] of kept) params.append(name, value);
});
