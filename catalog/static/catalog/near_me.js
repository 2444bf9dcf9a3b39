// «Рядом со мной» (the search page and the home page): the browser says where the family is, and the search of the
// button's form shows the nearest programs first, each card with its distance. Offered only where the browser can
// tell (geolocation, a secure page); without JavaScript the button stays hidden.
const nearMe = document.getElementById("near-me");
if (nearMe && "geolocation" in navigator && window.isSecureContext) {
  nearMe.hidden = false;
  nearMe.addEventListener("click", () => {
    // Its own live region, made when asked: until then the result count is the page's only one.
    let status = document.getElementById("near-me-status");
    if (!status) {
      status = Object.assign(document.createElement("p"), { id: "near-me-status", className: "near-me-status" });
      status.setAttribute("role", "status");
      nearMe.parentElement.append(status);
    }
    status.textContent = "Определяем, где вы…";
    nearMe.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const form = nearMe.form;
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
