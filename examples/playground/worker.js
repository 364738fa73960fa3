// The training Worker: everything that touches simdnet runs here, so the page's thread only
// draws. It trains in slices of ~30 ms and yields between them (through a MessageChannel, which
// the 4 ms timer clamp does not slow), so Pause, Step, a drawn digit or a download are answered
// within one slice. Progress goes out ~10 times a second, the decision field ~6 times a second.
import { init, runtimeInfo } from 'simdnet';
import { Trainer } from './trainer.js';
import { available } from './model.js';
import { toySet, split, loadMnist } from './data.js';

const SLICE_MS = 30;
const REPORT_MS = 200;
const FIELD_MS = 200;
const FIELD_GRID = 64;

let trainer = null;
let isMnist = false;
let running = false;
let mnist = null; // the loaded slices, kept across resets
let setupId = 0;
let latest = null; // the newest settings, including updates that arrive while MNIST loads
let resets = 0;
let tick = newTick();
let lastReport = 0, lastField = 0, lastVal = 0;
// MNIST's validation split (2,000 digits) takes a CNN 0.3-1 s: while training runs it is measured
// 250 digits per slice, so Pause or a drawn digit still gets an answer within a slice.
const VAL_CHUNK = 250;
let valRun = null; // { from, lossSum, correct } of a measurement in progress
let valDone = null; // { loss, accuracy } for the next report
let stats = { steps: 0, samples: 0, ms: 0 }; // speed: training time only, not evaluation or drawing

const post = (msg, transfer = []) => self.postMessage(msg, transfer);
// Loading starts with the Worker, not with the page's first message.
const loading = init();
loading.catch(() => {}); // reported when the page asks, below
const fail = (err) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) });

function newTick() {
  return { lossSum: 0, steps: 0 };
}

const yieldPort = new MessageChannel();
yieldPort.port1.onmessage = () => loop();
const later = () => yieldPort.port2.postMessage(0);

