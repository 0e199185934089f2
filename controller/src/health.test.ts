// The controller's health flags: defaults, and each mistake refused naming its flag; secrets only from the environment.
import { describe, expect, it } from "vitest";
import { healthSettingsOf } from "./health.ts";

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
