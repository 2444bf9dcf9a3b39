// «На карте» (the search page): the places listed under the map become its markers, each with the number of programs
// held there and, on a click or Enter, the same list of them; near places gather into one marker until zoomed in.
// Leaflet is loaded only when a map is shown; the map is drawn again after htmx brings the results of a changed
// search. Without JavaScript the list of places stays the map.
(() => {
  const loaded = new Map();
  const NEAREST_SHOWN = 5; // places shown around the family at first; the rest a zoom away
  let drawn = null; // the map drawn: { map, canvas, box }

  function load(tag, attributes) {
    const key = attributes.src || attributes.href;
    if (!loaded.has(key)) {
      loaded.set(
        key,
        new Promise((resolve, reject) => {
          const element = Object.assign(document.createElement(tag), attributes);
          element.addEventListener("load", resolve);
          element.addEventListener("error", () => reject(new Error(`Не загрузилось: ${key}`)));
          document.head.append(element);
        }),
      );
    }
    return loaded.get(key);
  }

  async function loadLeaflet(box) {
    const styles = [box.dataset.leafletCss, box.dataset.clusterCss].map((href) => load("link", { rel: "stylesheet", href }));
    await load("script", { src: box.dataset.leaflet });
    await Promise.all([load("script", { src: box.dataset.cluster }), ...styles]); // the plugin extends L
  }

  // Of the box's data-items: «программа,программы,программ» or «организация,организации,организаций».
  function plural(n, forms) {
    const [one, few, many] = forms.split(",");
    if (n % 10 === 1 && n % 100 !== 11) return one;
    return [2, 3, 4].includes(n % 10) && ![12, 13, 14].includes(n % 100) ? few : many;
  }

  // The number shown, the label read (a marker's name for a screen reader and its tooltip).
  function markerIcon(count, label, extra = "") {
    const html = `<span aria-hidden="true">${count}</span><span class="visually-hidden">${escapeHtml(label)}</span>`;
    return L.divIcon({ className: `map-marker${extra}`, html, iconSize: [36, 36] });
  }

  function escapeHtml(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  function popup(place) {
    const card = Object.assign(document.createElement("div"), { className: "map-place" });
    card.append(...place.cloneNode(true).childNodes);
    return card;
  }

  async function drawMap() {
    const box = document.getElementById("results-map");
    if (!box || box.dataset.drawn) return;
    box.dataset.drawn = "1";
    await loadLeaflet(box);
    if (!box.isConnected) return; // another search replaced the results meanwhile
    box.hidden = false;
    // The map in a child of the box: htmx, swapping the results, carries the style of an element with the same id
    // over to the new one for a moment — the map's positioning would be an inline style the policy refuses.
    const canvas = Object.assign(document.createElement("div"), { className: "results-map-canvas" });
    box.append(canvas);
    const map = L.map(canvas, { scrollWheelZoom: false, zoomControl: false });
    drawn = { map, canvas, box };
    L.control.zoom({ zoomInTitle: "Приблизить", zoomOutTitle: "Отдалить" }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.on("popupopen", (event) => {
      event.popup.getElement().querySelector(".leaflet-popup-close-button")?.setAttribute("aria-label", "Закрыть");
    });
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
    }
    // A gathered marker counts the programs of its places, as each place's marker does.
    const places = L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 40,
      iconCreateFunction: (cluster) => {
        const markers = cluster.getAllChildMarkers();
        // A program with groups in two of these places is one program.
        const count = new Set(markers.flatMap((marker) => marker.options.items)).size;
        const label = `${count} ${plural(count, box.dataset.items)} в ${markers.length} местах рядом: приблизить`;
        return markerIcon(count, label, " map-marker-many");
      },
    });
    const bounds = [];
    for (const place of document.querySelectorAll(".map-place")) {
      const at = [Number(place.dataset.latitude), Number(place.dataset.longitude)];
      const items = [...place.querySelectorAll("li a")].map((link) => link.getAttribute("href"));
      const count = items.length;
      const label = `${place.querySelector("h3").textContent}: ${count} ${plural(count, box.dataset.items)}`;
      places.addLayer(
        L.marker(at, { icon: markerIcon(count, label), title: label, items }).bindPopup(
          () => popup(place),
          { maxHeight: 280, minWidth: 220 },
        ),
      );
      bounds.push(at);
    }
    map.addLayer(places);
    let framed = bounds;
    if (box.dataset.near) {
      // From where the family is: it and the few places nearest to it, not the whole region the search reaches.
      const here = box.dataset.near.split(",").map(Number);
      L.marker(here, { icon: markerIcon("Вы", "Вы здесь", " map-marker-here"), title: "Вы здесь", keyboard: false }).addTo(map);
      const nearest = [...bounds].sort((a, b) => map.distance(here, a) - map.distance(here, b));
      framed = [here, ...nearest.slice(0, NEAREST_SHOWN)];
    }
    map.fitBounds(framed, { padding: [28, 28], maxZoom: 16 });
  }

  // htmx keeps a copy of the page for the browser's Back: without the map, whose elements carry the positions Leaflet
  // gave them (inline styles the policy refuses); the page restored draws it again.
  function removeMap() {
    if (!drawn) return;
    drawn.map.remove();
    drawn.canvas.remove();
    delete drawn.box.dataset.drawn;
    drawn = null;
  }

  drawMap();
  document.addEventListener("htmx:afterSettle", drawMap);
  document.addEventListener("htmx:historyRestore", drawMap);
  document.addEventListener("htmx:beforeHistorySave", removeMap);
})();
