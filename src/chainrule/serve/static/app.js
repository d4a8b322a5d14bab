// chainrule serve: the page only draws; every number comes from the server's explain code.
"use strict";

const UPDATE_INTERVAL_MS = 100;   // at most about 10 updates a second while drawing
const TIMINGS_KEPT = 200;

const $ = (id) => document.getElementById(id);
const state = {
  strokes: [], drawing: null, label: null, session: newSession(), inFlight: false,
  dirty: false, lastSent: -Infinity, timer: null, updates: 0, model: null, latest: null,
  timings: [], answered: [], sinceChange: [], sentAt: [], changedAt: 0, events: null,
  rows: [],
};
// For tests and benchmarks: state.timings holds each update's time from sending the drawing
// to the rendered answer, state.answered to the parsed answer (before drawing it), and
// state.sinceChange from the first stroke the update carries to the rendered answer.
window.chainrule = state;

function newSession() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Array.from({length: 4}, () => Math.random().toString(36).slice(2, 10)).join("-");
}

// ---- numbers and colours -------------------------------------------------------------

function fmt(value, digits = 5) {
  const v = Number(value);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : (v > 0 ? "∞" : "−∞");
  if (v === 0) return "0";
  const magnitude = Math.abs(v);
  const text = magnitude >= 1e-3 && magnitude < 1e5 ? v.toPrecision(digits)
    : v.toExponential(digits - 1);
  return text.replace("-", "−");
}

function setNumber(element, value, digits) {
  element.textContent = fmt(value, digits);
  element.dataset.value = String(value);
}

// Diverging map (ColorBrewer RdBu ends): blue below 0, white at 0, red above.
function diverging(value, largest) {
  const t = largest > 0 ? Math.max(-1, Math.min(1, value / largest)) : 0;
  const end = t < 0 ? [33, 102, 172] : [178, 24, 43];
  const a = Math.abs(t);
  return end.map((c) => Math.round(255 + (c - 255) * a));
}

function largestAbs(values) {
  let m = 0;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m;
}

// ---- drawing ---------------------------------------------------------------------------

const pad = $("pad");
const pen = pad.getContext("2d");

function redraw() {
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, pad.width, pad.height);
  for (const stroke of state.strokes) {
    stroke.points.forEach((_, k) => drawSegment(stroke, k));
  }
}

// Segment k of a stroke: a dot for k = 0, else the line from point k - 1 to point k. A
// pointer move adds one segment; a redraw (undo) paints the same segments in the same order,
// so the pixels come out the same.
function drawSegment(stroke, k) {
  const [x0, y0] = stroke.points[Math.max(k - 1, 0)];
  const [x1, y1] = k ? stroke.points[k] : [x0 + 0.01, y0];
  pen.strokeStyle = "#000";
  pen.lineCap = "round";
  pen.lineWidth = stroke.width;
  pen.beginPath();
  pen.moveTo(x0, y0);
  pen.lineTo(x1, y1);
  pen.stroke();
}

function padPoint(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width,
          (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", (event) => {
  pad.setPointerCapture(event.pointerId);
  state.drawing = {width: Number($("pen").value), points: [padPoint(event)]};
  state.strokes.push(state.drawing);
  drawSegment(state.drawing, 0);
  scheduleUpdate();
});
pad.addEventListener("pointermove", (event) => {
  if (!state.drawing) return;
  state.drawing.points.push(padPoint(event));
  drawSegment(state.drawing, state.drawing.points.length - 1);
  scheduleUpdate();
});
for (const name of ["pointerup", "pointercancel"]) {
  pad.addEventListener(name, () => {
    if (state.drawing) scheduleUpdate();
    state.drawing = null;
  });
}
$("undo").addEventListener("click", () => { state.strokes.pop(); redraw(); scheduleUpdate(); });
$("clear").addEventListener("click", () => { state.strokes = []; redraw(); scheduleUpdate(); });

// The drawing is sent at 4 pixels per MNIST pixel: enough for the 20x20 box, and the
// server's preparation (the same as `chainrule predict`) runs in a few milliseconds.
const SENT_SIDE = 112;
const sent = Object.assign(document.createElement("canvas"), {width: SENT_SIDE, height: SENT_SIDE});
const sentContext = sent.getContext("2d", {willReadFrequently: true});

