// The district report's map: the boundaries of the areas below, coloured by a chosen figure,
// drawn with the vendored Leaflet and no tile server. A click opens that area's report.
(function () {
  "use strict";
  var source = document.getElementById("report-map-data");
  var element = document.getElementById("report-map");
  if (!source || !element || typeof L === "undefined") return;
  var data = JSON.parse(source.textContent);
  var select = document.getElementById("report-map-figure");
  var legend = document.getElementById("report-map-legend");
  // Worst to best.
  var PALETTE = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"];
  var NEUTRAL = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  var NO_DATA = "#cccccc";

  var map = L.map(element, {
    attributionControl: false,
    zoomSnap: 0.25,
    scrollWheelZoom: false,
    tap: false,
  });

  function metric(key) {
    for (var i = 0; i < data.metrics.length; i++) {
      if (data.metrics[i].key === key) return data.metrics[i];
    }
    return data.metrics[0];
  }

  function scale(key) {
    var values = data.features
      .map(function (f) { return f.properties.values[key]; })
      .filter(function (v) { return v !== null && v !== undefined; });
    var low = Math.min.apply(null, values);
    var high = Math.max.apply(null, values);
    return { low: low, high: high, empty: values.length === 0 };
  }

  function format(m, value) {
    if (m.kind === "pct") return (value * 100).toFixed(1) + "%";
    if (m.kind === "int") return String(Math.round(value));
    return value.toFixed(1);
  }

  // The middle colour when every area has the same value: the legend shows that one too.
  function middle(palette) { return palette[Math.floor(palette.length / 2)]; }

  function colourer(key) {
    var m = metric(key);
    var range = scale(key);
    var palette = m.better === "low" ? PALETTE.slice().reverse() : m.better === "high" ? PALETTE : NEUTRAL;
    return {
      metric: m,
      range: range,
      palette: palette,
      colour: function (value, feature) {
        if (value === null || value === undefined) return NO_DATA;
        // A rate with thresholds (reports/thresholds.py) takes its light from the server.
        if (m.legend) return data.colours[feature.properties.lights[key]] || NO_DATA;
        if (range.high === range.low) return middle(palette);
        var step = Math.min(palette.length - 1, Math.floor(((value - range.low) / (range.high - range.low)) * palette.length));
        return palette[step];
      },
    };
  }

  var layer = L.geoJSON(data, {
    style: function () {
      return { color: "#333", weight: 1, fillOpacity: 0.75, className: "report-map-area" };
    },
    onEachFeature: function (feature, path) {
      var p = feature.properties;
      path.on("click", function () { window.location.href = p.url; });
      path.on("add", function () {
        var el = path.getElement();
        if (!el) return;
        el.setAttribute("data-code", p.code);
        el.setAttribute("role", "link");
        el.setAttribute("tabindex", "0");
        el.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") window.location.href = p.url;
        });
      });
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [8, 8] });

  function paint() {
    var key = select ? select.value : data.metrics[0].key;
    var c = colourer(key);
    layer.eachLayer(function (path) {
      var p = path.feature.properties;
      var value = p.values[key];
      var fill = c.colour(value, path.feature);
      path.setStyle({ fillColor: fill });
      var label = p.name + ": " + c.metric.label + " " + p.texts[key];
      path.unbindTooltip();
      path.bindTooltip(label, { sticky: true });
      var el = path.getElement();
      if (el) {
        el.setAttribute("aria-label", label);
        el.setAttribute("data-fill", fill);
      }
    });
    drawLegend(c);
  }

  function swatch(colour, text) {
    var item = document.createElement("li");
    item.className = "list-inline-item";
    var box = document.createElement("span");
    box.className = "report-swatch";
    box.setAttribute("data-colour", colour);
    box.style.backgroundColor = colour; // CSSOM, not a style attribute: allowed by the CSP
    item.appendChild(box);
    item.appendChild(document.createTextNode(" " + text));
    return item;
  }

  function drawLegend(c) {
    if (!legend) return;
    legend.textContent = "";
    if (c.metric.legend) {
      c.metric.legend.forEach(function (band) {
        var item = swatch(data.colours[band.light], band.text);
        item.setAttribute("data-light", band.light);
        legend.appendChild(item);
      });
    } else if (!c.range.empty && c.range.high === c.range.low) {
      legend.appendChild(swatch(middle(c.palette), format(c.metric, c.range.low)));
    } else if (!c.range.empty) {
      var n = c.palette.length;
      for (var i = 0; i < n; i++) {
        var from = c.range.low + ((c.range.high - c.range.low) * i) / n;
        var to = c.range.low + ((c.range.high - c.range.low) * (i + 1)) / n;
        legend.appendChild(swatch(c.palette[i], format(c.metric, from) + "–" + format(c.metric, to)));
      }
    }
    legend.appendChild(swatch(NO_DATA, data.noData));
  }

  if (select) select.addEventListener("change", paint);
  paint();
  window.addEventListener("beforeprint", function () { map.invalidateSize(); });
})();
