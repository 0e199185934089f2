// Times as people in the rooms read them: Asia/Ho_Chi_Minh, whatever the screen's own time zone is.
import { currentLanguage } from "./i18n/index.ts";

export const TIME_ZONE = "Asia/Ho_Chi_Minh";

export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(currentLanguage() === "vi" ? "vi-VN" : "en-GB", {
    timeZone: TIME_ZONE,
    dateStyle: "short",
    timeStyle: "short",
  }).format(new Date(iso));
}

export function formatClock(iso: string): string {
  return new Intl.DateTimeFormat(currentLanguage() === "vi" ? "vi-VN" : "en-GB", {
    timeZone: TIME_ZONE,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(new Date(iso));
}

/** A duration as h:mm:ss (a recording's elapsed time). */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(total / 3600)}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

/** Hours and minutes of a time given in seconds since 1970 (a chart's axis). */
export function formatHourMinute(seconds: number): string {
  return new Intl.DateTimeFormat(currentLanguage() === "vi" ? "vi-VN" : "en-GB", {
    timeZone: TIME_ZONE,
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(seconds * 1000));
}
