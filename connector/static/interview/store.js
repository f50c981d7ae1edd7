// Recorded chunks kept in IndexedDB until the server has confirmed them, so that a reload,
// a closed tab or a crash loses nothing already recorded.

const DB_NAME = "connector-interview";
let opening = null;

function open() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore("chunks", { keyPath: "id" });
      store.createIndex("answer", "answer");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

async function run(mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("chunks", mode);
    const result = work(tx.objectStore("chunks"));
    tx.oncomplete = () => resolve(result.result ?? result);
    tx.onerror = () => reject(tx.error);
  });
}

const answerKey = (session, pos) => `${session}:${pos}`;

export function putChunk(session, pos, take, index, blob) {
  const id = `${session}:${pos}:${take}:${index}`;
  return run("readwrite", (s) => s.put({ id, answer: answerKey(session, pos), take, index, blob }));
}

// The chunks of one take, in order.
export async function chunksOf(session, pos, take) {
  const all = await run("readonly", (s) => s.index("answer").getAll(answerKey(session, pos)));
  return all.filter((c) => c.take === take).sort((a, b) => a.index - b.index);
}

export async function clearAnswer(session, pos) {
  const db = await open();
  const keys = await run("readonly", (s) => s.index("answer").getAllKeys(answerKey(session, pos)));
  await new Promise((resolve, reject) => {
    const tx = db.transaction("chunks", "readwrite");
    for (const key of keys) tx.objectStore("chunks").delete(key);
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
}
