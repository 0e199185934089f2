export * from "./acl.ts";
export * from "./controller.ts";
export * from "./controller-credentials.ts";
export * from "./room-registration.ts";
export * from "./store.ts";
