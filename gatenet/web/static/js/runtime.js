// The models, run in the browser by onnxruntime-web's wasm backend, shipped with gatenet (vendor/).
import * as ort from '../vendor/onnxruntime-web/ort.wasm.min.mjs';

// One thread: more need SharedArrayBuffer, which needs COOP/COEP headers that a static host may not send.
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const INPUT = 'bits';
const OUTPUT = 'probabilities';
const opened = new Map(); // url -> { digest, model }: the session of the file that has that SHA-256

/** One model file with one session. A session runs one batch at a time, so runs are queued. */
class Model {
  constructor(session) {
    this.session = session;
    this.queue = Promise.resolve();
  }

  /** Probabilities, `outputs` per row, for a Float32Array of rows of `inputs` values each: one batch. */
  run(rows, inputs) {
    const job = this.queue.then(async () => {
      const tensor = new ort.Tensor('float32', rows, [rows.length / inputs, inputs]);
      const results = await this.session.run({ [INPUT]: tensor }, [OUTPUT]);
      return results[OUTPUT].data;
    });
    this.queue = job.catch(() => undefined);
    return job;
  }
}

/**
 * The model at `url` (relative to the page) whose file has SHA-256 `digest` (gallery.json's), loaded once.
 * The playground retrains a model under the same name, so the same URL then holds a new file: a new digest
 * loads it afresh.
 */
export function openModel(url, digest) {
  const known = opened.get(url);
  if (known?.digest === digest) return known.model;
  const model = ort.InferenceSession.create(url, { executionProviders: ['wasm'] }).then((session) => new Model(session));
  const entry = { digest, model };
  model.catch(() => { if (opened.get(url) === entry) opened.delete(url); });
  opened.set(url, entry);
  return model;
}
