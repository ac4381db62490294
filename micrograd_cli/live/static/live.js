// micrograd live: draws what the server (or a recorded run) says about the training.
// Plain JavaScript, no library: the page must work offline and without Graphviz.
(function () {
  "use strict";

  const CLASS_COLORS = [[228, 87, 46], [41, 163, 90], [51, 102, 204]];
  const NODE_W = 150;
  const NODE_H = 50;
  const COL_GAP = 60;
  const ROW_GAP = 14;

  const $ = (id) => document.getElementById(id);
  const SVG_NS = "http://www.w3.org/2000/svg";

  // ---------------------------------------------------------------- sources of state

  // The live server: every change answers with the whole new state.
  function serverSource() {
    async function call(method, path, body) {
      const options = { method, headers: {} };
      if (method === "POST") {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body || {});
      }
      const response = await fetch(path, options);
      const data = await response.json();
      if (!response.ok) throw new Error(data.error || response.statusText);
      return data;
    }
    return {
      recorded: false,
      state: () => call("GET", "api/state"),
      step: (steps, lr) => call("POST", "api/step", lr === null ? { steps } : { steps, lr }),
      reset: () => call("POST", "api/reset"),
      probe: (x, y, label) => call("POST", "api/probe", { x, y, label }),
    };
  }

  // A recorded run written into the page by `micrograd live --export`.
  function recordedSource(recording) {
    const run = recording.run;
    const frames = recording.frames;
    let at = 0;
    const frame = () => {
      const f = frames[at];
      return Object.assign({}, run, f, { losses: run.losses.filter((l) => l.step <= f.step) });
    };
    return {
      recorded: true,
      last: frames.length - 1,
      at: () => at,
      state: async () => frame(),
      step: async (steps) => {
        at = Math.min(at + steps, frames.length - 1);
        return frame();
      },
      reset: async () => {
        at = 0;
        return frame();
      },
      probe: async () => {
        throw new Error("a recorded run keeps its probe; run micrograd live to move it");
      },
    };
  }

  const embedded = $("recorded-run");
  const source = embedded ? recordedSource(JSON.parse(embedded.textContent)) : serverSource();

  // ---------------------------------------------------------------- small helpers

  function fmt(x, digits = 4) {
    if (x === null || x === undefined) return "nan";
    // a value too small for the fixed digits keeps its size: 3.2e-6, not 0.0000
    if (x !== 0 && Math.abs(x) < 0.5 * 10 ** -digits) return x.toExponential(1);
    return x.toFixed(digits);
  }

  function signClass(x) {
    return x === null || x === 0 ? "" : x > 0 ? "pos" : "neg";
  }

  function setStatus(text) {
    $("status").textContent = text || "";
  }

  function classColor(c, alpha = 1) {
    const [r, g, b] = CLASS_COLORS[c % CLASS_COLORS.length];
    return `rgba(${r},${g},${b},${alpha})`;
  }

  // ---------------------------------------------------------------- the class regions

  function toCanvas(canvas, bounds, x, y) {
    const [x0, x1, y0, y1] = bounds;
    return [((x - x0) / (x1 - x0)) * canvas.width, ((y1 - y) / (y1 - y0)) * canvas.height];
  }

  function drawRegions(state) {
    const canvas = $("regions");
    const ctx = canvas.getContext("2d");
    const { bounds, size, probs } = state.regions;
    const cw = canvas.width / size;
    const ch = canvas.height / size;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const p = probs[i * size + j];
        let r = 0;
        let g = 0;
        let b = 0;
        p.forEach((q, c) => {
          const col = CLASS_COLORS[c % CLASS_COLORS.length];
          r += q * col[0];
          g += q * col[1];
          b += q * col[2];
        });
        // muted toward white, as the class colours of the points stay readable on it
        const mute = (v) => Math.round(v + (255 - v) * 0.55);
        ctx.fillStyle = `rgb(${mute(r)},${mute(g)},${mute(b)})`;
        ctx.fillRect(Math.floor(j * cw), Math.floor(i * ch), Math.ceil(cw) + 1, Math.ceil(ch) + 1);
      }
    }
    for (const [x, y, label] of state.data.train) {
      const [cx, cy] = toCanvas(canvas, bounds, x, y);
      ctx.beginPath();
      ctx.arc(cx, cy, 5, 0, 2 * Math.PI);
      ctx.fillStyle = classColor(label);
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = "#000";
      ctx.stroke();
    }
    for (const [x, y, label] of state.data.val) {
      const [cx, cy] = toCanvas(canvas, bounds, x, y);
      ctx.beginPath();
      ctx.arc(cx, cy, 5, 0, 2 * Math.PI);
      ctx.fillStyle = "#fff";
      ctx.fill();
      ctx.lineWidth = 3;
      ctx.strokeStyle = classColor(label);
      ctx.stroke();
    }
    const probe = state.probe;
    const [px, py] = toCanvas(canvas, bounds, probe.x, probe.y);
    ctx.save();
    ctx.translate(px, py);
    ctx.rotate(Math.PI / 4);
    ctx.fillStyle = classColor(probe.label);
    ctx.fillRect(-7, -7, 14, 14);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#000";
    ctx.strokeRect(-7, -7, 14, 14);
    ctx.restore();
  }

  function drawRegionsLegend(state) {
    const box = $("regions-legend");
    box.textContent = "";
    const add = (cls, text) => {
      const s = document.createElement("span");
      s.className = "swatch " + cls;
      box.append(s, " " + text + "  ");
    };
    for (let c = 0; c < state.config.classes; c++) add("c" + c, "class " + c);
    add("ring", "validation (ringed)");
    add("probe", "probe");
  }

  // ---------------------------------------------------------------- the loss curves

  function drawLosses(state) {
    const canvas = $("losses");
    const ctx = canvas.getContext("2d");
    const W = canvas.width;
    const H = canvas.height;
    const left = 44;
    const bottom = 22;
    ctx.clearRect(0, 0, W, H);
    const losses = state.losses;
    const values = [];
    for (const l of losses) {
      if (l.train !== null) values.push(l.train);
      if (l.val !== null) values.push(l.val);
    }
    const top = values.length ? Math.max(...values) * 1.05 : 1;
    const steps = Math.max(10, losses.length ? losses[losses.length - 1].step : 0);
    const X = (s) => left + ((s - 1) / Math.max(1, steps - 1)) * (W - left - 8);
    const Y = (v) => 6 + (1 - v / top) * (H - bottom - 6);
    ctx.strokeStyle = "#888";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(left, 6);
    ctx.lineTo(left, H - bottom);
    ctx.lineTo(W - 4, H - bottom);
    ctx.stroke();
    ctx.fillStyle = "#444";
    ctx.font = "11px sans-serif";
    for (let k = 0; k <= 4; k++) {
      const v = (top * k) / 4;
      ctx.fillText(v.toFixed(2), 4, Y(v) + 4);
    }
    ctx.fillText("step " + steps, W - 60, H - 6);
    ctx.fillText("1", left - 3, H - 6);
    for (const [key, color] of [["train", "#1f77b4"], ["val", "#ff7f0e"]]) {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      let drawing = false;
      for (const l of losses) {
        if (l[key] === null) {
          drawing = false;
          continue;
        }
        if (drawing) ctx.lineTo(X(l.step), Y(l[key]));
        else ctx.moveTo(X(l.step), Y(l[key]));
        drawing = true;
      }
      ctx.stroke();
    }
  }

  // ---------------------------------------------------------------- the optimizer table

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.append(td);
  }

  function drawParameters(state) {
    const box = $("params");
    const { columns, rows } = state.parameters;
    const table = document.createElement("table");
    const head = document.createElement("tr");
    for (const name of ["parameter", "data", "grad", "update", ...columns]) {
      const th = document.createElement("th");
      th.textContent = name;
      if (name === "parameter") th.className = "name";
      head.append(th);
    }
    table.append(head);
    for (const p of rows) {
      const tr = document.createElement("tr");
      cell(tr, p.name, "name");
      for (const x of [p.data, p.grad, p.update, ...p.state]) cell(tr, fmt(x), signClass(x));
      table.append(tr);
    }
    const scroll = box.scrollTop;
    box.replaceChildren(table);
    box.scrollTop = scroll;
  }

  // ---------------------------------------------------------------- the graph

  // Layers from left to right: an op one past its deepest input, a leaf (input,
  // parameter, constant) just before the first op that reads it. Within a layer,
  // nodes sit near the mean position of the nodes they connect to.
  function layout(graph) {
    const n = graph.nodes.length;
    const inputs = graph.nodes.map(() => []);
    const users = graph.nodes.map(() => []);
    for (const [a, b] of graph.edges) {
      inputs[b].push(a);
      users[a].push(b);
    }
    const layer = new Array(n).fill(0);
    for (let i = 0; i < n; i++) {
      // nodes come inputs first, so every input's layer is known here
      for (const a of inputs[i]) layer[i] = Math.max(layer[i], layer[a] + 1);
    }
    for (let i = 0; i < n; i++) {
      if (inputs[i].length === 0 && users[i].length) {
        layer[i] = Math.min(...users[i].map((u) => layer[u])) - 1;
      }
    }
    const depth = Math.max(0, ...layer);
    const columns = Array.from({ length: depth + 1 }, () => []);
    for (let i = 0; i < n; i++) columns[layer[i]].push(i);
    const pos = new Array(n).fill(0);
    const place = () => columns.forEach((col) => col.forEach((id, k) => (pos[id] = k - col.length / 2)));
    const mean = (ids) => ids.reduce((s, id) => s + pos[id], 0) / ids.length;
    place();
    for (let sweep = 0; sweep < 4; sweep++) {
      for (let c = depth; c >= 0; c--) {
        const key = (id) => (users[id].length ? mean(users[id]) : pos[id]);
        columns[c].sort((a, b) => key(a) - key(b) || a - b);
        columns[c].forEach((id, k) => (pos[id] = k - columns[c].length / 2));
      }
      for (let c = 0; c <= depth; c++) {
        const key = (id) => (inputs[id].length ? mean(inputs[id]) : pos[id]);
        columns[c].sort((a, b) => key(a) - key(b) || a - b);
        columns[c].forEach((id, k) => (pos[id] = k - columns[c].length / 2));
      }
    }
    const xy = new Array(n);
    for (let i = 0; i < n; i++) {
      xy[i] = [layer[i] * (NODE_W + COL_GAP), pos[i] * (NODE_H + ROW_GAP)];
    }
    return xy;
  }

  function svg(tag, attrs, parent) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (parent) parent.append(el);
    return el;
  }

  let graphKey = null;
  const view = { x: 0, y: 0, w: 100, h: 100 };
  let contentBox = null;

  function structure(graph) {
    return graph.nodes.map((n) => n.kind + ":" + n.op + ":" + n.label).join("|") + "#" + graph.edges.length;
  }

  function nodeTitle(node) {
    if (node.kind === "op") return node.label || node.op;
    if (node.kind === "constant") return "constant";
    return node.label || node.kind;
  }

  function buildGraph(graph) {
    const root = $("graph");
    root.replaceChildren();
    const xy = layout(graph);
    const edges = svg("g", { class: "edges" }, root);
    for (const [a, b] of graph.edges) {
      const [x1, y1] = [xy[a][0] + NODE_W, xy[a][1] + NODE_H / 2];
      const [x2, y2] = [xy[b][0], xy[b][1] + NODE_H / 2];
      const mid = (x1 + x2) / 2;
      svg("path", { class: "edge", d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` }, edges);
    }
    const nodes = svg("g", { class: "nodes" }, root);
    const last = graph.nodes.length - 1;
    graph.nodes.forEach((node, i) => {
      const classes = ["node", node.kind];
      if (i === last) classes.push("root");
      if (node.plugin && node.plugin !== "builtin") classes.push("plugin");
      const g = svg("g", { class: classes.join(" "), "data-id": i, transform: `translate(${xy[i][0]},${xy[i][1]})` }, nodes);
      svg("rect", { width: NODE_W, height: NODE_H, rx: 5 }, g);
      const title = svg("text", { x: 6, y: 14, class: "title" }, g);
      title.textContent = nodeTitle(node);
      if (node.kind === "op") {
        const tspan = svg("tspan", { class: "plugin-name", dx: 6 }, title);
        tspan.textContent = node.plugin ? "(" + node.plugin + ")" : "";
      }
      svg("text", { x: 6, y: 30, class: "data" }, g);
      svg("text", { x: 6, y: 44, class: "grad" }, g);
    });
    let [xmin, ymin, xmax, ymax] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x, y] of xy) {
      xmin = Math.min(xmin, x);
      ymin = Math.min(ymin, y);
      xmax = Math.max(xmax, x + NODE_W);
      ymax = Math.max(ymax, y + NODE_H);
    }
    contentBox = { x: xmin - 20, y: ymin - 20, w: xmax - xmin + 40, h: ymax - ymin + 40 };
    fitGraph();
  }

  function updateGraph(graph) {
    const groups = $("graph").querySelectorAll("g.node");
    graph.nodes.forEach((node, i) => {
      const g = groups[i];
      const data = g.querySelector("text.data");
      const grad = g.querySelector("text.grad");
      data.textContent = "data " + fmt(node.data);
      grad.textContent = "grad " + fmt(node.grad);
      grad.setAttribute("class", "grad " + signClass(node.grad));
    });
  }

  function drawGraph(state) {
    const key = structure(state.graph);
    if (key !== graphKey) {
      buildGraph(state.graph);
      graphKey = key;
    }
    updateGraph(state.graph);
  }

  function applyView() {
    $("graph").setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  }

  function fitGraph() {
    if (!contentBox) return;
    const el = $("graph");
    const aspect = el.clientWidth / Math.max(1, el.clientHeight) || 2;
    // start readable: the right end (the loss) at a legible scale, the rest a drag away
    const w = Math.min(contentBox.w, Math.max(contentBox.h * aspect, 1200));
    view.w = w;
    view.h = w / aspect;
    view.x = contentBox.x + contentBox.w - w;
    view.y = contentBox.y + contentBox.h / 2 - view.h / 2;
    applyView();
  }

  function enablePanZoom() {
    const el = $("graph");
    let drag = null;
    const toView = (event) => {
      const r = el.getBoundingClientRect();
      return [view.x + ((event.clientX - r.left) / r.width) * view.w, view.y + ((event.clientY - r.top) / r.height) * view.h];
    };
    el.addEventListener("pointerdown", (event) => {
      drag = { x: event.clientX, y: event.clientY };
      el.setPointerCapture(event.pointerId);
      el.classList.add("panning");
    });
    el.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const r = el.getBoundingClientRect();
      view.x -= ((event.clientX - drag.x) / r.width) * view.w;
      view.y -= ((event.clientY - drag.y) / r.height) * view.h;
      drag = { x: event.clientX, y: event.clientY };
      applyView();
    });
    const end = () => {
      drag = null;
      el.classList.remove("panning");
    };
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", end);
    el.addEventListener(
      "wheel",
      (event) => {
        event.preventDefault();
        const [px, py] = toView(event);
        const f = event.deltaY > 0 ? 1.15 : 1 / 1.15;
        view.x = px - (px - view.x) * f;
        view.y = py - (py - view.y) * f;
        view.w *= f;
        view.h *= f;
        applyView();
      },
      { passive: false }
    );
    $("graph-fit").addEventListener("click", fitGraph);
  }

  // ---------------------------------------------------------------- the whole page

  let current = null;
  let lrChanged = false;

  function render(state) {
    current = state;
    const c = state.config;
    $("model-line").textContent =
      `${c.task}: ${c.model} with ${c.activation} (${c.parameters} parameters), cross-entropy, ${c.optimizer}, seed ${c.seed}` +
      (source.recorded ? ` | a recorded run of ${source.last} steps` : "");
    $("step-count").textContent = String(state.step);
    const last = state.losses[state.losses.length - 1];
    $("train-loss").textContent = last ? fmt(last.train) : "-";
    $("val-loss").textContent = last ? fmt(last.val) : "-";
    $("accuracy").textContent = last
      ? `${Math.round(last.train_accuracy * 100)}% train, ${Math.round(last.val_accuracy * 100)}% val`
      : "-";
    if (document.activeElement !== $("lr") && !lrChanged) $("lr").value = String(state.lr);
    const p = state.probe;
    const select = $("probe-label");
    if (select.options.length !== c.classes) {
      select.replaceChildren();
      for (let k = 0; k < c.classes; k++) select.append(new Option(String(k), String(k)));
    }
    if (![$("probe-x"), $("probe-y"), select].includes(document.activeElement)) {
      $("probe-x").value = String(p.x);
      $("probe-y").value = String(p.y);
      select.value = String(p.label);
    }
    $("probe-line").textContent = `Probe (${fmt(p.x, 3)}, ${fmt(p.y, 3)}), label ${p.label}: loss ${fmt(p.loss)}.`;
    drawRegions(state);
    drawRegionsLegend(state);
    drawLosses(state);
    drawParameters(state);
    drawGraph(state);
  }

  // One request at a time: a click while a step is on its way waits for it.
  let queue = Promise.resolve();
  function run(action) {
    queue = queue
      .then(action)
      .then((state) => {
        setStatus("");
        render(state);
      })
      .catch((error) => setStatus(error.message));
    return queue;
  }

  function readLr() {
    if (!lrChanged) return null;
    const lr = Number($("lr").value);
    if ($("lr").value.trim() === "" || !Number.isFinite(lr) || lr < 0) {
      throw new Error("the learning rate must be a number >= 0");
    }
    lrChanged = false;
    return lr;
  }

  function stepOnce() {
    return run(() => source.step(1, readLr()));
  }

  let playing = false;
  async function play() {
    while (playing) {
      await stepOnce();
      if (source.recorded && source.at() === source.last) setPlaying(false);
      await new Promise((resolve) => setTimeout(resolve, source.recorded ? 120 : 20));
    }
  }

  function setPlaying(on) {
    playing = on;
    $("btn-play").textContent = on ? "Pause" : "Play";
    if (on) play();
  }

  function setProbe(x, y, label) {
    return run(() => source.probe(x, y, label));
  }

  function wire() {
    $("btn-step").addEventListener("click", () => {
      setPlaying(false);
      stepOnce();
    });
    $("btn-play").addEventListener("click", () => setPlaying(!playing));
    $("btn-reset").addEventListener("click", () => {
      setPlaying(false);
      run(() => source.reset());
    });
    $("lr").addEventListener("input", () => (lrChanged = true));
    $("regions").addEventListener("click", (event) => {
      if (!current) return;
      const canvas = $("regions");
      const r = canvas.getBoundingClientRect();
      const [x0, x1, y0, y1] = current.regions.bounds;
      const x = x0 + ((event.clientX - r.left) / r.width) * (x1 - x0);
      const y = y1 - ((event.clientY - r.top) / r.height) * (y1 - y0);
      setProbe(Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000, Number($("probe-label").value));
    });
    $("probe-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const x = Number($("probe-x").value);
      const y = Number($("probe-y").value);
      if ($("probe-x").value.trim() === "" || $("probe-y").value.trim() === "" || !Number.isFinite(x) || !Number.isFinite(y)) {
        setStatus("the probe's x and y must be numbers");
        return;
      }
      setProbe(x, y, Number($("probe-label").value));
    });
    $("probe-label").addEventListener("change", () => {
      if (current) setProbe(current.probe.x, current.probe.y, Number($("probe-label").value));
    });
    if (source.recorded) {
      for (const id of ["lr", "probe-x", "probe-y", "probe-label", "probe-set"]) $(id).disabled = true;
    }
    enablePanZoom();
  }

  wire();
  run(() => source.state());
})();