function canvasPayload() {
  sentContext.imageSmoothingEnabled = true;
  sentContext.imageSmoothingQuality = "high";
  sentContext.drawImage(pad, 0, 0, SENT_SIDE, SENT_SIDE);
  const pixels = sentContext.getImageData(0, 0, SENT_SIDE, SENT_SIDE).data;
  const grey = new Uint8Array(SENT_SIDE * SENT_SIDE);
  for (let k = 0; k < grey.length; k++) grey[k] = pixels[4 * k];
  let binary = "";
  for (let k = 0; k < grey.length; k += 8192) {
    binary += String.fromCharCode.apply(null, grey.subarray(k, k + 8192));
  }
  return {shape: [SENT_SIDE, SENT_SIDE], dtype: "uint8", data: btoa(binary)};
}

// ---- talking to the server -------------------------------------------------------------

async function post(path, body) {
  const response = await fetch(path, {method: "POST", body: JSON.stringify(body),
                                      headers: {"Content-Type": "application/json"}});
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function setBusy() {
  document.body.dataset.busy = String(state.inFlight || state.dirty);
}

function scheduleUpdate() {
  if (!state.dirty) state.changedAt = performance.now();
  state.dirty = true;
  setBusy();
  pump();
}

function pump() {
  if (state.inFlight || !state.dirty) return;
  const wait = state.lastSent + UPDATE_INTERVAL_MS - performance.now();
  if (wait > 0) {
    if (!state.timer) state.timer = setTimeout(() => { state.timer = null; pump(); }, wait);
    return;
  }
  state.dirty = false;
  update();
}

const nextPaint = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));

async function update() {
  if (!state.strokes.length) {
    showBlank();
    finishUpdate();
    return;
  }
  state.inFlight = true;
  setBusy();
  const started = performance.now();
  const changed = state.changedAt;
  state.lastSent = started;
  state.sentAt.push(started);
  if (state.sentAt.length > TIMINGS_KEPT) state.sentAt.shift();
  try {
    const data = await post("/api/analyze", {canvas: canvasPayload(), label: state.label,
                                             session: state.session});
    state.answered.push(performance.now() - started);
    if (state.answered.length > TIMINGS_KEPT) state.answered.shift();
    render(data);
    await nextPaint();
    const now = performance.now();
    const elapsed = now - started;
    state.timings.push(elapsed);
    state.sinceChange.push(now - changed);
    if (state.timings.length > TIMINGS_KEPT) state.timings.shift();
    if (state.sinceChange.length > TIMINGS_KEPT) state.sinceChange.shift();
    showLatency(elapsed);
  } catch (error) {
    showMessage(error.message);
  } finally {
    state.inFlight = false;
    finishUpdate();
  }
}

function finishUpdate() {
  state.updates += 1;
  document.body.dataset.updates = String(state.updates);
  setBusy();
  pump();
}

function showLatency(elapsed) {
  const sorted = [...state.timings].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  $("latency").textContent = `· drawing to rendered chain rule: ${elapsed.toFixed(0)} ms ` +
    `(median ${median.toFixed(0)} ms over ${sorted.length})`;
}

function showMessage(text) {
  $("message").textContent = text;
}

function showBlank() {
  state.latest = null;
  for (const row of $("bars").children) {
    row.querySelector(".fill").style.width = "0";
    row.querySelector(".value").textContent = "";
    delete row.querySelector(".value").dataset.value;
    row.classList.remove("predicted", "chosen");
  }
  delete $("bars").dataset.predicted;
  showMessage("Draw a digit in the box: the network's view, its prediction and every " +
              "Jacobian below follow your pen.");
  document.body.classList.add("blank");
}

// ---- rendering an analysis -------------------------------------------------------------

