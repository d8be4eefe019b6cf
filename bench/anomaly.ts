/**
 * `npm run bench:anomaly`: readings scored per second on one core by the detector core (the
 * operator's hot path without SQLite), and the memory a sensor's state takes (heap and JSON).
 * Writes bench/results/anomaly.json for `npm run bench`; `--quick` scores a quarter as many.
 */
import { newAssessment, newState, step } from '../analytics/anomaly/detector.js';
import { DEFAULT_SETTINGS as S } from '../analytics/anomaly/settings.js';
import { figure, quickMode, writeBenchFile } from './lib/figures.js';

const SENSORS = 100;
const READINGS = quickMode() ? 5_000 : 20_000;
let seed = 12345;
const rnd = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};

const values = new Float64Array(READINGS);
for (let i = 0; i < READINGS; i++)
  values[i] = 50 + 5 * Math.sin(i / 500) + rnd() + (rnd() < 0.001 ? 20 : 0);

global.gc?.();
const heap0 = process.memoryUsage().heapUsed;
const states = Array.from({ length: SENSORS }, () => newState(S));
global.gc?.();
const perSensorHeap = (process.memoryUsage().heapUsed - heap0) / SENSORS;

const a = newAssessment();
const t0 = performance.now();
let sum = 0;
for (let i = 0; i < READINGS; i++) {
  const ts = i * 5_000;
  const v = values[i]!;
  for (let k = 0; k < SENSORS; k++) {
    step(states[k]!, S, ts, v + k, a);
    sum += a.score;
  }
}
const ms = performance.now() - t0;
const n = SENSORS * READINGS;
const json = JSON.stringify(states[0]).length;
const perS = Math.round(n / (ms / 1000));
process.stdout.write(
  `anomaly detector: ${n} readings (${SENSORS} sensors) in ${ms.toFixed(0)} ms = ${perS.toLocaleString('en')} readings/s on one core\n` +
    `state per sensor: ${global.gc ? `~${Math.round(perSensorHeap / 1024)} KiB heap` : 'heap n/a (run node with --expose-gc)'}, ${(json / 1024).toFixed(1)} KiB JSON checkpoint\n` +
    `(checksum ${sum.toFixed(3)})\n`,
);
writeBenchFile('anomaly', [
  figure('detector readings scored on one core', perS, 'readings/s'),
  ...(global.gc
    ? [figure('state per sensor (heap)', Math.round(perSensorHeap / 1024), 'KiB')]
    : []),
  figure('state per sensor (JSON checkpoint)', Number((json / 1024).toFixed(1)), 'KiB'),
]);
