// The proven-password cache (issue 11, fault 8): after a controller restart, a burst of reconnects costs no scrypt;
// the file on disk holds neither the password nor a plain hash of it; a changed credential must prove itself again.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashPassword, type PasswordHash, VerifiedPasswords, verifyPassword } from "./credentials.ts";

describe("fault 8: the proven-password cache survives a restart", () => {
  let dir: string;
  let scrypts: number;
  const countingVerifier = (password: string, stored: PasswordHash) => {
    scrypts += 1;
    return verifyPassword(password, stored);
  };
  const running: VerifiedPasswords[] = [];
  const restart = async () => {
    const passwords = new VerifiedPasswords({ dir, verifier: countingVerifier });
    await passwords.start();
    running.push(passwords);
    return passwords;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "rc-proofs-"));
    scrypts = 0;
  });
  afterEach(async () => {
    for (const passwords of running.splice(0)) await passwords.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets 200 reconnects after a restart in without a single scrypt", async () => {
    const stored = await hashPassword("room-secret");
    const before = await restart();
    expect(await before.verify("xa-a", "room-secret", stored)).toBe(true);
    expect(scrypts).toBe(1);
    await before.stop(); // the proof is written in the background

    const after = await restart();
    scrypts = 0;
    const results = await Promise.all(Array.from({ length: 200 }, () => after.verify("xa-a", "room-secret", stored)));
    expect(results.every(Boolean)).toBe(true);
    expect(scrypts).toBe(0);
  });

  it("runs one scrypt for a burst of the same login that was never proven", async () => {
    const stored = await hashPassword("room-secret");
    const passwords = await restart();
    const results = await Promise.all(
      Array.from({ length: 200 }, () => passwords.verify("xa-a", "room-secret", stored)),
    );
    expect(results.every(Boolean)).toBe(true);
    expect(scrypts).toBe(1);
  });

  it("refuses a wrong password and makes a changed credential prove itself again", async () => {
    const old = await hashPassword("old-secret");
    const passwords = await restart();
    expect(await passwords.verify("xa-a", "old-secret", old)).toBe(true);
    expect(await passwords.verify("xa-a", "wrong", old)).toBe(false);
    const renewed = await hashPassword("new-secret");
    scrypts = 0;
    expect(await passwords.verify("xa-a", "old-secret", renewed)).toBe(false); // the old proof does not match any more
    expect(await passwords.verify("xa-a", "new-secret", renewed)).toBe(true);
    expect(scrypts).toBe(2);
    expect(await passwords.verify("xa-a", "new-secret", undefined)).toBe(false); // the login was removed
  });

  it("keeps on disk only keyed proofs, in owner-only files, and never the password or its plain hash", async () => {
    const stored = await hashPassword("room-secret");
    const passwords = await restart();
    await passwords.verify("xa-a", "room-secret", stored);
    await passwords.stop();
    const proofs = readFileSync(join(dir, "broker-proofs.json"), "utf8");
    expect(Object.keys(JSON.parse(proofs).proofs)).toEqual(["xa-a"]);
    for (const secret of [
      "room-secret",
      Buffer.from("room-secret").toString("base64"),
      createHash("sha256").update("room-secret").digest("base64"),
      createHash("sha256").update("room-secret").digest("hex"),
    ]) {
      expect(proofs).not.toContain(secret);
    }
    expect(statSync(join(dir, "broker-proofs.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "broker-proof-key")).mode & 0o777).toBe(0o600);
  });

  it("treats built-in member names and malformed records as unknown logins", async () => {
    const passwords = await restart();
    for (const username of ["toString", "__proto__", "constructor"]) {
      const stored = ({} as Record<string, unknown>)[username] as PasswordHash;
      expect(await passwords.verify(username, "x", stored)).toBe(false);
    }
    expect(scrypts).toBe(0);
  });
});
