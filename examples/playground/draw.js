// The pictures, drawn on the page's thread from what the Worker sends: line charts, the decision
// field with the points on top, and the first conv layer's filters. Each is a few thousand
// pixels of work, well under a millisecond.

export const PALETTE = ['#e4572e', '#2e86ab', '#f3a712', '#4daa57', '#8e5ea2', '#17becf'];
const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const PALETTE_RGB = PALETTE.map(rgb);

/** A series of [x, y] points that keeps at most `max` by averaging neighbours when it grows. */
export class Series {
  constructor(max = 400) { this.max = max; this.points = []; }
  push(x, y) {
    this.points.push([x, y]);
    if (this.points.length > this.max) {
      const p = this.points, out = [];
      for (let i = 0; i + 1 < p.length; i += 2) out.push([p[i + 1][0], (p[i][1] + p[i + 1][1]) / 2]);
      if (p.length % 2) out.push(p[p.length - 1]);
      this.points = out;
    }
  }
  clear() { this.points = []; }
  get first() { return this.points.length ? this.points[0][1] : null; }
  get last() { return this.points.length ? this.points[this.points.length - 1][1] : null; }
}

/** Training and validation curves over steps, y from 0 (or yMin) to the max seen. */
export function drawChart(canvas, series, { yMax = null, format = (v) => v.toFixed(2) } = {}) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height;
  const L = 40, R = 8, T = 8, B = 20;
  ctx.clearRect(0, 0, W, H);
  const all = series.flatMap((s) => s.data.points);
  let xMax = 1, top = yMax ?? 0;
  for (const [x, y] of all) { if (x > xMax) xMax = x; if (yMax === null && y > top) top = y; }
  if (!(top > 0)) top = 1;
  const px = (x) => L + (x / xMax) * (W - L - R);
  const py = (y) => T + (1 - Math.min(y, top) / top) * (H - T - B);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#5b6474';
  ctx.strokeStyle = '#e3e7ee';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4, y = Math.round(py(v)) + 0.5;
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - R, y); ctx.stroke();
    ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
    ctx.fillText(format(v), L - 4, y);
  }
  ctx.textAlign = 'right'; ctx.textBaseline = 'bottom';
  ctx.fillText(`step ${xMax}`, W - R, H - 2);
  for (const s of series) {
    const pts = s.data.points;
    if (pts.length === 0) continue;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
    ctx.stroke();
    if (pts.length === 1) { ctx.beginPath(); ctx.arc(px(pts[0][0]), py(pts[0][1]), 2.5, 0, 7); ctx.fill(); }
  }
}

/**
 * The decision field: each grid cell in its class's colour, mixed with white by how unsure the
 * network is. One pixel per cell; CSS scales the canvas up, off the page's thread.
 */
export function drawField(canvas, field) {
  const ctx = canvas.getContext('2d');
  if (!field) { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, canvas.width, canvas.height); return; }
  const { grid: g, k, probs } = field;
  if (canvas.width !== g) { canvas.width = g; canvas.height = g; }
  const img = new ImageData(g, g);
  for (let i = 0; i < g * g; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    const conf = (probs[i * k + best] - 1 / k) / (1 - 1 / k); // 0 at chance, 1 when certain
    const a = 0.25 + 0.45 * Math.max(0, conf);
    const col = PALETTE_RGB[best % PALETTE_RGB.length];
    for (let j = 0; j < 3; j++) img.data[4 * i + j] = Math.round(255 * (1 - a) + col[j] * a);
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** The points over [lo, hi]²: filled dots for training, rings for validation (null clears). */
export function drawPoints(canvas, points, lo = -1.1, hi = 1.1) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (points) dots(ctx, canvas.width, canvas.height, points, lo, hi);
}

function dots(ctx, W, H, points, lo, hi) {
  const sx = (v) => ((v - lo) / (hi - lo)) * W, sy = (v) => ((hi - v) / (hi - lo)) * H;
  const dot = ({ x, y }, ring) => {
    for (let i = 0; i < y.length; i++) {
      ctx.beginPath();
      ctx.arc(sx(x[2 * i]), sy(x[2 * i + 1]), ring ? 3.6 : 3.4, 0, 2 * Math.PI);
      ctx.fillStyle = ring ? '#fff' : PALETTE[y[i] % PALETTE.length];
      ctx.strokeStyle = ring ? PALETTE[y[i] % PALETTE.length] : '#fff';
      ctx.lineWidth = ring ? 2 : 1;
      ctx.fill();
      ctx.stroke();
    }
  };
  dot(points.train, false);
  dot(points.val, true);
}

/** Each filter of the first conv layer (first input channel) as a grey image, scaled per filter. */
export function drawFilters(canvas, { shape, data }) {
  const [out, inC, kh, kw] = shape;
  const cell = Math.max(4, Math.floor(36 / Math.max(kh, kw)));
  const perRow = Math.max(1, Math.floor(320 / (kw * cell + 4)));
  const rows = Math.ceil(out / perRow);
  canvas.width = perRow * (kw * cell + 4);
  canvas.height = rows * (kh * cell + 4);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let f = 0; f < out; f++) {
    const base = f * inC * kh * kw;
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < kh * kw; i++) { min = Math.min(min, data[base + i]); max = Math.max(max, data[base + i]); }
    const ox = (f % perRow) * (kw * cell + 4) + 2, oy = Math.floor(f / perRow) * (kh * cell + 4) + 2;
    for (let r = 0; r < kh; r++) {
      for (let c = 0; c < kw; c++) {
        const v = max > min ? Math.round((255 * (data[base + r * kw + c] - min)) / (max - min)) : 128;
        ctx.fillStyle = `rgb(${v},${v},${v})`;
        ctx.fillRect(ox + c * cell, oy + r * cell, cell, cell);
      }
    }
  }
}
