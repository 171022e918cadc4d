// ScopeExit runs a callable when it goes out of scope, unless Dismiss()ed. For clean-up on error
// paths: `ScopeExit undo([&] { rmdir(path); }); ... undo.Dismiss();`.
#pragma once

#include <utility>

namespace berth {

template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F fn) : fn_(std::move(fn)) {}
  ~ScopeExit() {
    if (active_) fn_();
  }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

  void Dismiss() { active_ = false; }

 private:
  F fn_;
  bool active_ = true;
};

}  // namespace berth
