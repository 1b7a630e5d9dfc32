#include "classifier.hpp"

#include <xgboost/c_api.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/files.hpp"

namespace ftmpi {
namespace {

using json = nlohmann::json;
constexpr const char* k_format = "ftmpi-model";
constexpr int k_version = 1;

Status xgb_status(const char* what, int rc) {
  if (rc == 0) {
    return {};
  }
  return internal_error(fmt::format("XGBoost {}: {}", what, XGBGetLastError()));
}

// A DMatrix freed when it goes.
class Matrix {
 public:
  Matrix() = default;
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  Matrix(Matrix&&) = delete;
  Matrix& operator=(Matrix&&) = delete;
  ~Matrix() {
    if (m_handle != nullptr) {
      XGDMatrixFree(m_handle);
    }
  }
  Status make(std::span<const float> rows) {
    if (rows.size() % k_model_columns != 0) {
      return invalid_argument(fmt::format("{} values are no whole number of rows of {} features",
                                          rows.size(), k_model_columns));
    }
    return xgb_status("DMatrix", XGDMatrixCreateFromMat(
                                     rows.data(), rows.size() / k_model_columns, k_model_columns,
                                     std::numeric_limits<float>::quiet_NaN(), &m_handle));
  }
  [[nodiscard]] DMatrixHandle handle() const noexcept { return m_handle; }

 private:
  DMatrixHandle m_handle = nullptr;
};

json feature_names() {
  json names = json::array();
  for (std::size_t i = 0; i < k_model_columns; ++i) {
    names.push_back(std::string(feature_name(k_model_features[i])));
  }
  return names;
}

}  // namespace

Classifier::~Classifier() {
  if (m_booster != nullptr) {
    XGBoosterFree(m_booster);
  }
}

Result<std::unique_ptr<Classifier>> Classifier::load(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return not_found(fmt::format("the model {} is a directory; name the model file", path));
  }
  if (exists_but_not_regular(path)) {
    return corrupt(fmt::format("the model {} is not a regular file", path));
  }
  std::ifstream in(path);
  if (!in) {
    return not_found(fmt::format("cannot read the model {}", path));
  }
  json doc;
  try {
    doc = json::parse(in);
  } catch (const std::exception& e) {
    return corrupt(fmt::format("{} is not a model file (not JSON: {})", path, e.what()));
  }
  double threshold = 0.5;
  try {  // a field of the wrong type throws
    if (!doc.is_object() || doc.value("format", "") != k_format) {
      return corrupt(
          fmt::format("{} is not an ftmpi model (no \"format\": \"{}\")", path, k_format));
    }
    if (doc.value("version", 0) != k_version) {
      return unsupported(fmt::format("{}: model version {} (this ftmpi reads version {})", path,
                                     doc.value("version", 0), k_version));
    }
    if (doc.value("features", json()) != feature_names()) {
      return unsupported(
          fmt::format("{} was trained on other features than this ftmpi computes: retrain it with "
                      "ftmpi-train",
                      path));
    }
    threshold = doc.value("threshold", 0.5);
  } catch (const std::exception& e) {
    return corrupt(fmt::format("{} is not a valid model: {}", path, e.what()));
  }
  if (!(threshold >= 0 && threshold <= 1)) {
    return corrupt(fmt::format("{}: its threshold {} is not from 0 to 1", path, threshold));
  }
  if (!doc.contains("booster") || !doc["booster"].is_object()) {
    return corrupt(fmt::format("{} holds no booster", path));
  }
  std::unique_ptr<Classifier> c(new Classifier());
  FTMPI_RETURN_IF_ERROR(xgb_status("create", XGBoosterCreate(nullptr, 0, &c->m_booster)));
  const std::string booster = doc["booster"].dump();
  if (XGBoosterLoadModelFromBuffer(c->m_booster, booster.data(), booster.size()) != 0) {
    // XGBoost's message, without the stack trace it appends.
    std::string why = XGBGetLastError();
    why = why.substr(0, why.find("\nStack trace"));
    return corrupt(fmt::format("{}: its booster does not load: {}", path, why));
  }
  FTMPI_RETURN_IF_ERROR(xgb_status("nthread", XGBoosterSetParam(c->m_booster, "nthread", "1")));
  c->m_threshold = threshold;
  c->m_provenance = doc.value("provenance", json::object()).dump();
  return c;
}