function render(data) {
  state.latest = data;
  document.body.classList.remove("blank");
  showMessage("");
  for (const [cls, key] of [["sym-z", "z"], ["sym-w", "W"], ["sym-a", "a"]]) {
    for (const element of document.getElementsByClassName(cls)) {
      element.textContent = data.symbols[key];
    }
  }
  renderPictures(data);
  renderBars(data);
  renderChain(data);
  showSteps(data.steps);
}

function paintSquare(canvas, side, colourAt) {
  const small = document.createElement("canvas");
  small.width = small.height = side;
  const context = small.getContext("2d");
  const image = context.createImageData(side, side);
  for (let k = 0; k < side * side; k++) {
    const [r, g, b] = colourAt(k);
    image.data.set([r, g, b, 255], 4 * k);
  }
  context.putImageData(image, 0, 0);
  const target = canvas.getContext("2d");
  target.imageSmoothingEnabled = false;
  target.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function renderPictures(data) {
  const side = state.model.side;
  const picture = data.picture;
  paintSquare($("seen"), side, (k) => {
    const v = Math.round(255 * picture[k]);
    return [v, v, v];
  });
  const largest = largestAbs(data.saliency);
  // The map over the drawing: the colour of dC/dpixel, darkened where the digit's ink is.
  paintSquare($("saliency"), side, (k) => {
    const shade = 1 - 0.55 * picture[k];
    return diverging(data.saliency[k], largest).map((c) => Math.round(c * shade));
  });
  $("saliency-range").textContent = `; scale ±${fmt(largest, 3)}`;
  $("saliency").dataset.largest = String(largest);
}

function makeBars() {
  const bars = $("bars");
  const classes = state.model.classes;
  if (bars.children.length !== classes.length) {
    bars.replaceChildren(...classes.map((name, i) => {
      const row = document.createElement("button");
      row.type = "button";
      row.className = "bar";
      row.dataset.class = String(i);
      row.innerHTML = `<span class="name"></span><span class="track"><span class="fill">` +
        `</span></span><span class="num value"></span>`;
      row.querySelector(".name").textContent = name;
      row.addEventListener("click", () => { state.label = i; scheduleUpdate(); });
      return row;
    }));
  }
}

function renderBars(data) {
  const bars = $("bars");
  makeBars();
  data.y.forEach((p, i) => {
    const row = bars.children[i];
    row.querySelector(".fill").style.width = `${(100 * p).toFixed(2)}%`;
    setNumber(row.querySelector(".value"), p, 4);
    row.classList.toggle("predicted", i === data.predicted);
    row.classList.toggle("chosen", i === data.label);
  });
  bars.dataset.predicted = String(data.predicted);
  $("auto-r").disabled = state.label === null;
}
$("auto-r").addEventListener("click", () => { state.label = null; scheduleUpdate(); });

function fillVector(container, values, highlight) {
  if (container.children.length !== values.length) {
    container.replaceChildren(...values.map((_, i) => {
      const cell = document.createElement("span");
      cell.className = "cell num";
      cell.title = `entry ${i}`;
      return cell;
    }));
  }
  const largest = largestAbs(values);
  values.forEach((v, i) => {
    const cell = container.children[i];
    setNumber(cell, v, 4);
    const [r, g, b] = diverging(v, largest);
    cell.style.background = `rgb(${r},${g},${b})`;
    cell.style.color = largest > 0 && Math.abs(v) > 0.6 * largest ? "#fff" : "";
    cell.classList.toggle("highlight", i === highlight);
  });
}

function renderChain(data) {
  const r = data.label;
  const y = data.y;
  $("r").textContent = state.model.classes[r];
  $("r").dataset.value = String(r);
  setNumber($("y-r"), y[r], 6);
  setNumber($("cost"), data.C, 6);
  setNumber($("minus-inverse"), data["dC/dy"].minus_one_over_y_r, 6);
  fillVector($("dcdy"), data["dC/dy"].values, r);
  renderJacobian(data);
  fillVector($("dcdz"), data["dC/dz"].values, r);
  fillVector($("shortcut"), data["dC/dz"].shortcut, r);
  setNumber($("shortcut-difference"), data["dC/dz"].shortcut_max_difference, 2);
  renderWeightGradient(data["dC/dW"]);
  const body = $("checks").tBodies[0];
  body.replaceChildren(...data.checks.map((check) => {
    const row = document.createElement("tr");
    row.innerHTML = "<td></td><td></td><td class=\"num\"></td>";
    row.children[0].textContent = check.wrt;
    row.children[1].textContent = check.shape.join("×");
    setNumber(row.children[2], check.product_vs_reverse, 2);
    return row;
  }));
}

function renderJacobian(data) {
  const grid = $("jacobian");
  const values = data["dy/dz"].values;
  const n = values.length;
  if (grid.children.length !== n * n) {
    grid.style.gridTemplateColumns = `repeat(${n}, 1fr)`;
    grid.style.gridTemplateRows = `repeat(${n}, 1fr)`;
    const cells = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const cell = document.createElement("span");
        cell.className = "cell";
        cell.dataset.i = String(i);
        cell.dataset.j = String(j);
        cell.addEventListener("mouseenter", showJacobianTip);
        cell.addEventListener("mouseleave", hideTip);
        cells.push(cell);
      }
    }
    grid.replaceChildren(...cells);
  }
  const largest = largestAbs(values.flat());
  for (const cell of grid.children) {
    const v = values[Number(cell.dataset.i)][Number(cell.dataset.j)];
    cell.dataset.value = String(v);
    const [r, g, b] = diverging(v, largest);
    cell.style.background = `rgb(${r},${g},${b})`;
  }
  const checks = data["dy/dz"];
  const lines = [
    ["symmetric: max |J − Jᵀ|", checks.symmetric],
    ["rows sum to 0: max |Σⱼ Jᵢⱼ|", checks.row_sums],
    ["diagonal: max |Jᵢᵢ − yᵢ(1 − yᵢ)|", checks["diagonal_minus_y(1-y)"]],
    ["off the diagonal: max |Jᵢⱼ + yᵢyⱼ|", checks["off_diagonal_minus_(-y_i y_j)"]],
  ];
  $("jacobian-checks").replaceChildren(...lines.map(([text, value]) => {
    const item = document.createElement("li");
    item.textContent = `${text} = `;
    const number = document.createElement("span");
    number.className = "num";
    setNumber(number, value, 2);
    item.append(number);
    return item;
  }));
}

