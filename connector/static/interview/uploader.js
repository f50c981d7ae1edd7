// Uploads chunks as they come, by index, retrying with backoff until the server confirms each.
// Chunks stay in IndexedDB (store.js) until their answer is submitted, not just confirmed: after
// a reload the submit's checksum needs every byte of the take, and any unconfirmed chunk is sent.

import { ApiError } from "./api.js";
import { putChunk } from "./store.js";

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 8000;

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

  report() { this.onProgress(this.queue.length, this.confirmed.size); }

  async pump() {
    if (this.running) return;
    this.running = true;
    let delay = FIRST_DELAY_MS;
    while (this.queue.length) {
      const item = this.queue[0];
      try {
        await this.api.chunk(item.pos, item.take, item.index, item.blob);
        this.queue.shift();
        this.confirmed.add(this.key(item.pos, item.take, item.index));
        delay = FIRST_DELAY_MS;
        this.report();
      } catch (error) {
        if (error instanceof ApiError && error.status < 500 && error.status !== 429) {
          this.queue = this.queue.filter((q) => q.take !== item.take || q.pos !== item.pos);
          this.onFatal(error);
          break;
        }
        // Network down or server busy: wait, then try the same chunk again.
        await new Promise((r) => setTimeout(r, delay * (0.75 + Math.random() / 2)));
        delay = Math.min(delay * 2, MAX_DELAY_MS);
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
