/** Continuous batching of many generation requests over one inference context. */
export { Scheduler, type JobRequest, type SchedulableModel, type SchedulerOptions } from "./scheduler.ts";
export { GenerationJob, type JobResult, type JobStats } from "./job.ts";
export { PromptEncoder, type PromptInput, type PromptSource } from "./prompt.ts";