function showJacobianTip(event) {
  const data = state.latest;
  if (!data) return;
  const i = Number(event.target.dataset.i);
  const j = Number(event.target.dataset.j);
  const y = data.y;
  const delta = i === j ? 1 : 0;
  const value = data["dy/dz"].values[i][j];
  const tip = $("tip");
  tip.textContent = `∂y${i}/∂${data.symbols.z}_${j} = y${i}(δ${i}${j} − y${j}) = ` +
    `${fmt(y[i])} × (${delta} − ${fmt(y[j])}) = ${fmt(value, 6)}`;
  tip.dataset.i = String(i);
  tip.dataset.j = String(j);
  tip.dataset.value = String(value);
  placeTip(event);
}

function placeTip(event) {
  const tip = $("tip");
  tip.hidden = false;
  tip.style.left = `${event.pageX + 14}px`;
  tip.style.top = `${event.pageY + 14}px`;
}

function hideTip() {
  $("tip").hidden = true;
}

function renderWeightGradient(gradient) {
  const [rows, columns] = gradient.shape;
  const bytes = Uint8Array.from(atob(gradient.float64), (c) => c.charCodeAt(0));
  const values = new Float64Array(bytes.buffer);
  const canvas = $("dcdw");
  canvas.width = columns;
  canvas.height = rows;
  canvas.style.aspectRatio = `${columns} / ${Math.max(rows * 10, 1)}`;
  const context = canvas.getContext("2d");
  const image = context.createImageData(columns, rows);
  const largest = gradient.largest_abs;
  values.forEach((v, k) => image.data.set([...diverging(v, largest), 255], 4 * k));
  context.putImageData(image, 0, 0);
  canvas.values = values;
  $("dcdw-shape").textContent = `${rows}×${columns}`;
  setNumber($("dcdw-largest"), gradient.largest_abs, 3);
  setNumber($("dcdw-outer"), gradient.outer_product_max_difference, 2);
}

