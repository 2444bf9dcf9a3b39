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

// «Рядом со мной»: the browser says where the family is, and the same search shows the nearest programs first,
// each card with its distance. Offered only where the browser can tell (geolocation, a secure page).
const nearMe = document.getElementById("near-me");
if (nearMe && "geolocation" in navigator && window.isSecureContext) {
  nearMe.hidden = false;
  nearMe.addEventListener("click", () => {
    // Its own live region, made when asked: until then the result count is the page's only one.
    let status = document.getElementById("near-me-status");
    if (!status) {
      status = Object.assign(document.createElement("p"), { id: "near-me-status", className: "near-me-status" });
      status.setAttribute("role", "status");
      nearMe.closest(".result-head").append(status);
    }
    status.textContent = "Определяем, где вы…";
    nearMe.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const form = document.getElementById("search-form");
        const params = new URLSearchParams();
        for (const [name, value] of new FormData(form)) {
          if (value !== "" && !["near", "sort", "page"].includes(name)) params.append(name, value);
        }
        // A hundred metres is as precise as the way to a club needs, and the address keeps no more.
        const { latitude, longitude } = position.coords;
        params.set("near", `${latitude.toFixed(3)},${longitude.toFixed(3)}`);
        params.set("sort", "near");
        window.location.assign(`${form.action}?${params}`);
      },
      (error) => {
        nearMe.disabled = false;
        status.textContent =
          error.code === error.PERMISSION_DENIED
            ? "Браузер не разрешил определить местоположение: разрешите его для этого сайта и нажмите снова."
            : "Не удалось определить местоположение. Попробуйте ещё раз.";
      },
      { timeout: 15000, maximumAge: 600000 },
    );
  });
}
