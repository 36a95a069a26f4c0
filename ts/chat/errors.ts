import { IngotError } from "../errors.ts";

/** A chat template failed to compile or render. `templateMessage` is the template's own raise_exception text. */
export class ChatTemplateError extends IngotError {
  /** The text passed to the template's raise_exception(), when that is what failed. */
  readonly templateMessage?: string;

  constructor(message: string, options?: { cause?: unknown; templateMessage?: string }) {
    super("TEMPLATE_ERROR", message, options);
    this.name = "ChatTemplateError";
    this.templateMessage = options?.templateMessage;
  }
}

/** Thrown by the template's raise_exception(msg); turned into a ChatTemplateError by render(). */
export class TemplateRaise extends Error {}
