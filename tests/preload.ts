import { setDefaultTimeout } from "bun:test";

// Model-running tests take seconds on a 2-core machine; bunfig's [test] timeout is ignored by bun.
setDefaultTimeout(120_000);
