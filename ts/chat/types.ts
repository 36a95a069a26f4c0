/** One chat message. Extra fields (tool_calls, tool_call_id, name, …) are passed through to the template. */
export interface ChatMessage {
  role: string;
  content: string | null | Array<{ type: string; text?: string; [k: string]: unknown }>;
  [k: string]: unknown;
}

export interface RenderOptions {
  messages: ChatMessage[];
  /** Append the assistant-turn header. Default true. */
  addGenerationPrompt?: boolean;
  bosToken?: string;
  eosToken?: string;
  /** Tool schemas (OpenAI style). Left undefined in the template when not given, as in the reference renders. */
  tools?: unknown[];
  /** Extra template variables, e.g. `date_string`, `builtin_tools`, `tools_in_user_message`. */
  extra?: Record<string, unknown>;
  /** The time `strftime_now` reports (local time fields). Default: the current time. */
  now?: Date;
}
