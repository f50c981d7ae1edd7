// Camera, microphone and MediaRecorder: what the browser can do, and recording in timeslices.

const TIMESLICE_MS = 1000;
const IN_APP = /FBAN|FBAV|FB_IAB|Instagram|LinkedInApp|Line\/|MicroMessenger|Snapchat|TikTok/i;

// In-app browsers (LinkedIn, Facebook, Instagram, ...) cannot reach the camera reliably.
export function inAppBrowser(userAgent = navigator.userAgent) {
  return IN_APP.test(userAgent);
}

export function canRecord() {
  return Boolean(navigator.mediaDevices?.getUserMedia && window.MediaRecorder);
}

// WebM on Chrome and Firefox, MP4 on Safari: the first type this browser can record.
export function pickMimeType(kind) {
  const video = ["video/webm;codecs=vp9,opus", "video/webm;codecs=vp8,opus", "video/webm",
                 "video/mp4;codecs=avc1,mp4a", "video/mp4"];
  const audio = ["audio/webm;codecs=opus", "audio/webm", "audio/mp4"];
  return (kind === "audio" ? audio : video).find((t) => MediaRecorder.isTypeSupported(t)) || null;
}

// The camera and microphone, or an error whose `name` says why not.
export async function openDevices(kind) {
  const wantVideo = kind !== "audio";
  return navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true },
    video: wantVideo ? { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } } : false,
  });
}

// Drive a <meter> from the microphone's loudness; returns a function that stops it.
export function levelMeter(stream, meter) {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  let frame = 0;
  const tick = () => {
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) peak = Math.max(peak, Math.abs(s - 128) / 128);
    meter.value = peak;
    frame = requestAnimationFrame(tick);
  };
  tick();
  return () => { cancelAnimationFrame(frame); context.close(); };
}

// Records a stream in one-second slices, calling onChunk(index, blob) for each, in order.
export class Recorder {
  constructor(stream, mimeType, onChunk) {
    this.recorder = new MediaRecorder(stream, { mimeType });
    this.mimeType = mimeType;
    this.index = 0;
    this.blobs = [];
    this.recorder.ondataavailable = (event) => {
      if (!event.data.size) return;
      const index = this.index++;
      this.blobs.push(event.data);
      onChunk(index, event.data);
    };
  }

  start() {
    this.startedAt = performance.now();
    this.recorder.start(TIMESLICE_MS);
  }

  // Resolves once the last slice has been handed over.
  stop() {
    return new Promise((resolve) => {
      if (this.recorder.state === "inactive") return resolve();
      this.recorder.onstop = () => {
        this.durationMs = Math.round(performance.now() - this.startedAt);
        setTimeout(resolve, 0);
      };
      this.recorder.stop();
    });
  }

  get recording() { return this.recorder.state === "recording"; }
}

export async function sha256Hex(blobs) {
  const buffer = await new Blob(blobs).arrayBuffer();
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
