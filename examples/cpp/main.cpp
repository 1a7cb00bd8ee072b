// gatenet-check: verify and run gatenet's exported ONNX models from C++, with OpenCV's DNN module.
//
//   gatenet-check check-models DIR [--json]   verify every model that DIR/manifest.json lists
//   gatenet-check predict DIR GATE BIT...     run one gate on one row of bits
//   gatenet-check time DIR GATE [CALLS]       nanoseconds per 1-row forward pass
//
// check-models mirrors examples/node/check.mjs: same checks, same lines, same --json report.
// Exit codes: 0 all good, 1 a model failed, 2 usage error or unreadable manifest.

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;  // keeps the manifest's order of models, as Node's JSON.parse does

constexpr const char* kInputName = "bits";
constexpr const char* kOutputName = "probabilities";
constexpr const char* kUsage =
    "usage: gatenet-check check-models DIR [--json]\n"
    "       gatenet-check predict DIR GATE BIT...\n"
    "       gatenet-check time DIR GATE [CALLS]\n";

// How the program was called, or the manifest as a whole, is wrong: exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// One model is wrong: its FAILED line in check-models, exit 1 in predict and time.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Error texts from OpenCV and the JSON parser can span lines; every report here is one line.
std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool space = std::isspace(static_cast<unsigned char>(c));
    if (!space) out += c;
    else if (!out.empty() && out.back() != ' ') out += ' ';
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string fixed3(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  return text;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr)) {
    throw ModelError("cannot compute sha256 (OpenSSL failed)");
  }
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", digest[i]);
    hex += pair;
  }
  return hex;
}

// ---------------------------------------------------------------------------------------------
// The manifest

struct Manifest {
  fs::path path;
  Json models;  // file name -> entry, validated one entry at a time by parse_spec
};

Manifest read_manifest(const fs::path& dir) {
  Manifest manifest{dir / "manifest.json", {}};
  const std::string where = manifest.path.string();
  Json document;
  try {
    document = Json::parse(read_bytes(manifest.path));
  } catch (const Json::exception& error) {
    throw UsageError("cannot read " + where + ": not valid JSON (" + one_line(error.what()) + ")");
  } catch (const std::exception& error) {
    throw UsageError("cannot read " + where + ": " + error.what());
  }
  if (!document.is_object()) {
    throw UsageError(where + ": expected a JSON object {\"format\": 3, \"models\": {...}}, got " +
                     document.type_name());
  }
  // The formats gatenet itself reads: formats 1 (gatenet 0.1) and 2 have every field used here too.
  const Json format = document.value("format", Json());
  if (!format.is_number_integer() || (format < 1 || format > 3)) {
    throw UsageError(where + ": expected a gatenet manifest {\"format\": 3, \"models\": {...}}, got format " +
                     format.dump());
  }
  const Json models = document.value("models", Json());
  if (!models.is_object() || models.empty()) {
    throw UsageError(where + " lists no models: expected \"models\" to map file names to entries");
  }
  manifest.models = models;
  return manifest;
}

struct ModelSpec {
  std::string file, gate, sha256;
  std::vector<std::string> inputs, outputs;
  std::vector<std::string> truth_table;  // one string per output, one character per row
  std::string sampled;  // "sampled N": a circuit too large for a stored table, verified when built
  double margin = 0;
  int input_count() const { return static_cast<int>(inputs.size()); }
  std::int64_t rows() const { return std::int64_t{1} << input_count(); }  // circuits go up to 32 inputs
};

std::vector<std::string> string_list(const Json& entry, const char* field) {
  const Json& value = entry.value(field, Json());
  bool ok = value.is_array() && !value.empty();
  for (const Json& item : value) ok = ok && item.is_string();
  if (!ok) throw ModelError(std::string("manifest field \"") + field + "\" must be a list of strings");
  return value.get<std::vector<std::string>>();
}

std::string text_field(const Json& entry, const char* field) {
  const Json& value = entry.value(field, Json());
  if (!value.is_string()) throw ModelError(std::string("manifest field \"") + field + "\" must be a string");
  return value.get<std::string>();
}

