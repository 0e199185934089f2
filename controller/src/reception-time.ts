// Calendar arithmetic in the reception offices' time zone: sessions are planned, grouped by month and shown in
// Asia/Ho_Chi_Minh whatever the controller machine's own zone is.
export const TIME_ZONE = "Asia/Ho_Chi_Minh";

const wallClock = new Intl.DateTimeFormat("en-CA", {
  timeZone: TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** The wall-clock reading in the time zone, as the fields of a UTC date (a "floating" time, as RRULE expands them). */
export function toWallTime(instant: Date): Date {
  const parts = Object.fromEntries(wallClock.formatToParts(instant).map((part) => [part.type, part.value]));
  return new Date(
    Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
      instant.getUTCMilliseconds(),
    ),
  );
}

/** The instant at which the time zone's clocks read `wall` (its UTC fields). */
export function fromWallTime(wall: Date): Date {
  // The zone's offset at that moment; read twice so a change of offset near `wall` lands on the right side.
  let guess = new Date(wall.getTime() - (toWallTime(wall).getTime() - wall.getTime()));
  guess = new Date(wall.getTime() - (toWallTime(guess).getTime() - guess.getTime()));
  return guess;
}

/** YYYY-MM-DD in the time zone. */
export function localDate(instant: Date): string {
  return toWallTime(instant).toISOString().slice(0, 10);
}

/** YYYY-MM in the time zone. */
export function localMonth(instant: Date): string {
  return localDate(instant).slice(0, 7);
}

/** An ISO time with the zone's offset, e.g. 2027-01-20T08:00:00+07:00, as people there read it. */
export function localIso(instant: Date): string {
  const offsetMin = Math.round((toWallTime(instant).getTime() - instant.getTime()) / 60_000);
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${toWallTime(instant).toISOString().slice(0, 19)}${offset}`;
}

/** A query's bound: an ISO time, or a date (YYYY-MM-DD) meaning its midnight in Asia/Ho_Chi_Minh. */
export function instantOf(bound: string): Date {
  return bound.length === 10 ? fromWallTime(new Date(`${bound}T00:00:00Z`)) : new Date(bound);
}
