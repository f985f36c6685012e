/** Prints one plain closing line that any CI log reader understands: "Summary: N passed, N failed, N skipped". */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numFailedTestSuites + (results.numRuntimeErrorTestSuites || 0);
    process.stdout.write(
      `\nSummary: ${results.numPassedTests} passed, ${results.numFailedTests + (results.numFailedTests === 0 && failedSuites > 0 ? failedSuites : 0)} failed, ${skipped} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