$("dcdw").addEventListener("mousemove", (event) => {
  const canvas = event.target;
  if (!canvas.values || !state.latest) return;
  const box = canvas.getBoundingClientRect();
  const k = Math.floor((event.clientX - box.left) / box.width * canvas.width);
  const i = Math.floor((event.clientY - box.top) / box.height * canvas.height);
  if (k < 0 || i < 0 || k >= canvas.width || i >= canvas.height) return hideTip();
  const symbols = state.latest.symbols;
  $("tip").textContent = `dC/d${symbols.W}[${i}, ${k}] = (y${i} − [${i} = r]) ` +
    `${symbols.a}_${k} = ${fmt(canvas.values[i * canvas.width + k], 6)}`;
  placeTip(event);
});
$("dcdw").addEventListener("mouseleave", hideTip);

// ---- one gradient step -----------------------------------------------------------------

function learningRate() {
  return Number(Math.pow(10, Number($("lr").value)).toPrecision(2));
}
$("lr").addEventListener("input", () => { $("lr-value").textContent = String(learningRate()); });

function showSteps(steps) {
  $("steps-note").textContent = steps
    ? `· this page's copy of the model has taken ${steps} SGD step${steps > 1 ? "s" : ""}`
    : "";
  $("reset").disabled = !steps;
}

$("step").addEventListener("click", async () => {
  if (!state.latest) return showMessage("Draw a digit first: the step is taken on it.");
  $("step").disabled = true;
  try {
    const data = await post("/api/step", {
      canvas: canvasPayload(), label: state.latest.label, learning_rate: learningRate(),
      session: state.session});
    for (const [name, side] of [["before", data.before], ["after", data.after]]) {
      setNumber($(`${name}-cost`), side.C, 6);
      setNumber($(`${name}-yr`), side.y[side.label], 6);
      $(`${name}-predicted`).textContent = state.model.classes[side.predicted];
    }
    render(data.after);
    scheduleUpdate();  // an answer still on its way was computed with the old weights
  } catch (error) {
    showMessage(error.message);
  } finally {
    $("step").disabled = false;
  }
});

$("reset").addEventListener("click", async () => {
  try {
    await post("/api/reset", {session: state.session});
    for (const id of ["before-cost", "after-cost", "before-yr", "after-yr",
                      "before-predicted", "after-predicted"]) $(id).textContent = "";
    showSteps(0);
    scheduleUpdate();
  } catch (error) {
    showMessage(error.message);
  }
});

// ---- a run's curves, live ----------------------------------------------------------------

const SERIES = {
  "loss-chart": [["train_loss", "train", "#2166ac"], ["val_loss", "validation", "#b2182b"],
                 ["test_loss", "test", "#1b7837"]],
  "accuracy-chart": [["train_accuracy", "train", "#2166ac"],
                     ["val_accuracy", "validation", "#b2182b"],
                     ["test_accuracy", "test", "#1b7837"]],
};
const TITLES = {"loss-chart": "loss per epoch", "accuracy-chart": "accuracy per epoch"};

// Lists the runs under the runs root; follows the served model's run (else the newest)
// unless one is being followed already. Runs started later appear when the list is opened.
async function loadRuns() {
  const response = await fetch("/api/runs");
  const data = await response.json();
  const select = $("run-select");
  const following = state.events ? select.value : null;
  select.replaceChildren(...data.runs.map((name) => new Option(name, name)));
  if (following !== null) {
    if (!data.runs.includes(following)) select.add(new Option(following, following));
    select.value = following;
    return;
  }
  if (!data.runs.length) {
    $("run-status").textContent = `no runs under ${data.root}`;
    return;
  }
  const own = state.model.run;
  select.value = own && data.runs.includes(own) ? own : data.runs[0];
  follow(select.value);
}
$("run-select").addEventListener("focus", loadRuns);
$("run-select").addEventListener("change", (event) => follow(event.target.value));

