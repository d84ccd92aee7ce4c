/* The situation room map: progressive enhancement. Without JavaScript the page keeps its
   totals, charts, board and a GeoJSON link. Reads data-* attributes of #room-map:
   data-geojson (the scoped layers), data-tiles (tile URL template, only when configured),
   data-boundaries (GeoJSON of admin boundaries, the offline base), data-attribution. */
(function () {
  "use strict";
  var el = document.getElementById("room-map");
  if (!el || !window.L || !window.fetch) { return; }
  var colours = { reports: "#0b6e4f", incidents: "#2563eb", signals: "#d97706", alerts: "#b91c1c" };
  var radius = { reports: 6, incidents: 8, signals: 9, alerts: 10 };
  el.hidden = false;
  /* Without tiles nothing sets the zoom range, and the cluster plug-in needs one. */
  var map = L.map(el, { scrollWheelZoom: false, minZoom: 1, maxZoom: 18 }).setView([0, 0], 2);
  var tiles = el.getAttribute("data-tiles");
  var boundaries = el.getAttribute("data-boundaries");
  if (tiles) {
    L.tileLayer(tiles, { attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
  } else if (boundaries) {
    fetch(boundaries, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (g) {
        if (g) {
          L.geoJSON(g, { style: { color: "#8a94a3", weight: 1, fillOpacity: 0.05 },
                         interactive: false }).addTo(map).bringToBack();
        }
      }).catch(function () { /* no base layer: the places and markers still say where */ });
  }
  function row(parent, label, value) {
    if (value === "" || value === null || value === undefined) { return; }
    var line = document.createElement("div");  /* textContent only: data is never HTML */
    line.textContent = label ? label + ": " + value : String(value);
    parent.appendChild(line);
  }
  function popup(p) {
    var box = document.createElement("div");
    var head = document.createElement(p.url ? "a" : "strong");
    head.textContent = p.title || p.layer;
    if (p.url) { head.href = p.url; }
    box.appendChild(head);
    row(box, "", [p.place, p.date].filter(Boolean).join(" · "));
    row(box, "", p.state || p.status || p.verification || "");
    if (p.layer === "signals") { row(box, p.method, p.observed + " / " + p.expected); }
    if (p.killed) { row(box, "†", p.killed); }
    return box;
  }
  /* One cluster group for all layers, so markers at one place gather into one cluster (its
     colour is the most pressing layer inside it); the toggles add or take out a layer's markers. */
  var rank = ["alerts", "signals", "incidents", "reports"];
  var cluster = L.markerClusterGroup({
    showCoverageOnHover: false, maxClusterRadius: 40,
    iconCreateFunction: function (c) {
      var layers = c.getAllChildMarkers().map(function (m) { return m.options.layer; });
      var top = rank.filter(function (name) { return layers.indexOf(name) >= 0; })[0] || "reports";
      var count = document.createElement("span"); count.textContent = String(c.getChildCount());
      return L.divIcon({ html: count.outerHTML, className: "room-cluster " + top, iconSize: [30, 30] });
    }
  }).addTo(map);
  var groups = { reports: [], incidents: [], signals: [], alerts: [] };
  var places = L.layerGroup().addTo(map);
  fetch(el.getAttribute("data-geojson"), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : { features: [] }; })
    .then(function (data) {
      var bounds = [];
      data.features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates, at = [c[1], c[0]];
        if (p.layer === "places") {
          var dot = L.circleMarker(at, { radius: 3, color: "#8a94a3", weight: 1, fillOpacity: 0.6,
                                         interactive: true });
          var name = document.createElement("span"); name.textContent = p.title;
          dot.bindTooltip(name); dot.addTo(places); bounds.push(at); return;
        }
        var group = groups[p.layer];
        if (!group) { return; }
        var marker = L.circleMarker(at, { radius: radius[p.layer], color: colours[p.layer], weight: 2,
                                          fillColor: colours[p.layer], fillOpacity: 0.45,
                                          layer: p.layer });
        marker.feature = f;
        marker.bindPopup(function () { return popup(p); });
        group.push(marker);
        bounds.push(at);
      });
      Object.keys(groups).forEach(function (name) { cluster.addLayers(groups[name]); });
      el.setAttribute("data-shown", String(cluster.getLayers().length));
      el.setAttribute("data-markers", String(data.features.filter(function (f) {
        return f.properties.layer !== "places"; }).length));
      if (bounds.length === 1) { map.setView(bounds[0], 8); }
      else if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 9 }); }
      else { var note = document.createElement("p"); note.className = "muted small";
             note.textContent = el.getAttribute("data-empty"); el.parentNode.insertBefore(note, el); }
    });
  var toggles = document.getElementById("room-layers");
  if (toggles) {
    toggles.hidden = false;
    toggles.addEventListener("change", function (event) {
      var box = event.target, group = groups[box.value];
      if (!group) { return; }
      if (box.checked) { cluster.addLayers(group); } else { cluster.removeLayers(group); }
      el.setAttribute("data-shown", String(cluster.getLayers().length));
    });
  }
})();
