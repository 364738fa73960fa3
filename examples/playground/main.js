// The page: controls, pictures, and messages to and from the training Worker (worker.js), which
// owns simdnet. Nothing here computes more than a picture, so the page stays responsive while
// the Worker trains.
import { Series, PALETTE, drawChart, drawField, drawPoints, drawFilters } from './draw.js';
import { drawingPad } from './digit.js';

const $ = (id) => document.getElementById(id);
const worker = window.trainingWorker ?? new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (msg, transfer) => worker.postMessage(msg, transfer ?? []);

const TOY_DEFAULTS = {
  layers: [{ type: 'dense', units: 32, activation: 'ReLU' }, { type: 'dense', units: 32, activation: 'ReLU' }],
  optimiser: 'Adam', lr: 0.01, l2: 0.0001, batch: 32,
};
const MNIST_DEFAULTS = {
  layers: [
    { type: 'conv', filters: 8, kernel: 5, activation: 'ReLU' },
    { type: 'pool', size: 2 },
    { type: 'conv', filters: 16, kernel: 5, activation: 'ReLU' },
    { type: 'pool', size: 2 },
    { type: 'dense', units: 64, activation: 'ReLU', dropout: 0.1 },
  ],
  optimiser: 'Adam', lr: 0.002, l2: 0, batch: 32,
};

const state = {
  available: { activations: ['ReLU'], optimisers: ['Adam'], batchNorm: false },
  layers: structuredClone(TOY_DEFAULTS.layers),
  mnist: false,
  running: false,
  // Pause pressed, the Worker not yet stopped: its last slice's steps are still on their way, so
  // Start and Step wait for its 'state' answer (which follows its final progress report).
  pausing: false,
  ready: false,
  busy: true, // between a setup message and the Worker's answer
  k: 3,
  points: null,
  field: null,
  runtime: null,
  speed: { stepsPerSec: 0, samplesPerSec: 0 },
};
const charts = {
  loss: new Series(), valLoss: new Series(), acc: new Series(), valAcc: new Series(),
};

// --- settings -------------------------------------------------------------------------------

const num = (id) => Number($(id).value);

/** A number input's value within its min/max (written back, so the page shows what is used). */
function clamped(id) {
  const el = $(id);
  const v = Math.round(Math.min(Number(el.max), Math.max(Number(el.min), Number(el.value) || Number(el.min))));
  el.value = v;
  return v;
}

function dataset() {
  return { name: $('dataset').value, classes: clamped('classes'), noise: num('noise'), perClass: clamped('per-class'), valFraction: num('val-split') };
}

function settings() {
  return {
    layers: state.layers, loss: $('loss').value, optimiser: $('optimiser').value,
    lr: num('lr'), l2: num('l2'), batchSize: clamped('batch'), epochs: Math.max(0, Math.round(num('epochs')) || 0),
  };
}

function validSettings() {
  const s = settings();
  if (!(s.lr > 0)) return 'The learning rate must be a number above 0.';
  if (!(s.l2 >= 0)) return 'The L2 strength must be 0 or more.';
  return null;
}

/** A change to the data or the network: new data/model in the Worker, charts start over. */
function setup() {
  const problem = validSettings();
  if (problem) { status(problem); return; }
  status('');
  state.busy = true;
  setRunning(false);
  send({ type: 'setup', dataset: dataset(), settings: settings() });
}

function applyDefaults(d) {
  state.layers = structuredClone(d.layers);
  $('optimiser').value = d.optimiser;
  $('lr').value = d.lr;
  $('l2').value = d.l2;
  $('batch').value = d.batch;
  renderLayers();
}

function status(text) { $('status').textContent = text; }

// --- the network builder ----------------------------------------------------------------------

function option(value, label = value, selected = false) {
  const o = document.createElement('option');
  o.value = value; o.textContent = label; o.selected = selected;
  return o;
}

function control(labelText, el) {
  const label = document.createElement('label');
  label.append(labelText, el);
  return label;
}

