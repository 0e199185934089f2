// The check's table as the integrator reads it at the room PC: Vietnamese by default, English on request. The
// driver's own words stay as they are in the detail column (they name the port, the fault, the host).
import type { CheckReason, CheckRow, CheckVerdict } from "./room-check.ts";

export type Language = "vi" | "en";
export const LANGUAGES: readonly Language[] = ["vi", "en"];

const WORDS = {
  vi: {
    heading: ["Thiết bị", "Loại", "Kết quả", "Chi tiết"],
    kind: { disk: "ổ đĩa", broker: "máy chủ MQTT" } as Record<string, string>,
    verdict: { ok: "ĐẠT", problem: "LỖI", bad_config: "SAI CẤU HÌNH", skipped: "bỏ qua" } satisfies Record<
      CheckVerdict,
      string
    >,
    reason: {
      answered: "kết nối và trả lời",
      disabled: "tắt trong hồ sơ phòng",
      no_driver: "phiên bản này chưa có trình điều khiển",
      failed: "không kết nối được",
      wrong_config: "cấu hình sai, sửa hồ sơ hoặc mật khẩu",
      disk_free: "còn trống",
      disk_low: "sắp đầy",
      broker_login: "đăng nhập được",
      broker_failed: "không đăng nhập được",
      no_credentials: "thiếu thông tin đăng nhập",
    } satisfies Record<CheckReason, string>,
    summary: (problems: number, total: number) =>
      problems === 0 ? `Tất cả ${total} mục đạt.` : `${problems}/${total} mục có lỗi: sửa rồi chạy lại.`,
  },
  en: {
    heading: ["Device", "Kind", "Result", "Detail"],
    kind: { disk: "disk", broker: "MQTT broker" } as Record<string, string>,
    verdict: { ok: "OK", problem: "PROBLEM", bad_config: "BAD CONFIG", skipped: "skipped" } satisfies Record<
      CheckVerdict,
      string
    >,
    reason: {
      answered: "connected and answered",
      disabled: "disabled in the room profile",
      no_driver: "no driver in this version",
      failed: "could not connect",
      wrong_config: "wrong configuration: fix the profile or the password",
      disk_free: "free",
      disk_low: "nearly full",
      broker_login: "login accepted",
      broker_failed: "login failed",
      no_credentials: "no login given",
    } satisfies Record<CheckReason, string>,
    summary: (problems: number, total: number) =>
      problems === 0 ? `All ${total} checks passed.` : `${problems} of ${total} checks failed: fix them and run again.`,
  },
};

export const isProblem = (row: CheckRow) => row.verdict === "problem" || row.verdict === "bad_config";

/** A plain-text table (one row per line, columns padded) and a closing line that counts the problems. */
export function renderCheckTable(rows: CheckRow[], language: Language): string {
  const words = WORDS[language];
  const cells = rows.map((row) => [
    row.subject,
    words.kind[row.kind] ?? row.kind,
    words.verdict[row.verdict],
    [words.reason[row.reason], row.detail].filter(Boolean).join(": "),
  ]);
  const table = [words.heading, ...cells];
  // The detail column is last and left as long as it is; the others are padded to their widest cell.
  const widths = words.heading.map((_, column) => Math.max(...table.map((line) => width(line[column]!))));
  const lines = table.map((line) =>
    line
      .map((cell, column) => (column === line.length - 1 ? cell : cell + " ".repeat(widths[column]! - width(cell))))
      .join("  ")
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w, column) => "-".repeat(column === widths.length - 1 ? 8 : w)).join("  "));
  const problems = rows.filter(isProblem).length;
  return `${lines.join("\n")}\n\n${words.summary(problems, rows.length)}\n`;
}

/** Columns in characters as a terminal shows them: Vietnamese letters composed (NFC), one column each. */
function width(text: string): number {
  return [...text.normalize("NFC")].length;
}