Result<std::unique_ptr<Classifier>> Classifier::train(std::span<const float> rows,
                                                      std::span<const float> labels,
                                                      const TrainParams& params) {
  if (labels.empty() || rows.size() != labels.size() * k_model_columns) {
    return invalid_argument(fmt::format("{} labels for {} values of {} features each",
                                        labels.size(), rows.size(), k_model_columns));
  }
  Matrix data;
  FTMPI_RETURN_IF_ERROR(data.make(rows));
  FTMPI_RETURN_IF_ERROR(xgb_status(
      "labels", XGDMatrixSetFloatInfo(data.handle(), "label", labels.data(), labels.size())));
  std::unique_ptr<Classifier> c(new Classifier());
  DMatrixHandle train_set[] = {data.handle()};
  FTMPI_RETURN_IF_ERROR(xgb_status("create", XGBoosterCreate(train_set, 1, &c->m_booster)));
  const std::string depth = std::to_string(params.max_depth);
  const std::string eta = fmt::format("{}", params.eta);
  const std::string seed = std::to_string(params.seed);
  const std::pair<const char*, const char*> settings[] = {{"objective", "binary:logistic"},
                                                          {"eval_metric", "logloss"},
                                                          {"tree_method", "exact"},
                                                          {"max_depth", depth.c_str()},
                                                          {"eta", eta.c_str()},
                                                          {"seed", seed.c_str()},
                                                          {"nthread", "1"},
                                                          {"verbosity", "0"}};
  for (const auto& [name, value] : settings) {
    FTMPI_RETURN_IF_ERROR(xgb_status(name, XGBoosterSetParam(c->m_booster, name, value)));
  }
  for (int i = 0; i < params.rounds; ++i) {
    FTMPI_RETURN_IF_ERROR(
        xgb_status("training", XGBoosterUpdateOneIter(c->m_booster, i, data.handle())));
  }
  c->m_threshold = params.threshold;
  return c;
}

Status Classifier::save(const std::string& path, const std::string& provenance) const {
  bst_ulong length = 0;
  const char* bytes = nullptr;
  FTMPI_RETURN_IF_ERROR(xgb_status(
      "save", XGBoosterSaveModelToBuffer(m_booster, R"({"format": "json"})", &length, &bytes)));
  // ftmpi's header first, readable; XGBoost's model after it on one line.
  nlohmann::ordered_json doc = {{"format", k_format},
                                {"version", k_version},
                                {"threshold", m_threshold},
                                {"features", feature_names()}};
  std::string booster;
  try {
    doc["provenance"] = nlohmann::ordered_json::parse(provenance);
    booster = json::parse(std::string_view(bytes, length)).dump();
  } catch (const json::exception& e) {
    return internal_error(fmt::format("cannot write the model: {}", e.what()));
  }
  std::string text = doc.dump(1);
  text.resize(text.size() - 2);  // the closing brace and the line's end
  return write_file_atomically(path, text + ",\n \"booster\": " + booster + "\n}\n");
}

Result<std::vector<float>> Classifier::scores(std::span<const float> rows) const {
  Matrix data;
  FTMPI_RETURN_IF_ERROR(data.make(rows));
  bst_ulong length = 0;
  const float* out = nullptr;
  FTMPI_RETURN_IF_ERROR(
      xgb_status("predict", XGBoosterPredict(m_booster, data.handle(), 0, 0, 0, &length, &out)));
  return std::vector<float>(out, out + length);
}

Result<float> Classifier::score(const FeatureVector& features) const {
  const ModelRow row = model_row(features);
  auto one = scores(row);
  if (!one.ok()) {
    return one.status();
  }
  if (one.value().size() != 1) {
    return internal_error("XGBoost gave no score");
  }
  return one.value()[0];
}

}  // namespace ftmpi
