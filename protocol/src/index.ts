export * from "./access.ts";
export * from "./actions/index.ts";
export * from "./client-ids.ts";
export * from "./codec.ts";
export * from "./messages.ts";
export * from "./realtime.ts";
export * from "./sessions.ts";
export * from "./topics.ts";
