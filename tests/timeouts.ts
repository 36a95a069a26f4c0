/**
 * Timeout for tests that run a model. bun resets its default timeout per file when several files run,
 * so tests/preload.ts cannot raise it for all of them: tests that may take seconds pass this explicitly.
 */
export const MODEL_TEST_TIMEOUT_MS = 600_000;
