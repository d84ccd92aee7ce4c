/* i4p maps: progressive enhancement. Without JavaScript the page lists the same places.
   Reads data-* attributes: data-points (id of a JSON script), data-tiles (tile URL template),
   data-attribution, data-boundaries (GeoJSON of admin boundaries, the offline base layer). */
(function () {
  "use strict";
  if (!window.L) { return; }
  var maps = document.querySelectorAll("[data-map]");
  Array.prototype.forEach.call(maps, function (el) {
    var source = document.getElementById(el.getAttribute("data-points"));
    var points = source ? JSON.parse(source.textContent) : [];
    if (!points.length) { return; }
    el.hidden = false;
    var map = L.map(el, { scrollWheelZoom: false });
    var tiles = el.getAttribute("data-tiles");
    var boundaries = el.getAttribute("data-boundaries");
    if (tiles) {
      L.tileLayer(tiles, { attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    } else if (boundaries && window.fetch) {
      fetch(boundaries).then(function (r) { return r.ok ? r.json() : null; }).then(function (g) {
        if (g) {
          L.geoJSON(g, { style: { color: "#8a94a3", weight: 1, fillOpacity: 0.06 },
                         interactive: false }).addTo(map).bringToBack();
        }
      }).catch(function () { /* no base layer: the markers alone still say where */ });
    }
    var bounds = [];
    points.forEach(function (p) {
      var n = p.n || 1;
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: Math.min(18, 5 + Math.sqrt(n) * 2), color: "#0b6e4f", weight: 2,
        fillColor: "#0b6e4f", fillOpacity: 0.35
      }).addTo(map);
      var label = document.createElement("span");  /* textContent: names are never HTML */
      label.textContent = n > 1 ? p.name + " (" + n + ")" : p.name;
      marker.bindTooltip(label);
      bounds.push([p.lat, p.lon]);
    });
    if (bounds.length === 1) { map.setView(bounds[0], 7); }
    else { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 8 }); }
  });
})();