/** FNV-1a over the bytes: a short fingerprint of the predictions, to compare two models by. */
function fingerprint(f32) {
  const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function runtime() {
  const info = runtimeInfo();
  return {
    variant: info.variant,
    threads: typeof info.threads === 'number' ? info.threads : 1,
    crossOriginIsolated: self.crossOriginIsolated === true,
  };
}

function sendField() {
  if (isMnist || !trainer) return;
  const probs = trainer.field(FIELD_GRID);
  post({ type: 'field', grid: FIELD_GRID, k: trainer.data.k, probs, hash: fingerprint(probs) }, [probs.buffer]);
  lastField = performance.now();
}

function sendFilters() {
  const filters = trainer?.firstFilters();
  if (filters) post({ type: 'filters', ...filters }, [filters.data.buffer]);
}

/** Losses and accuracies since the last report, plus speed. `full` also evaluates validation. */
function report(full) {
  const now = performance.now();
  const msg = {
    type: 'progress', running, steps: trainer.steps, samples: trainer.samples, epoch: trainer.epoch,
    loss: tick.steps > 0 ? tick.lossSum / tick.steps : null,
    accuracy: trainer.trainAccuracy(),
  };
  if (full || !isMnist) {
    const v = trainer.evaluate(trainer.data.val);
    if (v) { msg.valLoss = v.loss; msg.valAccuracy = v.accuracy; }
    lastVal = performance.now();
    valRun = valDone = null;
  } else if (valDone) {
    msg.valLoss = valDone.loss;
    msg.valAccuracy = valDone.accuracy;
    valDone = null;
  }
  if (stats.ms > 150) {
    msg.stepsPerSec = (1000 * (trainer.steps - stats.steps)) / stats.ms;
    msg.samplesPerSec = (1000 * (trainer.samples - stats.samples)) / stats.ms;
    stats = { steps: trainer.steps, samples: trainer.samples, ms: 0 };
  }
  post(msg);
  tick = newTick();
  lastReport = now;
  if (isMnist) sendFilters();
}

/** One step; false (and paused) when the loss went non-finite, running false at the epoch limit. */
function step() {
  const r = trainer.step();
  if (!Number.isFinite(r.loss)) {
    running = false;
    post({ type: 'error', message: `the loss became ${r.loss} at step ${trainer.steps}: lower the learning rate and press Reset` });
    return false;
  }
  tick.lossSum += r.loss;
  tick.steps++;
  if (r.epochEnded) {
    if (isMnist && !valRun) valRun = { from: 0, lossSum: 0, correct: 0 };
    const limit = trainer.settings.epochs;
    if (limit > 0 && trainer.epoch >= limit) running = false;
  }
  return true;
}

/** The next chunk of a running validation measurement (MNIST), started every 2 s and at epoch ends. */
function validateChunk() {
  const val = trainer.data.val;
  if (!valRun && performance.now() - lastVal > 2000) valRun = { from: 0, lossSum: 0, correct: 0 };
  if (!valRun) return;
  const to = Math.min(val.n, valRun.from + VAL_CHUNK);
  const { lossSum, correct } = trainer.scoreRange(val, valRun.from, to);
  valRun.lossSum += lossSum;
  valRun.correct += correct;
  valRun.from = to;
  if (to === val.n) {
    valDone = { loss: valRun.lossSum / val.n, accuracy: valRun.correct / val.n };
    valRun = null;
    lastVal = performance.now();
  }
}

function loop() {
  if (!running || !trainer) return;
  try {
    const t0 = performance.now();
    while (running && performance.now() - t0 < SLICE_MS) if (!step()) break;
    stats.ms += performance.now() - t0;
    if (running && isMnist) validateChunk();
    const now = performance.now();
    if (now - lastReport >= REPORT_MS || !running) report(!running);
    if (now - lastField >= FIELD_MS || !running) sendField();
  } catch (err) {
    running = false;
    fail(err);
    report(true);
  }
  if (running) later();
}

async function setup({ dataset, settings }) {
  const id = ++setupId;
  latest = settings;
  running = false;
  trainer?.dispose();
  trainer = null; // nothing to start or step until the new data is here
  isMnist = dataset.name === 'mnist';
  let data;
  if (isMnist) {
    if (!mnist) {
      post({ type: 'status', text: 'Loading MNIST (10,000 training and 2,000 validation digits)…' });
      const base = new URL('mnist/', self.location.href);
      const [train, val] = await Promise.all([loadMnist(base, 'train'), loadMnist(base, 'val')]);
      mnist = { train, val, k: 10, shape: [1, 28, 28] };
      post({ type: 'status', text: '' });
    }
    data = mnist;
  } else {
    data = split(toySet(dataset.name, dataset), dataset.valFraction);
  }
  if (id !== setupId) return; // a newer setup arrived while MNIST loaded
  trainer = new Trainer(data, { ...latest, seed: 1 + resets });
  post({
    type: 'setup', dataset: dataset.name, k: data.k, mnist: isMnist, train: data.train.n, val: data.val.n,
    points: isMnist ? null : { train: { x: data.train.x, y: data.train.y }, val: { x: data.val.x, y: data.val.y } },
  });
  restart();
}

/** Counters and charts start over (after setup or Reset). */
function restart() {
  tick = newTick();
  stats = { steps: 0, samples: 0, ms: 0 };
  post({ type: 'cleared', params: trainer.model.parameters().reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0) });
  report(true);
  sendField();
  sendFilters();
}

self.onmessage = async ({ data: msg }) => {
  try {
    switch (msg.type) {
      case 'init':
        await loading;
        post({ type: 'ready', runtime: runtime(), available: available() });
        break;
      case 'setup':
        await setup(msg);
        break;
      case 'update':
        latest = { ...latest, ...msg.settings };
        trainer?.update(msg.settings);
        break;
      case 'start':
        if (trainer && !running) {
          running = true;
          stats = { steps: trainer.steps, samples: trainer.samples, ms: 0 };
          post({ type: 'state', running });
          later();
        }
        break;
      case 'pause':
        if (running) {
          running = false;
          report(true);
          sendField();
        }
        post({ type: 'state', running });
        break;
      case 'step':
        if (trainer && !running) {
          step();
          report(true);
          sendField();
        }
        break;
      case 'reset':
        if (trainer) {
          running = false;
          resets++;
          trainer.reset(1 + resets);
          restart();
        }
        break;
      case 'predict': {
        if (!trainer) break;
        const probs = trainer.probabilities(msg.pixels, 1);
        post({ type: 'prediction', id: msg.id, probs }, [probs.buffer]);
        break;
      }
      case 'save': {
        if (!trainer) throw new Error('no model yet: wait for the data to load');
        const bytes = msg.format === 'onnx' ? trainer.saveOnnx() : trainer.saveSafetensors();
        post({ type: 'file', format: msg.format, bytes }, [bytes.buffer]);
        break;
      }
      case 'load':
        if (!trainer) throw new Error('no model yet: wait for the data to load');
        trainer.loadSafetensors(new Uint8Array(msg.bytes));
        post({ type: 'status', text: `Loaded ${msg.name}.` });
        report(true);
        sendField();
        sendFilters();
        break;
      default:
        throw new Error(`worker: unknown message '${msg.type}'`);
    }
  } catch (err) {
    fail(err);
  }
};
