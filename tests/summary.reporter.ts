import { writeFileSync } from 'node:fs';
import type { SerializedError } from 'vitest';
import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';

/**
 * Ends the run with one plain `N passed, N failed, N skipped` line, the closing line CI reads.
 * Every failure counts, not only failed tests: a file that failed to import, a failed hook (its
 * tests then show as skipped) and each unhandled error are one failure each, so a run that
 * vitest calls failed never reads "0 failed". TEST_SUMMARY_FILE also receives the line, for
 * `.ci/run` to print it last.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const counts = summarize(testModules, unhandledErrors.length, reason);
    const line = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
    process.stdout.write(`\n${line}\n`);
    if (process.env.TEST_SUMMARY_FILE) writeFileSync(process.env.TEST_SUMMARY_FILE, `${line}\n`);
  }
}

function summarize(testModules: ReadonlyArray<TestModule>, unhandled: number, reason: TestRunEndReason) {
  const counts = { passed: 0, failed: unhandled, skipped: 0 };
  for (const testModule of testModules) {
    // Import and collection errors, and errors of the module's own hooks.
    counts.failed += testModule.errors().length;
    for (const suite of testModule.children.allSuites()) counts.failed += suite.errors().length;
    for (const test of testModule.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
      else counts.skipped++;
    }
  }
  // Whatever else made vitest fail (an error in global setup, an interrupted run) is a failure too.
  if (reason !== 'passed' && counts.failed === 0) counts.failed = 1;
  return counts;
}
