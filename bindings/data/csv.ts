// readCsv: CSV text (RFC 4180: quoted fields, "" inside quotes, CRLF or LF) to { x, y, shape }
// for fit(). Feature columns must be numbers. The label column becomes class labels (Int32Array)
// when its values are non-negative integers, or indices into `classes` (sorted, as scikit-learn's
// LabelEncoder; numerically for numbers) when they are names; other numbers become float targets (Float32Array, for 'mse').

import { options } from '../options.js';

export interface ReadCsvOptions {
  /** The first line names the columns (default true). */
  header?: boolean;
  /** The label column: its name (with a header) or index (negative counts from the end). Omitted: no y. */
  label?: string | number;
  /** 'auto' (default, as above), 'class' (every distinct value is a class, sorted) or 'number' (float targets). */
  labelAs?: 'auto' | 'class' | 'number';
  /** Field separator (default ','). */
  delimiter?: string;
}

export interface CsvData {
  /** Feature values, row-major [rows, features]. */
  x: Float32Array;
  /** The label column, when `label` was given. */
  y?: Int32Array | Float32Array;
  /** [features]: the shape of one sample, as fit() takes it. */
  shape: number[];
  /** The feature columns' names (from the header, or 'column <i>'). */
  columns: string[];
  /** Class names by index, when the labels were names (or labelAs 'class'). */
  classes?: string[];
}

/** The rows of CSV text as arrays of fields, with their 1-based line numbers. */
function parseRows(text: string, delimiter: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [], field = '', quoted = false, line = 1, rowLine = 1, sawQuote = false;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !sawQuote)) rows.push({ line: rowLine, fields }); // skip blank lines
    fields = []; field = ''; sawQuote = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true; sawQuote = true;
    } else if (c === delimiter) {
      fields.push(field); field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += c;
    }
  }
  if (quoted) throw new Error(`readCsv: line ${rowLine}: a quoted field is never closed`);
  if (field !== '' || fields.length > 0 || sawQuote) endRow();
  return rows;
}

/**
 * Parses CSV text into { x, y, shape } (y only with `label`), ready for fit() and evaluate().
 * Errors name the line and column of a bad value.
 */
export function readCsv(text: string, opts: ReadCsvOptions & { label: string | number }): CsvData & { y: Int32Array | Float32Array };
export function readCsv(text: string, opts?: ReadCsvOptions): CsvData;
export function readCsv(text: string, opts: ReadCsvOptions = {}): CsvData {
  const op = 'readCsv';
  const { header = true, label, labelAs = 'auto', delimiter = ',' } = options<ReadCsvOptions>(op, opts, ['header', 'label', 'labelAs', 'delimiter']);
  if (typeof text !== 'string') throw new Error(`${op}: expected the CSV text as a string, got ${text === null ? 'null' : typeof text}`);
  if (typeof header !== 'boolean') throw new Error(`${op}: header must be true or false, got ${String(header)}`);
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new Error(`${op}: delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}`);
  }
  if (!['auto', 'class', 'number'].includes(labelAs)) throw new Error(`${op}: labelAs must be 'auto', 'class' or 'number', got ${String(labelAs)}`);
  const rows = parseRows(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, delimiter);
  const names = header ? rows.shift()?.fields.map((f) => f.trim()) : undefined;
  const width = names?.length ?? rows[0]?.fields.length ?? 0;
  if (rows.length === 0) throw new Error(`${op}: no data rows${header ? ' after the header' : ''}`);
  let labelCol = -1;
  if (label !== undefined) {
    if (typeof label === 'string') {
      if (!names) throw new Error(`${op}: label '${label}' names a column, but header is false (pass its index instead)`);
      labelCol = names.indexOf(label);
      if (labelCol < 0) throw new Error(`${op}: no column named '${label}' (the header has ${names.map((n) => `'${n}'`).join(', ')})`);
    } else if (typeof label === 'number' && Number.isInteger(label) && label >= -width && label < width) {
      labelCol = label < 0 ? width + label : label;
    } else {
      throw new Error(`${op}: label must be a column name or an index in [${-width}, ${width}), got ${String(label)}`);
    }
  }
  const features = width - (labelCol >= 0 ? 1 : 0);
  if (features < 1) throw new Error(`${op}: no feature columns besides the label`);
  const x = new Float32Array(rows.length * features);
  const raw: string[] = [];
  rows.forEach(({ line, fields }, r) => {
    if (fields.length !== width) throw new Error(`${op}: line ${line} has ${fields.length} fields, expected ${width}`);
    let j = 0;
    for (let c = 0; c < width; c++) {
      if (c === labelCol) { raw.push(fields[c].trim()); continue; }
      const s = fields[c].trim();
      const v = s === '' ? NaN : Number(s);
      if (!Number.isFinite(v)) {
        throw new Error(`${op}: line ${line}, column ${names ? `'${names[c]}'` : c}: ${s === '' ? 'empty' : `'${s.length > 20 ? `${s.slice(0, 20)}…` : s}' is not a number`} (feature columns must be numbers)`);
      }
      x[r * features + j++] = v;
    }
  });
  const columns = (names ?? Array.from({ length: width }, (_, c) => `column ${c}`)).filter((_, c) => c !== labelCol);
  const out: CsvData = { x, shape: [features], columns };
  if (labelCol < 0) return out;
  const nums = raw.map((s) => (s === '' ? NaN : Number(s)));
  const numeric = nums.every(Number.isFinite);
  if (labelAs === 'number' || (labelAs === 'auto' && numeric && !nums.every((v) => Number.isInteger(v) && v >= 0 && v <= 0x7fffffff))) {
    const bad = nums.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${op}: line ${rows[bad].line}: label '${raw[bad]}' is not a number`);
    out.y = Float32Array.from(nums);
  } else if (labelAs === 'auto' && numeric) {
    out.y = Int32Array.from(nums);
  } else {
    const classes = [...new Set(raw)].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
    const index = new Map(classes.map((c, i) => [c, i]));
    out.y = Int32Array.from(raw, (s) => index.get(s)!);
    out.classes = classes;
  }
  return out;
}
