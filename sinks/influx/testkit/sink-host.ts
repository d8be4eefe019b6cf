/**
 * A process that runs only the InfluxDB sink over a data directory, reporting its memory over
 * IPC: lets tests and bench/influx-drain.ts measure the sink's own footprint while another
 * process appends to the log. Run as: node --expose-gc --import tsx sink-host.ts DATA_DIR CONFIG_JSON
 */
import { pino } from 'pino';
import { InfluxSink } from '../sink.js';
import { openTestStore, sinkConfig } from './log-fixture.js';

const [dataDir, configJson] = process.argv.slice(2);
if (!dataDir || !configJson || !process.send) {
  console.error('usage (as a child with IPC): sink-host.ts DATA_DIR CONFIG_JSON');
  process.exit(2);
}
const store = openTestStore(dataDir);
const cfg = sinkConfig(JSON.parse(configJson) as Record<string, unknown>);
const sink = new InfluxSink(cfg, { store, log: pino({ level: 'silent' }) });
sink.start();

const gc = (globalThis as { gc?: () => void }).gc;
const timer = setInterval(() => {
  gc?.();
  const m = process.memoryUsage();
  process.send!({
    rss: m.rss,
    heapUsed: m.heapUsed,
    cursor: store.cursors.get(cfg.cursor),
    ready: sink.readiness().ready,
  });
}, 200);

process.on('message', (msg) => {
  if (msg !== 'stop') return;
  clearInterval(timer);
  void sink.stop().then(() => {
    store.close();
    process.exit(0);
  });
});
