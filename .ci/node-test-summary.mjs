// A `node --test` reporter that prints only the run's closing counts, in TAP's words
// ("# tests 12", "# pass 12", "# fail 0"), so the CI log has the same summary line whichever
// reporter a suite uses for its progress. Used next to it:
//   node --test --test-reporter=dot --test-reporter-destination=stdout \
//               --test-reporter=.ci/node-test-summary.mjs --test-reporter-destination=stdout
const COUNTS = /^(tests|pass|fail) \d+$/;

export default async function* summary(source) {
  let first = true;
  for await (const event of source) {
    // The runner's own totals are top-level diagnostics emitted once at the end.
    if (event.type === "test:diagnostic" && event.data.nesting === 0 && COUNTS.test(event.data.message)) {
      // A new line first: a progress reporter (dot) ends its line without one.
      yield `${first ? "\n" : ""}# ${event.data.message}\n`;
      first = false;
    }
  }
}
