#!/usr/bin/env bun
/**
 * The `ingot` command line. Each command lives in commands/<name>.ts and registers itself here;
 * handlers throw instead of exiting, and this file turns errors into one line on stderr and a
 * non-zero exit code (with the stack only under --verbose).
 */
import { Command, CommanderError } from "commander";
import { IngotError } from "../errors.ts";
import { registerCommands } from "./commands/index.ts";

export function buildProgram(): Command {
  const program = new Command("ingot")
    .description("Local LLM inference from Bun: GGUF models on a C engine for the CPU or Metal on Apple Silicon.")
    .option("--verbose", "print stack traces with errors")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed its message (or help/version, which exit 0).
      return e.exitCode;
    }
    const verbose = argv.includes("--verbose");
    if (e instanceof IngotError) {
      process.stderr.write(`ingot: ${e.message}\n`);
    } else {
      process.stderr.write(`ingot: ${(e as Error)?.message ?? String(e)}\n`);
    }
    if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
