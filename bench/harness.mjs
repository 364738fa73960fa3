// Runs one case on every column: prepare (untimed: data copied in, layouts converted, sessions and
// models built), one run whose outputs must agree with the float64 reference (else it throws), then
// adaptive timing (bench/lib.mjs) of the same prepared case, then dispose. Columns run one after
// another inside the case, so a row's figures are measured side by side within seconds.
import { implementations } from './peers/index.mjs';
import { time, timeAsync, check } from './lib.mjs';
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
 */
export async function measureCase(row, kind, spec, { expected, toUnit = (t) => t, checkSpec, variants, timing = {}, only = () => true }) {
  row.results ??= {};
  row.notes ??= {};
  for (const impl of await implementations(variants)) {
    if (!only(impl.name)) continue;
    const entry = impl.cases[kind];
    if (entry === undefined || typeof entry === 'string') {
      row.results[impl.name] = { unsupported: entry ?? 'not available' };
      continue;
    }
    const label = `${row.group}: ${row.case}`;
    let priorMs = 0;
    const verify = async (p) => {
      const t0 = performance.now();
      await p.run();
      priorMs = performance.now() - t0;
      const want = typeof expected === 'function' ? expected(p.semantics) : expected;
      const got = await p.outputs();
      check(label, impl.name, Object.entries(want).map(([name, [ref, tol]]) => [name, got[name], ref, tol]));
    };
    // simdnet's and the plain-JS baseline's disagreement stops the run; a peer's (or, with
    // --strict, any) is reported loudly in its cell, on stderr and in the JSON, and not timed
    const wrong = (err, p) => {
      if (!err.disagreement || STRICT || !['peer', 'native'].includes(impl.role)) throw err;
      console.error(`DISAGREEMENT (not timed): ${err.message}`);
      row.results[impl.name] = { wrong: err.disagreement };
      if (p?.note) row.notes[impl.name] = p.note;
    };
    let p;
    if (checkSpec) {
      const c = await entry(checkSpec);
      if (c.unsupported) { row.results[impl.name] = c; continue; }
      try { await verify(c); } catch (err) { wrong(err, c); continue; } finally { await c.dispose(); }
      p = await entry(spec);
    } else {
      p = await entry(spec);
      if (p.unsupported) { row.results[impl.name] = p; continue; }
      try { await verify(p); } catch (err) { await p.dispose(); wrong(err, p); continue; }
    }
    try {
      const opts = { ...timing, priorMs };
      const t = p.async ? await timeAsync(p.run, opts) : time(p.run, opts);
      row.results[impl.name] = { ...toUnit(t), ms: t.median, samples: t.samples, reps: t.reps, ...(p.semantics ? { semantics: p.semantics } : {}) };
      if (p.note) row.notes[impl.name] = p.note;
    } finally {
      await p.dispose();
    }
    if (envVar('BENCH_VERBOSE')) console.error(`  ${label} · ${impl.name}: ${row.results[impl.name].median?.toFixed?.(3)} ${row.unit}`);
  }
  return row;
}
