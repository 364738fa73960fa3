// One configuration of the threads group (bench/threads.mjs), in its own process: BENCH_THREADS
// threads for every library. Progress goes to stderr; the rows, as one JSON line, to stdout.
import { measure } from './threads-cases.mjs';

const { supportedVariants } = await import('../dist/index.js');
const rows = await measure({ variants: supportedVariants().filter((v) => v !== 'scalar') });
process.stdout.write(`${JSON.stringify(rows)}\n`);
process.exit(0); // thread pools (ORT's, simdnet's) must not keep the process alive
