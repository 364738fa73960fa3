// A small hand-written SVG of the ratios: for every timed row, how many times faster simdnet's
// SIMD build is than each WebAssembly/JavaScript peer (bars on a log scale, 1× marked).
const PEERS = [['tfjs-wasm', '#e8710a'], ['tfjs-cpu', '#f6c26b'], ['ort-web', '#1a73e8'], ['convnetjs', '#7cb342']];

const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function chartSvg(rows, { title, base = 'simdnet-simd' }) {
  const data = rows.filter((r) => r.ratios?.[base]).map((r) => ({
    label: clip(`${r.group}: ${r.case}`, 68),
    bars: PEERS.map(([peer, color]) => ({ peer, color, v: r.ratios[base][peer] })).filter((b) => b.v > 0),
  })).filter((d) => d.bars.length);
  const barH = 5, gap = 8, labelW = 380, plotW = 420, top = 56, left = labelW + 10;
  const rowH = (d) => d.bars.length * barH + gap;
  const height = top + data.reduce((s, d) => s + rowH(d), 0) + 40;
  const width = left + plotW + 70;
  const lo = -1, hi = 3; // 0.1× … 1000×
  const x = (v) => left + ((Math.log10(Math.min(Math.max(v, 10 ** lo), 10 ** hi)) - lo) / (hi - lo)) * plotW;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="10">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="10" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="10" y="34" fill="#555">${esc(base)} speed ÷ peer speed (log scale; right of the 1× line: simdnet faster)</text>`);
  PEERS.forEach(([peer, color], i) => {
    out.push(`<rect x="${left + i * 100}" y="42" width="10" height="8" fill="${color}"/><text x="${left + i * 100 + 14}" y="50">${peer}</text>`);
  });
  for (let e = lo; e <= hi; e++) {
    const gx = x(10 ** e);
    out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 30}" stroke="${e === 0 ? '#000' : '#ddd'}" stroke-width="${e === 0 ? 1.2 : 1}"/>`);
    out.push(`<text x="${gx}" y="${height - 18}" text-anchor="middle">${10 ** e}×</text>`);
  }
  let y = top;
  for (const d of data) {
    out.push(`<text x="${labelW}" y="${y + (d.bars.length * barH) / 2 + 3}" text-anchor="end">${esc(d.label)}</text>`);
    for (const b of d.bars) {
      const x0 = x(1), x1 = x(b.v);
      out.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y}" width="${Math.max(0.5, Math.abs(x1 - x0)).toFixed(1)}" height="${barH - 1}" fill="${b.color}"><title>${esc(`${d.label} vs ${b.peer}: ${b.v.toFixed(2)}×`)}</title></rect>`);
      y += barH;
    }
    y += gap;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
