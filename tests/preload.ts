import { setDefaultTimeout } from "bun:test";

// A generous default for the first test file; bun resets the default per file when several run, so
// tests that run a model also pass an explicit timeout (tests/timeouts.ts).
setDefaultTimeout(120_000);