function renderLayers() {
  const list = $('layers');
  list.replaceChildren();
  state.layers.forEach((l, i) => {
    const li = document.createElement('li');
    const n = document.createElement('span');
    n.className = 'n'; n.textContent = `${i + 1}`;
    li.append(n);
    const type = document.createElement('select');
    type.setAttribute('aria-label', `Layer ${i + 1} type`);
    type.append(option('dense', 'Dense', l.type === 'dense'));
    if (state.mnist) type.append(option('conv', 'Conv', l.type === 'conv'), option('pool', 'Max pool', l.type === 'pool'));
    type.addEventListener('change', () => {
      state.layers[i] = type.value === 'dense' ? { type: 'dense', units: 32, activation: 'ReLU' }
        : type.value === 'conv' ? { type: 'conv', filters: 8, kernel: 3, activation: 'ReLU' } : { type: 'pool', size: 2 };
      renderLayers(); setup();
    });
    li.append(type);
    const numberInput = (key, label, min, max) => {
      const input = document.createElement('input');
      input.type = 'number'; input.min = min; input.max = max; input.step = key === 'dropout' ? '0.05' : '1';
      input.value = l[key] ?? 0;
      input.setAttribute('aria-label', `Layer ${i + 1} ${label}`);
      input.addEventListener('change', () => {
        const v = Number(input.value);
        if (!(v >= min && v <= max)) { status(`Layer ${i + 1}: ${label} must be between ${min} and ${max}.`); input.value = l[key] ?? 0; return; }
        l[key] = v; setup();
      });
      li.append(control(`${label} `, input));
    };
    if (l.type === 'dense') numberInput('units', 'units', 1, 1024);
    if (l.type === 'conv') { numberInput('filters', 'filters', 1, 64); numberInput('kernel', 'kernel', 1, 7); }
    if (l.type === 'pool') numberInput('size', 'size', 2, 4);
    if (l.type !== 'pool') {
      const act = document.createElement('select');
      act.setAttribute('aria-label', `Layer ${i + 1} activation`);
      for (const a of state.available.activations) act.append(option(a, a, a === l.activation));
      act.addEventListener('change', () => { l.activation = act.value; setup(); });
      li.append(act);
    }
    if (l.type === 'dense') numberInput('dropout', 'dropout', 0, 0.9);
    if (l.type !== 'pool' && state.available.batchNorm) {
      const bn = document.createElement('input');
      bn.type = 'checkbox'; bn.checked = !!l.batchNorm;
      bn.setAttribute('aria-label', `Layer ${i + 1} batch norm`);
      bn.addEventListener('change', () => { l.batchNorm = bn.checked; setup(); });
      li.append(control('BN ', bn));
    }
    const remove = document.createElement('button');
    remove.type = 'button'; remove.className = 'remove'; remove.textContent = '×';
    remove.setAttribute('aria-label', `Remove layer ${i + 1}`);
    remove.addEventListener('click', () => { state.layers.splice(i, 1); renderLayers(); setup(); });
    li.append(remove);
    list.append(li);
  });
}

$('add-layer').addEventListener('click', () => {
  state.layers.push({ type: 'dense', units: 32, activation: state.available.activations[0] ?? 'ReLU' });
  renderLayers();
  setup();
});

// --- controls ---------------------------------------------------------------------------------

function setRunning(running) {
  state.running = running;
  const off = !state.ready || state.busy;
  $('start').disabled = off || running || state.pausing;
  $('pause').disabled = off || !running || state.pausing;
  $('step').disabled = off || running || state.pausing;
  $('reset').disabled = off;
  $('save-safetensors').disabled = off;
  $('save-onnx').disabled = off;
  $('load-file').disabled = off;
}

$('start').addEventListener('click', () => {
  const problem = validSettings();
  if (problem) { status(problem); return; }
  status('');
  setRunning(true);
  send({ type: 'start' });
});
$('pause').addEventListener('click', () => {
  state.pausing = true;
  setRunning(state.running);
  send({ type: 'pause' });
});
$('step').addEventListener('click', () => send({ type: 'step' }));
$('reset').addEventListener('click', () => { setRunning(false); send({ type: 'reset' }); });

