export * from "./agent.ts";
export * from "./agent-error.ts";
export * from "./devices/device-supervisor.ts";
export * from "./devices/driver-registry.ts";
export * from "./director/director-config.ts";
export * from "./director/director-engine.ts";
export * from "./director/director-runner.ts";
export * from "./room-facts.ts";
