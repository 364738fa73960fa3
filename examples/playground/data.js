// The data sets: the toy 2-D sets of the CS231n notes and TensorFlow Playground, generated here
// from a seeded generator (the same points every time for the same settings), and MNIST from the
// IDX files the dev server serves (a 10,000-image slice of the training file, a 2,000-image
// slice of the test file; examples/shared/mnist.mjs describes the format).

/** mulberry32: a small seeded generator, so a data set is the same on every load. */
export function rng(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

export const TOY_SETS = {
  spiral: { label: 'Spiral', classes: true },
  circles: { label: 'Circles', classes: false },
  xor: { label: 'XOR', classes: false },
  blobs: { label: 'Gaussian blobs', classes: true },
};

/**
 * A toy set in [-1, 1]²: { x: Float32Array (n × 2), y: Int32Array, k }. `noise` is the spread
 * of the points (the notes' spiral uses 0.2 on the angle); `perClass` points per class.
 */
export function toySet(name, { classes = 3, noise = 0.2, perClass = 100, seed = 1 } = {}) {
  const r = rng(seed);
  const pts = [];
  const push = (a, b, c) => pts.push([a, b, c]);
  if (name === 'spiral') {
    // The notes' generator: radius linspace(0, 1), angle linspace(4j, 4(j+1)) + noise (scaled to K).
    for (let j = 0; j < classes; j++) {
      for (let i = 0; i < perClass; i++) {
        const rad = i / (perClass - 1);
        const t = (j * 4 + (4 * i) / (perClass - 1)) * (3 / classes) + r.normal() * noise;
        push(rad * Math.sin(t), rad * Math.cos(t), j);
      }
    }
  } else if (name === 'circles') {
    classes = 2;
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < perClass; i++) {
        const rad = (j === 0 ? r.uniform() * 0.4 : 0.65 + r.uniform() * 0.3) + r.normal() * noise * 0.25;
        const t = r.uniform() * 2 * Math.PI;
        push(rad * Math.sin(t), rad * Math.cos(t), j);
      }
    }
  } else if (name === 'xor') {
    classes = 2;
    for (let i = 0; i < perClass * 2; i++) {
      let a = r.uniform() * 1.8 - 0.9, b = r.uniform() * 1.8 - 0.9;
      a += a > 0 ? 0.05 : -0.05; // keep the quadrants apart, as TensorFlow Playground does
      b += b > 0 ? 0.05 : -0.05;
      push(a + r.normal() * noise * 0.5, b + r.normal() * noise * 0.5, (a > 0) === (b > 0) ? 0 : 1);
    }
  } else if (name === 'blobs') {
    for (let j = 0; j < classes; j++) {
      const angle = (2 * Math.PI * j) / classes + 0.3;
      const cx = 0.55 * Math.cos(angle), cy = 0.55 * Math.sin(angle);
      for (let i = 0; i < perClass; i++) push(cx + r.normal() * (0.08 + noise), cy + r.normal() * (0.08 + noise), j);
    }
  } else {
    throw new Error(`unknown data set '${name}'`);
  }
  const x = new Float32Array(pts.length * 2);
  const y = new Int32Array(pts.length);
  pts.forEach(([a, b, c], i) => { x[2 * i] = a; x[2 * i + 1] = b; y[i] = c; });
  return { x, y, k: classes };
}

/** Shuffles once (seeded) and splits off the last `valFraction` as validation. */
export function split({ x, y, k }, valFraction, seed = 7) {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const r = rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r.uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nVal = Math.round(n * valFraction);
  const take = (idx) => {
    const d = x.length / n;
    const xs = new Float32Array(idx.length * d);
    const ys = new Int32Array(idx.length);
    idx.forEach((src, i) => { xs.set(x.subarray(src * d, src * d + d), i * d); ys[i] = y[src]; });
    return { x: xs, y: ys, n: idx.length };
  };
  return { train: take(order.slice(nVal)), val: take(order.slice(0, nVal)), k, features: x.length / n, shape: [x.length / n] };
}

/** Parses an IDX file (big-endian magic 0x801 labels / 0x803 images, counts, raw bytes). */
export function parseIdx(buffer, magic, name) {
  const view = new DataView(buffer);
  if (buffer.byteLength < 8 || view.getUint32(0) !== magic) throw new Error(`${name}: not an IDX file with magic ${magic.toString(16)}`);
  const dims = [];
  for (let i = 0; i < (magic & 0xff); i++) dims.push(view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * dims.length;
  const size = dims.reduce((a, b) => a * b, 1);
  if (buffer.byteLength !== offset + size) throw new Error(`${name}: expected ${offset + size} bytes, found ${buffer.byteLength}`);
  return { dims, bytes: new Uint8Array(buffer, offset, size) };
}

/** Fetches one MNIST slice from `base` (…/mnist/): images as float32 in [0, 1], labels. */
export async function loadMnist(base, part /* 'train' | 'val' */) {
  const get = async (file) => {
    const res = await fetch(new URL(file, base));
    if (!res.ok) throw new Error(`MNIST: could not load ${file}: HTTP ${res.status}`);
    return res.arrayBuffer();
  };
  const [img, lab] = await Promise.all([get(`${part}-images.idx`), get(`${part}-labels.idx`)]);
  const images = parseIdx(img, 0x803, `${part}-images.idx`);
  const labels = parseIdx(lab, 0x801, `${part}-labels.idx`);
  const n = images.dims[0];
  if (labels.dims[0] !== n) throw new Error(`MNIST ${part}: ${n} images but ${labels.dims[0]} labels`);
  const x = new Float32Array(images.bytes.length);
  for (let i = 0; i < x.length; i++) x[i] = images.bytes[i] / 255;
  return { x, y: Int32Array.from(labels.bytes), n };
}