// One manifest entry, checked enough that nothing later indexes past its truth table.
ModelSpec parse_spec(const std::string& file, const Json& entry) {
  if (!entry.is_object()) throw ModelError("manifest entry is not an object");
  // The name becomes a path: keep it a plain file in DIR.
  if (file.empty() || file.find('/') != std::string::npos || fs::path(file).extension() != ".onnx") {
    throw ModelError("manifest entry is not a plain NAME.onnx file name");
  }
  ModelSpec spec;
  spec.file = file;
  spec.gate = text_field(entry, "gate");
  spec.sha256 = text_field(entry, "sha256");
  spec.inputs = string_list(entry, "inputs");
  spec.outputs = string_list(entry, "outputs");
  const Json circuit = entry.value("circuit", Json::object());
  const Json verification = circuit.is_object() ? circuit.value("verification", Json()) : Json();
  if (verification.is_string() && verification.get<std::string>().rfind("sampled ", 0) == 0) {
    spec.sampled = verification.get<std::string>();
  }
  const Json& margin = entry.value("margin", Json());
  if (!margin.is_number()) throw ModelError("manifest field \"margin\" must be a number");
  spec.margin = margin.get<double>();
  if (!spec.sampled.empty() && !entry.contains("truth_table")) return spec;  // nothing more to check
  spec.truth_table = string_list(entry, "truth_table");

  bool table_ok = spec.inputs.size() <= 24 && spec.truth_table.size() == spec.outputs.size();
  for (const std::string& column : spec.truth_table) {
    table_ok = table_ok && static_cast<std::int64_t>(column.size()) == spec.rows() &&
               column.find_first_not_of("01") == std::string::npos;
  }
  if (!table_ok) {
    throw ModelError("manifest truth_table does not match " + std::to_string(spec.inputs.size()) +
                     " inputs x " + std::to_string(spec.outputs.size()) + " outputs");
  }
  return spec;
}

// The entry whose gate is GATE, compared case-insensitively (xor, XOR and Xor all find XOR).
ModelSpec find_gate(const Manifest& manifest, const std::string& gate) {
  auto upper = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  };
  std::string known;
  for (const auto& [file, entry] : manifest.models.items()) {
    const Json name = entry.is_object() ? entry.value("gate", Json()) : Json();
    if (!name.is_string()) continue;
    if (upper(name.get<std::string>()) == upper(gate)) {
      try {
        return parse_spec(file, entry);
      } catch (const ModelError& error) {
        throw ModelError(file + ": " + error.what());
      }
    }
    known += (known.empty() ? "" : ", ") + name.get<std::string>();
  }
  throw UsageError("no model for gate " + gate + " in " + manifest.path.string() + " (it has " + known + ")");
}

// ---------------------------------------------------------------------------------------------
// Running a model

// Loads the file's bytes once: the bytes that were hashed are the bytes that run.
cv::dnn::Net load_model(const fs::path& dir, const ModelSpec& spec) {
  std::string bytes;
  try {
    bytes = read_bytes(dir / spec.file);
  } catch (const std::exception& error) {
    throw ModelError(std::string("cannot read file: ") + error.what());
  }
  const std::string sha256 = sha256_hex(bytes);
  if (sha256 != spec.sha256) {
    throw ModelError("sha256 mismatch: manifest " + spec.sha256 + ", file " + sha256);
  }
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  } catch (const cv::Exception& error) {
    throw ModelError("load error: " + one_line(error.err));
  }
  if (net.empty()) throw ModelError("load error: OpenCV read no layers");
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

// Truth-table rows count in binary: in row r, input c is bit (inputs - 1 - c) of r,
// so the first input is the most significant bit.
int input_bit(std::int64_t row, int c, int inputs) { return static_cast<int>((row >> (inputs - 1 - c)) & 1); }

// Rows `first` .. `first + count - 1` of the truth table as a [count, inputs] float32 matrix.
cv::Mat table_rows(int inputs, std::int64_t first, int count) {
  cv::Mat bits(count, inputs, CV_32F);
  for (int i = 0; i < count; ++i) {
    for (int c = 0; c < inputs; ++c) bits.at<float>(i, c) = input_bit(first + i, c, inputs);
  }
  return bits;
}