$('dataset').addEventListener('change', () => {
  const mnist = $('dataset').value === 'mnist';
  if (mnist !== state.mnist) {
    state.mnist = mnist;
    applyDefaults(mnist ? MNIST_DEFAULTS : TOY_DEFAULTS);
    for (const el of document.querySelectorAll('.toy-only')) el.hidden = mnist;
    for (const el of document.querySelectorAll('.mnist-only')) el.hidden = !mnist;
    $('boundary-view').hidden = mnist;
    $('digit-view').hidden = !mnist;
  }
  setup();
});
for (const id of ['classes', 'per-class', 'val-split']) $(id).addEventListener('change', setup);
$('noise').addEventListener('input', () => { $('noise-value').textContent = num('noise').toFixed(2); });
$('noise').addEventListener('change', setup);
for (const id of ['loss', 'optimiser', 'lr', 'l2', 'batch', 'epochs']) {
  $(id).addEventListener('change', () => {
    const problem = validSettings();
    if (problem) { status(problem); return; }
    status('');
    send({ type: 'update', settings: settings() });
  });
}

// --- models out and in ------------------------------------------------------------------------

$('save-safetensors').addEventListener('click', () => send({ type: 'save', format: 'safetensors' }));
$('save-onnx').addEventListener('click', () => send({ type: 'save', format: 'onnx' }));
$('load-file').addEventListener('change', async () => {
  const file = $('load-file').files[0];
  if (!file) return;
  const bytes = await file.arrayBuffer();
  $('load-file').value = '';
  send({ type: 'load', bytes, name: file.name }, [bytes]);
});

function download(bytes, format) {
  const name = `simdnet-${$('dataset').value}.${format === 'onnx' ? 'onnx' : 'safetensors'}`;
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url; a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  status(`Saved ${name} (${bytes.length.toLocaleString('en')} bytes).`);
}

// --- the digit pad ----------------------------------------------------------------------------

const bars = [];
for (let d = 0; d < 10; d++) {
  const li = document.createElement('li');
  li.innerHTML = `<span>${d}</span><span class="bar"><span></span></span><span class="p">–</span>`;
  $('bars').append(li);
  bars.push(li);
}
let predictId = 0, lastPredict = 0;
const pad = drawingPad($('digit-canvas'), (done) => {
  const now = performance.now();
  if (!done && now - lastPredict < 80) return;
  lastPredict = now;
  const pixels = pad.pixels();
  if (pixels) send({ type: 'predict', pixels, id: ++predictId }, [pixels.buffer]);
});
function showProbabilities(probs) {
  let best = 0;
  for (let d = 0; d < 10; d++) if (probs && probs[d] > probs[best]) best = d;
  bars.forEach((li, d) => {
    li.querySelector('.bar span').style.width = probs ? `${(probs[d] * 100).toFixed(1)}%` : '0';
    li.querySelector('.p').textContent = probs ? probs[d].toFixed(2) : '–';
    li.classList.toggle('best', !!probs && d === best);
  });
  $('prediction').textContent = probs ? String(best) : '–';
}
$('digit-clear').addEventListener('click', () => { pad.clear(); showProbabilities(null); });
/** The drawing is asked about again after every change of weights. */
function repredict() {
  if (!state.mnist) return;
  const pixels = pad.pixels();
  if (pixels) send({ type: 'predict', pixels, id: ++predictId }, [pixels.buffer]);
}

// --- pictures ---------------------------------------------------------------------------------

const fmt = (v, digits = 3) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
let frame = 0;
const dirty = { charts: false, boundary: false, points: false };
/** Redraws what changed, at most once per animation frame. */
function redraw(what) {
  dirty[what] = true;
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    if (dirty.charts) {
      drawChart($('loss-chart'), [
        { data: charts.loss, color: '#2e5fd8' }, { data: charts.valLoss, color: '#e4572e'},
      ], { format: (v) => v.toFixed(2) });
      drawChart($('acc-chart'), [
        { data: charts.acc, color: '#2e5fd8' }, { data: charts.valAcc, color: '#e4572e'},
      ], { yMax: 1, format: (v) => v.toFixed(2) });
      // What the test (and anyone curious) can read without decoding pixels.
      $('loss-chart').dataset.points = charts.loss.points.length;
      $('loss-chart').dataset.first = charts.loss.first ?? '';
      $('loss-chart').dataset.last = charts.loss.last ?? '';
    }
    if (dirty.boundary && !state.mnist) drawField($('boundary'), state.field);
    if (dirty.points) drawPoints($('points'), state.mnist ? null : state.points);
    dirty.charts = dirty.boundary = dirty.points = false;
  });
}