function follow(name) {
  if (state.events) state.events.close();
  state.rows = [];
  drawCharts();
  $("run-status").textContent = "following…";
  const events = new EventSource(`/api/events?run=${encodeURIComponent(name)}`);
  state.events = events;
  // Each connection (the browser reconnects by itself) starts with all the rows so far.
  events.addEventListener("open", () => { state.rows = []; });
  events.addEventListener("rows", (event) => {
    state.rows.push(...JSON.parse(event.data));
    $("run-status").textContent = `live: ${state.rows.length} epoch` +
      `${state.rows.length === 1 ? "" : "s"}`;
    drawCharts();
  });
  events.addEventListener("reset", () => { state.rows = []; drawCharts(); });
  events.addEventListener("finished", (event) => {
    const results = JSON.parse(event.data);
    const accuracy = Number(results.test_accuracy);
    $("run-status").textContent = `finished: ${state.rows.length} epochs` +
      (Number.isFinite(accuracy) ? `, test accuracy ${(100 * accuracy).toFixed(2)}%` : "");
  });
}

function drawCharts() {
  for (const id of Object.keys(SERIES)) drawChart($(id), SERIES[id], TITLES[id]);
}

function svg(name, attributes, text) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function drawChart(chart, series, title) {
  const [left, right, top, bottom] = [48, 410, 24, 170];
  const rows = state.rows;
  const values = series.flatMap(([key]) => rows.map((row) => Number(row[key])))
    .filter(Number.isFinite);
  const parts = [svg("text", {x: left, y: 14, class: "chart-title"}, title)];
  chart.dataset.points = String(rows.length);
  if (values.length) {
    let low = Math.min(...values);
    let high = Math.max(...values);
    if (high === low) { high += 0.5; low -= 0.5; }
    const epochs = rows.map((row, k) => Number(row.epoch) || k + 1);
    const first = Math.min(...epochs);
    const last = Math.max(...epochs, first + 1);
    const x = (e) => left + (e - first) / (last - first) * (right - left);
    const y = (v) => bottom - (v - low) / (high - low) * (bottom - top);
    parts.push(svg("line", {x1: left, y1: bottom, x2: right, y2: bottom, class: "axis"}));
    parts.push(svg("line", {x1: left, y1: top, x2: left, y2: bottom, class: "axis"}));
    for (const v of [low, (low + high) / 2, high]) {
      parts.push(svg("text", {x: left - 4, y: y(v) + 4, class: "tick", "text-anchor": "end"},
                     fmt(v, 3)));
    }
    parts.push(svg("text", {x: left, y: bottom + 16, class: "tick"}, `epoch ${first}`));
    parts.push(svg("text", {x: right, y: bottom + 16, class: "tick", "text-anchor": "end"},
                   `epoch ${last}`));
    series.forEach(([key, label, colour], s) => {
      const points = rows.map((row, k) => [epochs[k], Number(row[key])])
        .filter(([, v]) => Number.isFinite(v));
      if (!points.length) return;
      parts.push(svg("polyline", {
        points: points.map(([e, v]) => `${x(e).toFixed(1)},${y(v).toFixed(1)}`).join(" "),
        stroke: colour, class: "series", "data-key": key}));
      for (const [e, v] of points) {
        parts.push(svg("circle", {cx: x(e).toFixed(1), cy: y(v).toFixed(1), r: 2.5,
                                  fill: colour}));
      }
      parts.push(svg("text", {x: right - 84 * (series.length - 1 - s), y: 14, fill: colour,
                              class: "tick", "text-anchor": "end"}, `— ${label}`));
    });
  } else {
    parts.push(svg("text", {x: left, y: 100, class: "tick"}, "no epochs yet"));
  }
  chart.replaceChildren(...parts);
}

// ---- start -------------------------------------------------------------------------------

async function start() {
  const response = await fetch("/api/model");
  state.model = await response.json();
  const model = state.model;
  $("model-source").textContent = `model: ${model.source} · ${model.sizes.join("-")} ` +
    `(${model.activations.join(", ") || "no hidden layer"}), sees ${model.side}×${model.side} ` +
    "pixels";
  $("seen-size").textContent = `${model.side}×${model.side}`;
  makeBars();
  redraw();
  showBlank();
  showSteps(0);
  drawCharts();
  loadRuns();
}

start();
