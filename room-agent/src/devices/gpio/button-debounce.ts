// A contact's raw pin levels in, press / release / long-press out. The first edge counts at once (a press must
// reach MQTT within 50 ms) and the bounce after it is ignored for the debounce time; a level that still differs
// when that time ends is taken then, so a quick release inside the bounce window is never lost.

export type ButtonAction = "press" | "release" | "long_press";

export interface ButtonTiming {
  debounceMs: number;
  longPressMs: number;
}

export class ButtonDebounce {
  /** The accepted state; null until the first reading, which sets it (by default without an event). */
  private pressed: boolean | null = null;
  private raw: boolean | null = null;
  private pressedAt = 0;
  private locked: NodeJS.Timeout | undefined;
  private longPress: NodeJS.Timeout | undefined;

  constructor(
    private readonly timing: ButtonTiming,
    private readonly emit: (action: ButtonAction, heldMs: number) => void,
    private readonly now: () => number = () => performance.now(),
    /** Emit the first reading too (a switch's position matters at connect; a button held then does not). */
    private readonly reportInitial = false,
  ) {}

  get isPressed(): boolean | null {
    return this.pressed;
  }

  /** A reading of the contact (Firmata reports a whole port, so most readings repeat the last one). */
  sample(pressed: boolean): void {
    if (pressed === this.raw) return;
    this.raw = pressed;
    if (this.pressed === null) {
      this.pressed = pressed;
      if (pressed) this.pressedAt = this.now();
      if (this.reportInitial) this.emit(pressed ? "press" : "release", 0);
      return;
    }
    if (!this.locked) this.accept();
  }

  stop(): void {
    clearTimeout(this.locked);
    clearTimeout(this.longPress);
    this.locked = undefined;
    this.longPress = undefined;
  }

  private accept(): void {
    if (this.raw === this.pressed || this.raw === null) return;
    this.pressed = this.raw;
    const now = this.now();
    if (this.pressed) {
      this.pressedAt = now;
      this.emit("press", 0);
      this.longPress = setTimeout(() => {
        this.longPress = undefined;
        this.emit("long_press", Math.round(this.now() - this.pressedAt));
      }, this.timing.longPressMs);
    } else {
      clearTimeout(this.longPress);
      this.longPress = undefined;
      this.emit("release", Math.round(now - this.pressedAt));
    }
    this.locked = setTimeout(() => {
      this.locked = undefined;
      this.accept();
    }, this.timing.debounceMs);
  }
}