// A [rows, outputs] matrix of probabilities. The model's batch dimension is the symbolic `N`;
// OpenCV 4.6 takes whatever row count the input Mat has, call by call, with no reshaping needed.
cv::Mat run(cv::dnn::Net& net, const cv::Mat& bits, int outputs) {
  cv::Mat probabilities;
  try {
    net.setInput(bits, kInputName);
    probabilities = net.forward(kOutputName);
  } catch (const cv::Exception& error) {
    throw ModelError("run error: " + one_line(error.err));
  }
  const cv::MatSize size = probabilities.size;
  const int type = probabilities.type();
  if (type != CV_32F || probabilities.dims != 2 || size[0] != bits.rows || size[1] != outputs) {
    std::string shape;
    for (int d = 0; d < probabilities.dims; ++d) shape += (d ? ", " : "") + std::to_string(size[d]);
    throw ModelError("run error: output " + cv::typeToString(type) + " [" + shape + "], expected CV_32FC1 [" +
                     std::to_string(bits.rows) + ", " + std::to_string(outputs) + "]");
  }
  return probabilities.clone();  // forward() may hand out the net's own buffer, reused by the next call
}

// ---------------------------------------------------------------------------------------------
// check-models

struct Result {
  bool verified = false;
  std::string skipped;  // why the rows were not checked here, for a model that stores no truth table
  double worst_margin = std::numeric_limits<double>::quiet_NaN();  // NaN: never ran
  std::vector<std::vector<float>> probabilities;
  std::string error;
};

std::string row_bits(int row, int inputs) {
  std::string bits;
  for (int c = 0; c < inputs; ++c) bits += input_bit(row, c, inputs) ? '1' : '0';
  return bits;
}

Result check_model(const fs::path& dir, const std::string& file, const Json& entry) {
  Result result;
  const ModelSpec spec = parse_spec(file, entry);
  cv::dnn::Net net = load_model(dir, spec);  // checks the SHA-256 in every case
  if (spec.truth_table.empty()) {
    result.skipped = "rows not checked: verified on a sample when built (" + spec.sampled + "), no stored table";
    return result;
  }
  const int outputs = static_cast<int>(spec.outputs.size());
  const int rows = static_cast<int>(spec.rows());  // a stored table has at most 2^24 rows (parse_spec)
  const cv::Mat probabilities = run(net, table_rows(spec.input_count(), 0, rows), outputs);

  std::vector<std::string> problems;
  result.worst_margin = std::numeric_limits<double>::infinity();
  for (int row = 0; row < rows; ++row) {
    const float* p = probabilities.ptr<float>(row);
    result.probabilities.emplace_back(p, p + outputs);
    for (int out = 0; out < outputs; ++out) {
      const char expected = spec.truth_table[out][row];
      const double margin = expected == '1' ? p[out] - 0.5 : 0.5 - p[out];
      result.worst_margin = std::min(result.worst_margin, margin);
      if (!(margin >= spec.margin)) {  // written so that a NaN probability fails too
        std::ostringstream problem;
        problem << "row " << row << " (" << row_bits(row, spec.input_count()) << ") "
                << spec.outputs[out] << "=" << fixed3(p[out]) << " (want " << expected << ", margin "
                << fixed3(margin) << " < " << spec.margin << ")";
        problems.push_back(problem.str());
      }
    }
  }
  result.verified = problems.empty();
  for (const std::string& problem : problems) result.error += (result.error.empty() ? "" : "; ") + problem;
  return result;
}

