// The controller's health flags (defaults, each mistake refused naming its flag, secrets only from the environment),
// and what health keeps across a restart.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DEFAULT_HEALTH_SETTINGS, Health, healthSettingsOf } from "./health.ts";
import { RoomRegistry } from "./registry.ts";
import type { RoomRecord } from "./store.ts";

const SMTP = { RC_SMTP_URL: "smtp://alarms:secret@127.0.0.1:2525" };

describe("health settings from the command line", () => {
  it("take the debounce in seconds, the digest in minutes, the webhook with its secret and e-mail with its SMTP URL", () => {
    const settings = healthSettingsOf(
      {
        "alarm-debounce": "30",
        "alarm-digest": "15",
        "history-days": "365",
        "webhook-url": "https://it.example/hook",
        "alarm-email-to": "it@a.vn, truc@a.vn",
        "alarm-email-from": "controller@a.vn",
      },
      { RC_WEBHOOK_SECRET: "sixteen-chars-or-more", ...SMTP },
    );
    expect(settings).toMatchObject({
      alarmDebounceMs: 30_000,
      historyDays: 365,
      notifications: {
        digestMs: 15 * 60_000,
        webhook: { url: "https://it.example/hook", secret: "sixteen-chars-or-more" },
        email: { smtpUrl: SMTP.RC_SMTP_URL, from: "controller@a.vn", to: ["it@a.vn", "truc@a.vn"] },
      },
    });
    expect(healthSettingsOf({}, {})).toMatchObject({ notifications: { webhook: null, email: null, digestMs: 0 } });
  });

  it("refuse each mistake naming the flag", () => {
    expect(() => healthSettingsOf({ "alarm-debounce": "soon" }, {})).toThrow(/^--alarm-debounce: expected a number/);
    expect(() => healthSettingsOf({ "history-days": "0" }, {})).toThrow(/^--history-days/);
    expect(() => healthSettingsOf({ "webhook-url": "https://it.example/hook" }, {})).toThrow(
      /^--webhook-url: set RC_WEBHOOK_SECRET/,
    );
    expect(() =>
      healthSettingsOf({ "webhook-url": "ftp://x" }, { RC_WEBHOOK_SECRET: "sixteen-chars-or-more" }),
    ).toThrow(/^--webhook-url: expected an http/);
    expect(() => healthSettingsOf({ "alarm-email-to": "it@a.vn" }, {})).toThrow(/^--alarm-email-to: set RC_SMTP_URL/);
    expect(() => healthSettingsOf({ "alarm-email-to": "it@a.vn" }, SMTP)).toThrow(/--alarm-email-from is required/);
  });
});

describe("health across a restart", () => {
  it("keeps the active alarms and windows in health.json; an unreadable file is set aside, not lost", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "rc-health-"));
    try {
      writeFileSync(join(dataDir, "health.json"), "{not json");
      const log = pino({ level: "silent" });
      const rooms: RoomRecord[] = [
        {
          id: "xa",
          name: "Xã",
          level: "commune",
          kind: "commune",
          parent: null,
          srt: null,
          createdAt: "2026-12-01T00:00:00.000Z",
        },
      ];
      const registry = new RoomRegistry(log);
      registry.setRegistrations(rooms);
      const settings = { ...DEFAULT_HEALTH_SETTINGS, alarmDebounceMs: 0 };
      const first = new Health({ dataDir, registry, settings, log });
      await first.start();
      expect(readdirSync(dataDir).some((name) => name.startsWith("health.json.unreadable-"))).toBe(true);
      registry.availability("xa", { state: "online", boot: 1, bootId: "boot-0001" });
      registry.availability("xa", { state: "offline", boot: 1, bootId: "boot-0001" });
      const [alarm] = first.alarms({ active: true });
      expect(alarm).toMatchObject({ key: "room:xa", severity: "critical" });
      const window = first.addMaintenance({
        room: "xa",
        device: null,
        from: new Date().toISOString(),
        until: new Date(Date.now() + 3600_000).toISOString(),
        reason: "Thay máy",
        createdBy: "it",
      });
      await first.stop();

      const again = new RoomRegistry(log);
      again.setRegistrations(rooms);
      const second = new Health({ dataDir, registry: again, settings, log });
      await second.start();
      expect(second.alarms({ active: true }).map((each) => each.id)).toEqual([alarm!.id]);
      expect(second.maintenanceWindows().map((each) => each.id)).toEqual([window!.id]);
      const history = await second.roomHistory("xa", { limit: 10 });
      expect(history.items.map((line) => `${line.kind} ${line.change ?? line.status}`)).toEqual(
        expect.arrayContaining(["availability offline", "alarm raised", "maintenance created"]),
      );
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
