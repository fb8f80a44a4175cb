// Point-cloud previews. Every <canvas class="pointcloud" data-src="/media/...?points=1"> gets
// the JSON {"points": [[x, y, z], ...], "colors": [[r, g, b], ...] or null} from its data-src
// and draws it in perspective, far points first, coloured by rgb or else by height (z).
// Drag to rotate, wheel to zoom. When it cannot load, the canvas says so and a message follows
// it. The canvas's data-state is "loading", then "ready" or "error".
// Plain script for a strict Content-Security-Policy: no inline code, no eval, no libraries.
(function () {
  "use strict";

  var DISTANCE = 3.2; // camera distance from the centre, in units of the cloud's radius

  function setup(canvas) {
    var view = { yaw: 0.7, pitch: 0.45, zoom: 1, points: null, colors: null };
    canvas.dataset.state = "loading";
    fetch(canvas.dataset.src, { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(
          function (body) {
            if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
            return body;
          },
          function () {
            throw new Error("HTTP " + response.status);
          }
        );
      })
      .then(function (body) {
        if (!Array.isArray(body.points) || body.points.length === 0) {
          throw new Error("no points");
        }
        view.points = body.points;
        view.colors = Array.isArray(body.colors) ? body.colors : null;
        canvas.dataset.points = String(body.points.length);
        draw(canvas, view);
        canvas.dataset.state = "ready";
        interact(canvas, view);
      })
      .catch(function (error) {
        fail(canvas, error);
      });
  }

  function interact(canvas, view) {
    var last = null;
    canvas.style.touchAction = "none";
    canvas.style.cursor = "grab";
    canvas.addEventListener("pointerdown", function (event) {
      last = { x: event.clientX, y: event.clientY };
      canvas.setPointerCapture(event.pointerId);
      canvas.style.cursor = "grabbing";
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!last) return;
      view.yaw += (event.clientX - last.x) * 0.01;
      view.pitch = Math.max(-1.5, Math.min(1.5, view.pitch + (event.clientY - last.y) * 0.01));
      last = { x: event.clientX, y: event.clientY };
      draw(canvas, view);
    });
    function release() {
      last = null;
      canvas.style.cursor = "grab";
    }
    canvas.addEventListener("pointerup", release);
    canvas.addEventListener("pointercancel", release);
    canvas.addEventListener(
      "wheel",
      function (event) {
        event.preventDefault();
        view.zoom = Math.max(0.3, Math.min(8, view.zoom * Math.exp(-event.deltaY * 0.001)));
        draw(canvas, view);
      },
      { passive: false }
    );
    window.addEventListener("resize", function () {
      draw(canvas, view);
    });
  }

  function fitToLayout(canvas) {
    var ratio = window.devicePixelRatio || 1;
    var width = Math.round((canvas.clientWidth || canvas.width) * ratio);
    var height = Math.round((canvas.clientHeight || canvas.height) * ratio);
    if (width > 0 && height > 0 && (canvas.width !== width || canvas.height !== height)) {
      canvas.width = width;
      canvas.height = height;
    }
  }

  function heightColor(z) {
    var t = Math.max(0, Math.min(1, (z + 1) / 2)); // blue (low) to red (high)
    return "hsl(" + Math.round(240 - 240 * t) + ", 80%, 58%)";
  }

  function draw(canvas, view) {
    fitToLayout(canvas);
    var ctx = canvas.getContext("2d");
    var w = canvas.width;
    var h = canvas.height;
    ctx.fillStyle = "#15171c";
    ctx.fillRect(0, 0, w, h);
    var cy = Math.cos(view.yaw), sy = Math.sin(view.yaw);
    var cp = Math.cos(view.pitch), sp = Math.sin(view.pitch);
    var focal = Math.min(w, h) * 1.1 * view.zoom;
    var n = view.points.length;
    var screenX = new Float32Array(n), screenY = new Float32Array(n), depth = new Float32Array(n);
    var order = new Array(n);
    for (var i = 0; i < n; i++) {
      var p = view.points[i];
      // z is up: turn about z (yaw), then tilt about the horizontal axis (pitch).
      var x1 = p[0] * cy - p[1] * sy;
      var y1 = p[0] * sy + p[1] * cy;
      var up = p[2] * cp - y1 * sp;
      var away = p[2] * sp + y1 * cp;
      var scale = focal / (DISTANCE + away);
      screenX[i] = w / 2 + x1 * scale;
      screenY[i] = h / 2 - up * scale;
      depth[i] = away;
      order[i] = i;
    }
    order.sort(function (a, b) {
      return depth[b] - depth[a]; // far first, near last
    });
    var dot = Math.max(1.5, Math.min(w, h) / 110) * Math.sqrt(view.zoom);
    for (var k = 0; k < n; k++) {
      var j = order[k];
      var c = view.colors && view.colors[j];
      ctx.fillStyle = c ? "rgb(" + c[0] + "," + c[1] + "," + c[2] + ")" : heightColor(view.points[j][2]);
      var size = dot * (DISTANCE / (DISTANCE + depth[j]));
      ctx.fillRect(screenX[j] - size / 2, screenY[j] - size / 2, size, size);
    }
  }

  function fail(canvas, error) {
    canvas.dataset.state = "error";
    fitToLayout(canvas);
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#2a1d1d";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#f3b0b0";
    ctx.font = Math.max(12, Math.round(canvas.height / 14)) + "px sans-serif";
    ctx.textAlign = "center";
    ctx.fillText("could not load the point cloud", canvas.width / 2, canvas.height / 2);
    var message = document.createElement("p");
    message.className = "pointcloud-error";
    message.textContent = "could not load the point cloud: " + error.message;
    canvas.insertAdjacentElement("afterend", message);
  }

  function start() {
    var canvases = document.querySelectorAll("canvas.pointcloud[data-src]");
    for (var i = 0; i < canvases.length; i++) setup(canvases[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
