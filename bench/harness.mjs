// Runs one case on every column: prepare (untimed: data copied in, layouts converted, sessions and
// models built), one run whose outputs must agree with the float64 reference (else it throws), then
// adaptive timing (bench/lib.mjs) of the same prepared case, then dispose. Columns run one after
// another inside the case, so a row's figures are measured side by side within seconds.
//
// passes > 1 splits each column's budget into that many passes over all the columns, in
// alternating order (A B C, C B A, A B C, …), each re-preparing its case and warming it up again,
// and a column's median is over the samples of all its passes. On the shared 2-vCPU VM the
// machine's speed drifts by 2× and more within seconds; timed in one block, a column measured in
// a slow stretch lost against one measured in a fast stretch (relu 64×1000 ranged 0.83–1.5×
// tfjs-wasm between runs). Spread over the row's whole duration, drift weighs on every column alike.
import { implementations } from './peers/index.mjs';
import { timeSamples, timeSamplesAsync, summary, check, budget } from './lib.mjs';
import { args, envVar } from './platform.mjs';

const STRICT = args.includes('--strict');

/**
 * row:      { group, case, unit, ... } — results, notes and unsupported reasons are filled in
 * kind:     the adapter case (see bench/peers/README.md)
 * spec:     its inputs
 * expected: { output: [float64 reference, tolerance] }, or (semantics) => that, for a prepared
 *           case that declares a documented semantic difference (e.g. 'excludePad')
 * toUnit:   per-call ms summary → the row's unit (default: ms as is)
 * checkSpec: when given, the check runs on a separate instance prepared from it (the training rows
 *           check with dropout off, then time with dropout on)
 * only:     (column name) => whether to run that column (default: all)
 * passes:   see above (default 1: each column timed in one block)
 */
export async function measureCase(row, kind, spec, { expected, toUnit = (t) => t, checkSpec, variants, timing = {}, only = () => true, passes = 1 }) {
  row.results ??= {};
  row.notes ??= {};
  const label = `${row.group}: ${row.case}`;
  const columns = [];
  for (const impl of await implementations(variants)) {
    if (!only(impl.name)) continue;
    const entry = impl.cases[kind];
    if (entry === undefined || typeof entry === 'string') {
      row.results[impl.name] = { unsupported: entry ?? 'not available' };
      continue;
    }
    row.results[impl.name] = {}; // keeps the column's place in the table until it is timed
    columns.push({ impl, entry, ms: [], reps: 0, priorMs: 0, checked: false });
  }
  const budgetMs = (timing.budgetMs ?? budget.ms) / passes;
  const perPass = passes === 1 ? {} : {
    budgetMs, minSamples: Math.ceil((timing.minSamples ?? 7) / passes), maxSamples: Math.ceil((timing.maxSamples ?? 31) / passes),
  };
  for (let pass = 0; pass < passes; pass++) {
    for (const c of pass % 2 ? [...columns].reverse() : columns) {
      if (c.dropped) continue;
      const p = await prepareChecked(c, row, label, spec, checkSpec, expected);
      if (!p) { c.dropped = true; continue; }
      try {
        globalThis.gc?.(); // (Node with --expose-gc, as bench/run.mjs starts it) the previous column's garbage is not this one's to collect
        // p.warmupMs: the column asks for a longer warm-up (simdnet on a pool it has just started)
        const opts = { ...timing, ...perPass, priorMs: c.priorMs, ...(p.warmupMs ? { warmupMs: p.warmupMs } : {}) };
        const { ms, reps } = p.async ? await timeSamplesAsync(p.run, opts) : timeSamples(p.run, opts);
        c.ms.push(...ms);
        c.reps = Math.max(c.reps, reps);
        c.priorMs = 0; // later passes warm up afresh
        c.note = p.note;
        c.semantics = p.semantics;
      } finally {
        await p.dispose();
      }
    }
  }
  for (const { impl, dropped, ms, reps, note, semantics } of columns) {
    if (dropped) continue;
    const t = summary(ms, reps);
    row.results[impl.name] = { ...toUnit(t), ms: t.median, samples: t.samples, reps: t.reps, ...(passes > 1 ? { passes } : {}), ...(semantics ? { semantics } : {}) };
    if (note) row.notes[impl.name] = note;
    if (envVar('BENCH_VERBOSE')) console.error(`  ${label} · ${impl.name}: ${row.results[impl.name].median?.toFixed?.(3)} ${row.unit}`);
  }
  return row;
}

/**
 * The column's prepared case for timing. The first time, it is checked against the reference
 * first (on an instance of its own when checkSpec is given): a disagreement of simdnet or the
 * plain-JS baseline throws; a peer's (or, with --strict, any) is reported loudly in its cell, on
 * stderr and in the JSON, and the column is not timed (null), nor is an unsupported one.
 */
async function prepareChecked(c, row, label, spec, checkSpec, expected) {
  const { impl, entry } = c;
  const verify = async (p) => {
    const t0 = performance.now();
    await p.run();
    c.priorMs = performance.now() - t0;
    const want = typeof expected === 'function' ? expected(p.semantics) : expected;
    const got = await p.outputs();
    check(label, impl.name, Object.entries(want).map(([name, [ref, tol]]) => [name, got[name], ref, tol]));
  };
  const wrong = (err, p) => {
    if (!err.disagreement || STRICT || !['peer', 'native'].includes(impl.role)) throw err;
    console.error(`DISAGREEMENT (not timed): ${err.message}`);
    row.results[impl.name] = { wrong: err.disagreement };
    if (p?.note) row.notes[impl.name] = p.note;
  };
  if (c.checked) return entry(spec);
  c.checked = true;
  let p;
  if (checkSpec) {
    const ch = await entry(checkSpec);
    if (ch.unsupported) { row.results[impl.name] = ch; return null; }
    try { await verify(ch); } catch (err) { wrong(err, ch); return null; } finally { await ch.dispose(); }
    p = await entry(spec);
  } else {
    p = await entry(spec);
    if (p.unsupported) { row.results[impl.name] = p; return null; }
    try { await verify(p); } catch (err) { await p.dispose(); wrong(err, p); return null; }
  }
  return p;
}
