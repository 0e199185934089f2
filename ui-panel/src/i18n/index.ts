// The message catalogues and the language in use: Vietnamese unless the person picked English on this screen.
import { en } from "./en.ts";
import { type Messages, vi } from "./vi.ts";

export type Language = "vi" | "en";
const CATALOGUES: Record<Language, Messages> = { vi, en };
const STORAGE_KEY = "rc.language";

let language: Language = readStoredLanguage();

function readStoredLanguage(): Language {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) === "en" ? "en" : "vi";
  } catch {
    return "vi";
  }
}

/** The messages of the language in use. */
export function messages(): Messages {
  return CATALOGUES[language];
}

export function currentLanguage(): Language {
  return language;
}

/** Switches the language, remembers it on this screen and tells the page (its components re-render on the event). */
export function setLanguage(next: Language): void {
  language = next;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, next);
  } catch {
    // A screen without storage keeps the choice until reload.
  }
  document.documentElement.lang = next;
  window.dispatchEvent(new Event("rc-language"));
}

export type { Messages };