function showRuntime() {
  const r = state.runtime;
  if (!r) return;
  const { stepsPerSec, samplesPerSec } = state.speed;
  $('runtime').textContent = `build ${r.variant} · ${r.threads} thread${r.threads === 1 ? '' : 's'}`
    + `${r.crossOriginIsolated ? ' · cross-origin isolated' : ''}`
    + ` · ${Math.round(stepsPerSec).toLocaleString('en')} steps/s · ${Math.round(samplesPerSec).toLocaleString('en')} samples/s`;
  $('runtime').dataset.variant = r.variant;
  $('runtime').dataset.threads = r.threads;
}

function progress(m) {
  if (m.loss !== null && m.loss !== undefined) charts.loss.push(m.steps, m.loss);
  if (m.accuracy !== null && m.accuracy !== undefined && m.steps > 0) charts.acc.push(m.steps, m.accuracy);
  if (m.valLoss !== undefined && m.steps > 0) charts.valLoss.push(m.steps, m.valLoss);
  if (m.valAccuracy !== undefined && m.steps > 0) charts.valAcc.push(m.steps, m.valAccuracy);
  $('steps').textContent = m.steps.toLocaleString('en');
  $('epoch').textContent = m.epoch;
  if (m.loss !== null && m.loss !== undefined) $('loss-value').textContent = fmt(m.loss);
  $('accuracy').textContent = fmt(m.accuracy);
  if (m.valAccuracy !== undefined) $('val-accuracy').textContent = fmt(m.valAccuracy);
  if (m.stepsPerSec !== undefined) state.speed = { stepsPerSec: m.stepsPerSec, samplesPerSec: m.samplesPerSec };
  showRuntime();
  if (state.running !== m.running) setRunning(m.running);
  redraw('charts');
  if (!m.running || m.steps % 20 === 0) repredict();
}

worker.onmessage = ({ data: m }) => {
  switch (m.type) {
    case 'ready':
      performance.mark('simdnet-ready'); // the Worker has loaded simdnet and its .wasm
      state.runtime = m.runtime;
      state.available = m.available;
      for (const o of m.available.optimisers) $('optimiser').append(option(o, o, o === 'Adam'));
      renderLayers();
      showRuntime();
      setup();
      break;
    case 'setup':
      state.k = m.k;
      state.points = m.points;
      state.field = null;
      $('boundary').dataset.palette = PALETTE.slice(0, m.k).join(',');
      redraw('boundary');
      redraw('points');
      $('out-k').textContent = m.k;
      if (!state.ready) performance.mark('playground-ready'); // data and model in place: Start works
      state.ready = true;
      state.busy = false;
      document.documentElement.dataset.ready = m.dataset;
      setRunning(false);
      break;
    case 'cleared':
      for (const s of Object.values(charts)) s.clear();
      $('param-count').textContent = m.params.toLocaleString('en');
      $('val-accuracy').textContent = '–';
      state.speed = { stepsPerSec: 0, samplesPerSec: 0 };
      break;
    case 'state':
      state.pausing = false;
      setRunning(m.running);
      break;
    case 'progress':
      progress(m);
      break;
    case 'field':
      state.field = m;
      $('boundary').dataset.hash = m.hash;
      redraw('boundary');
      break;
    case 'filters':
      drawFilters($('filters'), m);
      break;
    case 'prediction':
      if (m.id === predictId) showProbabilities(m.probs);
      break;
    case 'file':
      download(m.bytes, m.format);
      break;
    case 'status':
      status(m.text);
      break;
    case 'error':
      status(m.message);
      setRunning(state.running && !/loss became/.test(m.message));
      break;
    default:
      break;
  }
};
worker.onerror = (e) => status(`The training worker failed: ${e.message ?? 'see the console'}`);
send({ type: 'init' });
renderLayers();
redraw('charts');
