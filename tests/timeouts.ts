import { setDefaultTimeout } from "bun:test";

/**
 * Timeout for tests that run a model. bun resets its default timeout at the start of each test file
 * when several run, so a preload cannot raise it for all of them. Files whose tests may take seconds
 * call `useModelTestTimeout()` at the top (or pass the constant to `test` explicitly).
 */
export const MODEL_TEST_TIMEOUT_MS = 600_000;

export function useModelTestTimeout(): void {
  setDefaultTimeout(MODEL_TEST_TIMEOUT_MS);
}
