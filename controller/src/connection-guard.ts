// What the embedded broker spends on a socket before it knows who is there: a connect budget per remote address
// (a token bucket, so a flood is closed before any scrypt is spent) and a byte meter that reads MQTT's fixed headers
// as the bytes go by and closes a socket whose packet is bigger than it may be (Aedes and mqtt-packet have no
// maximum packet size: a CONNECT announcing 200 MB is buffered until it is complete).
import type { Socket } from "node:net";

export interface ConnectBudget {
  /** Connections an address may open at once. */
  burst: number;
  /** Connections per second an address gets back. */
  perSecond: number;
}

/** Addresses remembered at most; past that, the ones that have their whole burst back are forgotten. */
const MAX_ADDRESSES = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket per remote address. */
export class ConnectRateLimit {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly budget: ConnectBudget,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one connect from the address's budget; false when it has none left. */
  take(address: string): boolean {
    const bucket = this.refilled(address);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** A connection that proved its login gives its token back: only unproven connects count against an address. */
  giveBack(address: string): void {
    const bucket = this.refilled(address);
    bucket.tokens = Math.min(this.budget.burst, bucket.tokens + 1);
  }

  private refilled(address: string): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(address);
    if (!bucket) {
      if (this.buckets.size >= MAX_ADDRESSES) this.forgetFull(now);
      bucket = { tokens: this.budget.burst, at: now };
      this.buckets.set(address, bucket);
      return bucket;
    }
    bucket.tokens = Math.min(this.budget.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.budget.perSecond);
    bucket.at = now;
    return bucket;
  }

  private forgetFull(now: number): void {
    for (const [address, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.budget.perSecond >= this.budget.burst) {
        this.buckets.delete(address);
      }
    }
  }
}

export interface PacketLimits {
  /** All bytes a socket may send before its login is proven (a CONNECT with its will fits in far less). */
  beforeLogin: number;
  /** The largest packet, header included, once logged in. */
  packet: number;
}

/**
 * Follows the MQTT packet boundaries of what a socket sends (only the fixed headers are read) and destroys the socket
 * as soon as a packet announces more than it may be, or more than `beforeLogin` bytes come before the login.
 */
export class PacketMeter {
  private loggedIn = false;
  private received = 0;
  /** Bytes of the current packet's body still to come; -1 while a fixed header is being read. */
  private bodyLeft = -1;
  private headerBytes = 0;
  private length = 0;
  private multiplier = 1;

  constructor(
    private readonly socket: Socket,
    private readonly limits: PacketLimits,
    private readonly onViolation: (reason: string) => void,
  ) {}

  /** Starts watching. Aedes reads the socket in paused mode, so 'data' fires as it reads, before it parses. */
  start(): void {
    this.socket.on("data", (chunk: Buffer) => this.count(chunk));
  }

  login(): void {
    this.loggedIn = true;
  }

  private count(chunk: Buffer): void {
    if (this.socket.destroyed) return;
    if (!this.loggedIn) {
      this.received += chunk.length;
      if (this.received > this.limits.beforeLogin) {
        this.refuse(`more than ${this.limits.beforeLogin} bytes before login`);
        return;
      }
    }
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLeft > 0) {
        const skip = Math.min(this.bodyLeft, chunk.length - offset);
        this.bodyLeft -= skip;
        offset += skip;
        continue;
      }
      if (this.bodyLeft === 0) this.startHeader();
      const byte = chunk[offset++]!;
      this.headerBytes += 1;
      if (this.headerBytes === 1) continue; // packet type and flags
      // Remaining length: up to four bytes of 7 bits, least significant first (MQTT 3.1.1 §2.2.3).
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      if (byte & 0x80) {
        if (this.headerBytes === 5) {
          this.refuse("malformed remaining length");
          return;
        }
        continue;
      }
      const size = this.headerBytes + this.length;
      const limit = this.loggedIn ? this.limits.packet : this.limits.beforeLogin;
      if (size > limit) {
        this.refuse(`a packet of ${size} bytes (limit ${limit})`);
        return;
      }
      this.bodyLeft = this.length;
    }
  }

  private startHeader(): void {
    this.bodyLeft = -1;
    this.headerBytes = 0;
    this.length = 0;
    this.multiplier = 1;
  }

  private refuse(reason: string): void {
    this.onViolation(reason);
    this.socket.destroy();
  }
}
