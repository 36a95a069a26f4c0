/**
 * Deterministic release for the public API's objects: an idempotent `dispose()`, `using` and
 * `await using` support, and a guard that turns any use after disposal into IngotError "DISPOSED"
 * instead of a call into freed native memory.
 */
import { IngotError } from "../errors.ts";

export abstract class Resource implements Disposable, AsyncDisposable {
  #disposed = false;

  protected constructor(private readonly kind: string) {}

  /** True once `dispose()` has run. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Throws IngotError "DISPOSED" when this object has been disposed. */
  protected assertAlive(): void {
    if (this.#disposed) throw new IngotError("DISPOSED", `this ${this.kind} has been disposed: create a new one`);
  }

  /** Frees native memory and whatever this object owns. Safe to call more than once. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.release();
  }

  /** Frees what the object owns; runs once. */
  protected abstract release(): void;

  [Symbol.dispose](): void {
    this.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}
