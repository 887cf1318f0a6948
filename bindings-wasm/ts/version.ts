// Kept equal to package.json's version by a test (tests/package.test.mjs); sent in the
// User-Agent as connectpsp-js/<version>.
export const VERSION = "0.1.0";
