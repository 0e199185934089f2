export * from "./acl.ts";
export * from "./controller.ts";
export * from "./controller-credentials.ts";
export { changeDesired } from "./desired-states.ts";
export * from "./room-registration.ts";
export * from "./store.ts";
