/**
 * Prints one plain closing line that any CI log reader understands:
 * "Summary: N passed, N failed, N skipped". Skipped counts jest's skipped/todo tests plus what
 * suites did not even declare (a dropped clustered variant, a missing tool), which they append to
 * the run's skip log (test/helpers/services.ts reportSkip); those are listed by name.
 */
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const undeclared = readSkipLog();
    const skipped = results.numPendingTests + results.numTodoTests + undeclared.length;
    const failedSuites = results.numFailedTestSuites + (results.numRuntimeErrorTestSuites || 0);
    const failed =
      results.numFailedTests +
      (results.numFailedTests === 0 && failedSuites > 0 ? failedSuites : 0);
    const list = undeclared.map((l) => `  - ${l}\n`).join('');
    process.stdout.write(
      `\n${list}Summary: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`,
    );
  }
}

function readSkipLog() {
  const file = process.env.ONAIR_SKIP_LOG;
  if (!file || !fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return [...new Set(lines)];
}

module.exports = SummaryReporter;
