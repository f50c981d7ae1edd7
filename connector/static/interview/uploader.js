// Uploads chunks as they come, by index, retrying with backoff until the server confirms each.
// Chunks stay in IndexedDB (store.js) until their answer is submitted, not just confirmed: after
// a reload the submit's checksum needs every byte of the take, and any unconfirmed chunk is sent.

import { backoff, retryable } from "./api.js";
import { putChunk } from "./store.js";

const FIRST_DELAY_MS = 500;
// The longest wait between two attempts, whatever happened before, so that a connection that
// comes back is used within this long even when the browser does not say it is back online.
export const MAX_DELAY_MS = 5000;

export class Uploader {
  constructor(api, session, onProgress, onFatal) {
    this.api = api;
    this.session = session;
    this.onProgress = onProgress;
    this.onFatal = onFatal;
    this.queue = [];
    this.confirmed = new Set();
    this.running = false;
    this.waiters = [];
    this.wake = null;
    this.delay = FIRST_DELAY_MS;
    this.stalled = false;
    // The browser knows the network is back before any timer would: try again at once.
    window.addEventListener("online", () => this.retryNow());
  }

  key(pos, take, index) { return `${pos}:${take}:${index}`; }

  async add(pos, take, index, blob, { persist = true } = {}) {
    if (this.confirmed.has(this.key(pos, take, index))) return;
    if (persist) await putChunk(this.session, pos, take, index, blob);
    this.queue.push({ pos, take, index, blob });
    this.report();
    this.pump();
  }

  pending() { return this.queue.length; }

  // Progress, and whether the last attempt failed, so the page can say it waits for the network.
  report() { this.onProgress(this.queue.length, this.confirmed.size, this.stalled); }

  retryNow() {
    this.delay = FIRST_DELAY_MS;
    this.wake?.();
  }

  // A pause that ends early when retryNow() is called.
  pause(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.wake = () => { clearTimeout(timer); this.wake = null; resolve(); };
    });
  }

  async pump() {
    if (this.running) return;
    this.running = true;
    while (this.queue.length) {
      const item = this.queue[0];
      try {
        await this.api.chunk(item.pos, item.take, item.index, item.blob);
        this.queue.shift();
        this.confirmed.add(this.key(item.pos, item.take, item.index));
        this.delay = FIRST_DELAY_MS;
        this.stalled = false;
        this.report();
      } catch (error) {
        if (!retryable(error)) {
          this.queue = this.queue.filter((q) => q.take !== item.take || q.pos !== item.pos);
          this.onFatal(error);
          break;
        }
        // Network down or server busy: wait, then try the same chunk again.
        if (!this.stalled) { this.stalled = true; this.report(); }
        await this.pause(backoff(error, this.delay, MAX_DELAY_MS));
        this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
      }
    }
    this.running = false;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  // Resolves when every queued chunk is confirmed (or dropped after a refusal).
  idle() {
    if (!this.queue.length && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
