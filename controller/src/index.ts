export * from "./access.ts";
export * from "./acl.ts";
export { type AuditEntry, AuditLog, type AuditRecord, queryAudit, recordFromCli, verifyAudit } from "./audit-log.ts";
export * from "./controller.ts";
export * from "./controller-credentials.ts";
export { changeDesired } from "./desired-states.ts";
export * from "./room-registration.ts";
export * from "./store.ts";
export * from "./users.ts";
