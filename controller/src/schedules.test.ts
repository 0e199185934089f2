// RRULE expansion in Asia/Ho_Chi_Minh, whatever the machine's time zone.
import { describe, expect, it } from "vitest";
import { fromWallTime, localIso, toWallTime } from "./reception-time.ts";
import { occurrenceId, occurrences } from "./schedules.ts";
import { SessionError } from "./sessions.ts";

describe("occurrences", () => {
  it("'on the 20th of every month at 08:00' gives 08:00 in Vietnam (01:00 UTC) each month", () => {
    const starts = occurrences(
      "FREQ=MONTHLY;BYMONTHDAY=20",
      "2027-01-20T08:00:00+07:00",
      new Date("2027-01-01T00:00:00Z"),
      new Date("2027-05-01T00:00:00Z"),
    );
    expect(starts.map((start) => start.toISOString())).toEqual([
      "2027-01-20T01:00:00.000Z",
      "2027-02-20T01:00:00.000Z",
      "2027-03-20T01:00:00.000Z",
      "2027-04-20T01:00:00.000Z",
    ]);
    expect(localIso(starts[0]!)).toBe("2027-01-20T08:00:00+07:00");
  });

  it("starts from the later of firstStart and the window's start, and keeps the local day across UTC midnight", () => {
    // 06:30 in Vietnam is 23:30 UTC the day before: the rule's weekday is Vietnam's.
    const starts = occurrences(
      "RRULE:FREQ=WEEKLY;BYDAY=MO",
      "2027-01-04T06:30:00+07:00",
      new Date("2027-01-10T00:00:00Z"),
      new Date("2027-01-26T00:00:00Z"),
    );
    expect(starts.map(localIso)).toEqual([
      "2027-01-11T06:30:00+07:00",
      "2027-01-18T06:30:00+07:00",
      "2027-01-25T06:30:00+07:00",
    ]);
  });

  it("refuses, naming the field rrule, a rule that does not parse, repeats hourly, carries its own DTSTART or gives nothing", () => {
    for (const rule of [
      "FREQ=BOGUS",
      "hello",
      "FREQ=HOURLY",
      "DTSTART:20270101T000000Z\nRRULE:FREQ=DAILY",
      "FREQ=MONTHLY;BYMONTHDAY=20;UNTIL=20260101T000000Z",
    ]) {
      const failure = (() => {
        try {
          occurrences(rule, "2027-01-20T08:00:00+07:00", new Date("2027-01-01"), new Date("2027-03-01"));
        } catch (error) {
          return error;
        }
      })();
      expect(failure, rule).toBeInstanceOf(SessionError);
      expect(failure).toMatchObject({ status: 400, field: "rrule" });
    }
  });

  it("names each occurrence by its local start, so one occurrence is one session", () => {
    expect(occurrenceId("lich-ab12", new Date("2027-01-20T01:00:00Z"))).toBe("lich-ab12-20270120-0800");
  });
});

describe("wall time", () => {
  it("goes there and back", () => {
    const instant = new Date("2027-06-30T18:15:00Z");
    expect(toWallTime(instant).toISOString()).toBe("2027-07-01T01:15:00.000Z");
    expect(fromWallTime(toWallTime(instant)).toISOString()).toBe(instant.toISOString());
  });
});
