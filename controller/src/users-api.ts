// REST for admin to manage users and panel PINs (the same functions as the CLI, users.ts):
//   GET /api/users · POST /api/users {name, role, rooms?} → the password, once · POST /api/users/:name/password → a
//   new password, once · DELETE /api/users/:name (with their tokens; never the last admin) · PUT /api/rooms/:id/pin {pin}
// Who may: ROUTES' access in openapi.ts (admin).
import express, { type Router } from "express";
import { z } from "zod";
import { ROLES } from "./access.ts";
import { jsonBody } from "./json-body.ts";
import { parseInput, problemRoute } from "./problem.ts";
import type { Store, UserRecord } from "./store.ts";
import { addUser, findUser, removeUser, setPassword, setRoomPin, UserChangeError } from "./users.ts";

export const newUserBody = z.strictObject({
  name: z.string().min(1).max(64),
  role: z.enum(ROLES),
  /** The rooms an operator is bound to. */
  rooms: z.array(z.string().min(1).max(64)).max(1000).default([]),
});
export const roomPinBody = z.strictObject({ pin: z.string().regex(/^\d{4,8}$/, "a PIN has 4 to 8 digits") });

/** A user as the API shows it: never the password's hash. */
function userView({ password: _hash, ...user }: UserRecord) {
  return user;
}

export function usersRoutes(store: Store): Router {
  const router = express.Router();
  const param = (value: unknown) => String(value);

  router.get("/api/users", (_request, response) => {
    response.json(Object.values(store.data.users).map(userView));
  });

  router.post(
    "/api/users",
    ...jsonBody("8kb"),
    problemRoute(async (request, response) => {
      const body = parseInput(newUserBody, request.body, response);
      if (!body) return;
      const { password } = await addUser(store, body);
      response.location(`/api/users/${body.name}`);
      response.status(201).json({ ...userView(findUser(store.data.users, body.name)!), password });
    }),
  );

  router.post(
    "/api/users/:name/password",
    problemRoute(async (request, response) => {
      const name = param(request.params.name);
      const password = await setPassword(store, name);
      response.json({ name, password });
    }),
  );

  router.delete(
    "/api/users/:name",
    problemRoute(async (request, response) => {
      const name = param(request.params.name);
      if (!(await removeUser(store, name))) throw new UserChangeError(404, null, `no user "${name.slice(0, 64)}"`);
      response.json({ name, removed: true });
    }),
  );

  router.put(
    "/api/rooms/:id/pin",
    ...jsonBody("4kb"),
    problemRoute(async (request, response) => {
      const body = parseInput(roomPinBody, request.body, response);
      if (!body) return;
      const room = param(request.params.id);
      await setRoomPin(store, room, body.pin);
      response.json({ room, pin: "set" });
    }),
  );

  return router;
}
