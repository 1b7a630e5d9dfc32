// The learned failure-probability score: a gradient-boosted tree ensemble (XGBoost,
// through its C API) over the predictor's features (features.hpp).  A model file is
// JSON: ftmpi's header (format, version, the feature names in column order, the
// threshold chosen for it, where it came from) around XGBoost's own JSON model
// (docs/predictor.md, "Model file").  A model whose features are not this build's is
// refused, never misread.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "features.hpp"
#include "util/status.hpp"

namespace ftmpi {

struct TrainParams {
  int rounds = 60;         // boosting rounds (trees)
  int max_depth = 4;       // per tree
  double eta = 0.2;        // learning rate
  double threshold = 0.5;  // the decision threshold recommended with the model
  unsigned seed = 1;
};

class Classifier {
 public:
  // Reads a model file; refuses what is not one, or one for other features.
  static Result<std::unique_ptr<Classifier>> load(const std::string& path);
  // Trains on `rows` (row-major, k_model_columns values each: model_row(); NaN: missing) labelled 0
  // or 1.  Deterministic for the same rows and parameters.
  static Result<std::unique_ptr<Classifier>> train(std::span<const float> rows,
                                                   std::span<const float> labels,
                                                   const TrainParams& params);
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;
  Classifier(Classifier&&) = delete;
  Classifier& operator=(Classifier&&) = delete;
  ~Classifier();

  // Writes the model file (atomically); `provenance` is a JSON object's text.
  Status save(const std::string& path, const std::string& provenance) const;
  // Failure probabilities of rows (row-major, k_model_columns values each: model_row()).
  Result<std::vector<float>> scores(std::span<const float> rows) const;
  Result<float> score(const FeatureVector& features) const;

  [[nodiscard]] double threshold() const noexcept { return m_threshold; }
  void set_threshold(double threshold) noexcept { m_threshold = threshold; }
  // The model file's provenance object, as JSON text ("{}" for a model just trained).
  [[nodiscard]] const std::string& provenance() const noexcept { return m_provenance; }

 private:
  Classifier() = default;
  void* m_booster = nullptr;  // BoosterHandle
  double m_threshold = 0.5;
  std::string m_provenance = "{}";
};

}  // namespace ftmpi