int check_models(const fs::path& dir, bool as_json) {
  const Manifest manifest = read_manifest(dir);
  Json report = {{"models", Json::object()}};
  bool all_verified = true;
  for (const auto& [file, entry] : manifest.models.items()) {
    Result result;
    try {
      result = check_model(dir, file, entry);
    } catch (const std::exception& error) {  // ModelError, or anything unforeseen: this model failed
      result = Result();
      result.error = one_line(error.what());
    }
    all_verified = all_verified && (result.verified || !result.skipped.empty());

    Json& json = report["models"][file];
    json["verified"] = result.verified;
    json["worst_margin"] = std::isnan(result.worst_margin) ? Json() : Json(result.worst_margin);
    json["probabilities"] = result.probabilities.empty() ? Json() : Json(result.probabilities);
    if (!result.verified && result.skipped.empty()) json["error"] = result.error;
    if (!result.skipped.empty()) json["skipped"] = result.skipped;
    if (!as_json) {
      std::cout << file
                << (result.verified          ? "  verified  worst margin " + fixed3(result.worst_margin)
                    : result.skipped.empty() ? "  FAILED  " + result.error
                                             : "  skipped  " + result.skipped)
                << "\n";
    }
  }
  if (as_json) std::cout << report.dump() << "\n";
  return all_verified ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// predict and time

int predict(const fs::path& dir, const std::string& gate, const std::vector<std::string>& bits) {
  const ModelSpec spec = find_gate(read_manifest(dir), gate);
  const int inputs = spec.input_count();
  if (static_cast<int>(bits.size()) != inputs) {
    std::string names;
    for (const std::string& name : spec.inputs) names += (names.empty() ? "" : " ") + name;
    throw UsageError(spec.gate + " takes " + std::to_string(inputs) + " bits (" + names + "), got " +
                     std::to_string(bits.size()));
  }
  std::int64_t row = 0;  // the bits as a row number, first bit most significant, as in the table
  for (const std::string& bit : bits) {
    if (bit != "0" && bit != "1") throw UsageError("bit \"" + bit + "\" is not 0 or 1");
    row = row * 2 + (bit == "1");
  }
  const int outputs = static_cast<int>(spec.outputs.size());
  cv::Mat probabilities;
  try {
    cv::dnn::Net net = load_model(dir, spec);
    probabilities = run(net, table_rows(inputs, row, 1), outputs);
  } catch (const ModelError& error) {
    throw ModelError(spec.file + ": " + error.what());
  }
  for (int out = 0; out < outputs; ++out) {
    const float p = probabilities.at<float>(0, out);
    std::cout << spec.outputs[out] << " " << fixed3(p) << " " << (p >= 0.5f ? 1 : 0) << "\n";
  }
  return 0;
}

int time_calls(const fs::path& dir, const std::string& gate, long calls) {
  const ModelSpec spec = find_gate(read_manifest(dir), gate);
  cv::dnn::Net net;
  try {
    net = load_model(dir, spec);
  } catch (const ModelError& error) {
    throw ModelError(spec.file + ": " + error.what());
  }
  const int inputs = spec.input_count();
  const cv::Mat row = table_rows(inputs, spec.rows() - 1, 1);  // all ones; any row costs the same
  cv::Mat probabilities;
  // The first passes allocate OpenCV's buffers and set up its layers: keep them out of the timing.
  for (long i = 0; i < std::min(calls, 1000L); ++i) {
    net.setInput(row, kInputName);
    net.forward(probabilities, kOutputName);
  }
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) {
    net.setInput(row, kInputName);
    net.forward(probabilities, kOutputName);
  }
  const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  std::cout << fs::path(spec.file).stem().string() << " 1 row: " << std::llround(elapsed.count() / calls)
            << " ns per call\n";
  return 0;
}

long parse_calls(const std::string& text) {
  std::size_t used = 0;
  long calls = 0;
  try {
    calls = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || calls < 1) throw UsageError("CALLS must be a whole number above 0, got " + text);
  return calls;
}

int run_command(const std::vector<std::string>& args) {
  const std::string command = args.empty() ? "" : args[0];
  if (command == "-h" || command == "--help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "check-models") {
    std::vector<std::string> dirs;
    bool as_json = false;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--json") as_json = true;
      else if (args[i].rfind("--", 0) == 0) throw UsageError("unknown option " + args[i]);
      else dirs.push_back(args[i]);
    }
    if (dirs.size() != 1) throw UsageError("check-models takes one DIR, the folder with manifest.json");
    return check_models(dirs[0], as_json);
  }
  if (command == "predict") {
    if (args.size() < 4) throw UsageError("predict takes DIR GATE BIT...");
    return predict(args[1], args[2], std::vector<std::string>(args.begin() + 3, args.end()));
  }
  if (command == "time") {
    if (args.size() != 3 && args.size() != 4) throw UsageError("time takes DIR GATE [CALLS]");
    return time_calls(args[1], args[2], args.size() == 4 ? parse_calls(args[3]) : 100000);
  }
  throw UsageError((command.empty() ? "no command given" : "unknown command " + command) +
                   ": expected check-models, predict or time (see gatenet-check --help)");
}

}  // namespace

int main(int argc, char** argv) {
  // Tiny models: OpenCV's thread pool would cost more in hand-offs than the arithmetic it splits.
  cv::setNumThreads(1);
  // OpenCV also logs its errors on stderr, over several lines; each failure is reported here once.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  try {
    return run_command(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& error) {
    std::cerr << "error: " << one_line(error.what()) << "\n";
    return 2;
  } catch (const std::exception& error) {  // ModelError in predict and time, or anything unforeseen
    std::cerr << "error: " << one_line(error.what()) << "\n";
    return 1;
  }
}
