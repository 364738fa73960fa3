// The draw-a-digit canvas: pointer events (mouse, pen or finger) draw white strokes on black,
// and `toMnist` turns the drawing into what the network was trained on: MNIST digits are
// size-normalised to fit a 20×20 box (aspect kept) and centred by their centre of mass in 28×28.

export function drawingPad(canvas, onChange) {
  const ctx = canvas.getContext('2d');
  const clear = () => { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, canvas.width, canvas.height); };
  clear();
  let last = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * canvas.width, ((e.clientY - r.top) / r.height) * canvas.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    stroke(last, last);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    stroke(last, p);
    last = p;
    onChange(false);
  });
  const end = () => { if (last) { last = null; onChange(true); } };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  function stroke(a, b) {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = canvas.width / 13;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  }
  return { clear, pixels: () => toMnist(ctx.getImageData(0, 0, canvas.width, canvas.height)) };
}

/** 28×28 float32 in [0, 1] as MNIST, or null for an empty canvas. */
export function toMnist({ data, width, height }) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[4 * (y * width + x)] > 20) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
    }
  }
  if (x1 < 0) return null;
  // The box, scaled so its longer side is 20 pixels; each target pixel averages the source area it covers.
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const scale = 20 / side;
  const w = Math.max(1, Math.round((x1 - x0 + 1) * scale)), h = Math.max(1, Math.round((y1 - y0 + 1) * scale));
  const small = new Float32Array(w * h);
  const count = new Float32Array(w * h);
  for (let y = y0; y <= y1; y++) {
    const ty = Math.min(h - 1, Math.floor((y - y0) * scale));
    for (let x = x0; x <= x1; x++) {
      const tx = Math.min(w - 1, Math.floor((x - x0) * scale));
      small[ty * w + tx] += data[4 * (y * width + x)] / 255;
      count[ty * w + tx]++;
    }
  }
  let mass = 0, cx = 0, cy = 0;
  for (let i = 0; i < w * h; i++) {
    small[i] = count[i] ? small[i] / count[i] : 0;
    mass += small[i]; cx += small[i] * (i % w); cy += small[i] * Math.floor(i / w);
  }
  // Centre of mass at (14, 14), as the MNIST preprocessing did.
  const ox = Math.round(14 - (mass ? cx / mass : w / 2) - 0.5), oy = Math.round(14 - (mass ? cy / mass : h / 2) - 0.5);
  const out = new Float32Array(28 * 28);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const X = x + ox, Y = y + oy;
      if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = Math.min(1, small[y * w + x]);
    }
  }
  return out;
}
