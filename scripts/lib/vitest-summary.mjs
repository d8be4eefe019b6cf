// Reads vitest's JSON report and prints the one closing line CI reads: `N passed, N failed`
// (`, N skipped` appended when some tests were skipped or todo). Notes go before that line,
// on stdout too, so the summary is always the last line printed.
//
//   node scripts/lib/vitest-summary.mjs <report.json> <vitest exit code>
//
// Exit code: 0 only if vitest exited 0, the report exists, no test failed and
// PP_SETUP_ERRORS (set by scripts/test.sh when a setup step failed) is empty.
/* global process, console */
import { readFileSync } from 'node:fs';

const [reportPath = '.vitest-report.json', rcArg = '1'] = process.argv.slice(2);
const vitestRc = Number.parseInt(rcArg, 10);
const setupErrors = (process.env.PP_SETUP_ERRORS ?? '').trim();

let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (err) {
  const why = err?.code === 'ENOENT' ? 'was not written' : `could not be read (${err.message})`;
  console.log(`test: vitest's JSON report ${reportPath} ${why}; vitest exited with code ${rcArg}.`);
  if (setupErrors) console.log(`test: setup problems: ${setupErrors}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
}
if (report) summarize(report);

function summarize(rep) {
  const num = (v) => (Number.isFinite(v) ? v : 0);
  const passed = num(rep.numPassedTests);
  const failed = num(rep.numFailedTests);
  const skipped = Math.max(0, num(rep.numTotalTests) - passed - failed);
  const results = Array.isArray(rep.testResults) ? rep.testResults : [];

  // A test file that fails to load (syntax error, failing import, failing hook) fails no test of
  // its own, so name such files: otherwise the counts would look green next to a red exit code.
  const brokenFiles = results.filter(
    (r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed'),
  );
  for (const r of brokenFiles) {
    const msg = (r.message ?? '').split('\n')[0];
    console.log(`test: file failed outside any test: ${r.name}${msg ? `: ${msg}` : ''}`);
  }
  if (vitestRc !== 0 && failed === 0) {
    console.log(
      `test: vitest exited with code ${vitestRc} although no test failed (see its output above).`,
    );
  }
  if (num(rep.numTotalTests) === 0) console.log('test: no test ran.');
  if (setupErrors) console.log(`test: setup problems: ${setupErrors}`);

  console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  const ok = vitestRc === 0 && failed === 0 && brokenFiles.length === 0 && !setupErrors;
  process.exitCode = ok ? 0 : 1;
}
