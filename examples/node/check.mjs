// Verify gatenet's exported ONNX models from Node.js, without any Python.
// Usage: node check.mjs [DIR] [--json]   (DIR defaults to ../../exported next to this file)
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";

const INPUT_NAME = "bits";
const OUTPUT_NAME = "probabilities";
const DEFAULT_DIR = fileURLToPath(new URL("../../exported", import.meta.url));

const args = process.argv.slice(2);
const asJson = args.includes("--json");
const dir = path.resolve(args.find((arg) => !arg.startsWith("--")) ?? DEFAULT_DIR);

const oneLine = (error) => String(error?.message ?? error).replace(/\s+/g, " ").trim();

async function readManifest(dir) {
  const manifestPath = path.join(dir, "manifest.json");
  let manifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${manifestPath}: ${oneLine(error)}`);
  }
  const models = Object.entries(manifest?.models ?? {});
  if (models.length === 0) throw new Error(`${manifestPath} lists no models`);
  return models;
}

// Every row of the truth table, in binary counting order, first input = most significant bit.
function allRows(inputCount) {
  const rowCount = 2 ** inputCount;
  const bits = new Float32Array(rowCount * inputCount);
  for (let row = 0; row < rowCount; row++) {
    for (let col = 0; col < inputCount; col++) {
      bits[row * inputCount + col] = (row >> (inputCount - 1 - col)) & 1;
    }
  }
  return new ort.Tensor("float32", bits, [rowCount, inputCount]);
}

function checkTruthTable(spec, probabilities) {
  const { inputs, outputs, truth_table: table, margin } = spec;
  const problems = [];
  let worstMargin = Infinity;
  probabilities.forEach((rowProbs, row) => {
    rowProbs.forEach((p, out) => {
      const expected = table[out][row];
      const rowMargin = expected === "1" ? p - 0.5 : 0.5 - p;
      worstMargin = Math.min(worstMargin, rowMargin);
      if (!(rowMargin >= margin)) {
        const rowBits = row.toString(2).padStart(inputs.length, "0");
        problems.push(`row ${row} (${rowBits}) ${outputs[out]}=${p.toFixed(3)} (want ${expected}, margin ${rowMargin.toFixed(3)} < ${margin})`);
      }
    });
  });
  return { worstMargin, problems };
}

async function checkModel(dir, file, spec) {
  const result = { verified: false, worst_margin: null, probabilities: null };
  const bytes = await readFile(path.join(dir, file)).catch((error) => {
    throw new Error(`cannot read file: ${oneLine(error)}`);
  });

  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== spec.sha256) {
    throw new Error(`sha256 mismatch: manifest ${spec.sha256}, file ${sha256}`);
  }

  // A circuit too large for a stored truth table was verified on a sample when it was built.
  const verification = spec.circuit?.verification ?? "";
  if (!spec.truth_table && verification.startsWith("sampled ")) {
    return { ...result, skipped: `rows not checked: verified on a sample when built (${verification}), no stored table` };
  }

  const rowCount = 2 ** spec.inputs.length;
  const outputCount = spec.outputs.length;
  const tableOk = spec.truth_table.length === outputCount &&
    spec.truth_table.every((column) => column.length === rowCount && /^[01]+$/.test(column));
  if (!tableOk) throw new Error(`manifest truth_table does not match ${spec.inputs.length} inputs x ${outputCount} outputs`);

  let session;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (error) {
    throw new Error(`load error: ${oneLine(error)}`);
  }
  try {
    const { [OUTPUT_NAME]: output } = await session.run({ [INPUT_NAME]: allRows(spec.inputs.length) });
    if (!output) throw new Error(`model has no output "${OUTPUT_NAME}"`);
    if (output.dims.join() !== [rowCount, outputCount].join()) {
      throw new Error(`output shape [${output.dims}], expected [${rowCount}, ${outputCount}]`);
    }
    const flat = Array.from(output.data);
    result.probabilities = Array.from({ length: rowCount }, (_, row) => flat.slice(row * outputCount, (row + 1) * outputCount));
  } catch (error) {
    throw new Error(`run error: ${oneLine(error)}`);
  } finally {
    await session.release();
  }

  const { worstMargin, problems } = checkTruthTable(spec, result.probabilities);
  result.worst_margin = worstMargin;
  result.verified = problems.length === 0;
  if (!result.verified) result.error = problems.join("; ");
  return result;
}

async function main() {
  let models;
  try {
    models = await readManifest(dir);
  } catch (error) {
    console.error(`error: ${error.message}`);
    return 1;
  }

  const report = { models: {} };
  for (const [file, spec] of models) {
    let result;
    try {
      result = await checkModel(dir, file, spec);
    } catch (error) {
      result = { verified: false, worst_margin: null, probabilities: null, error: oneLine(error) };
    }
    report.models[file] = result;
    if (!asJson) {
      console.log(result.verified
        ? `${file}  verified  worst margin ${result.worst_margin.toFixed(3)}`
        : result.skipped ? `${file}  skipped  ${result.skipped}` : `${file}  FAILED  ${result.error}`);
    }
  }

  if (asJson) console.log(JSON.stringify(report));
  return Object.values(report.models).every((result) => result.verified || result.skipped) ? 0 : 1;
}

process.exitCode = await main();
