// Router: patterns are kept as their segments; a match walks pattern and path segment by segment,
// a greedy capture trying its longest extent first. Among the routes of the method that match,
// the one whose segments are most literal from the left wins, then the one added first.
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "http/server.h"

namespace berth::http {
namespace {

// Kinds in order of precedence: a literal beats a one-segment capture beats a greedy one.
enum class SegmentKind { kLiteral = 0, kCapture = 1, kGreedy = 2 };

constexpr std::string_view kGreedySuffix = ":.*";

SegmentKind KindOf(std::string_view segment) {
  if (segment.size() < 3 || segment.front() != '{' || segment.back() != '}') {
    return SegmentKind::kLiteral;
  }
  std::string_view inner = segment.substr(1, segment.size() - 2);
  return inner.ends_with(kGreedySuffix) ? SegmentKind::kGreedy : SegmentKind::kCapture;
}

std::string CaptureName(std::string_view segment) {
  std::string_view inner = segment.substr(1, segment.size() - 2);
  if (inner.ends_with(kGreedySuffix)) inner.remove_suffix(kGreedySuffix.size());
  return std::string(inner);
}

// SplitSegments reads "/a/b" as {"a", "b"} and "/" as {""}.
std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return segments;
    path.remove_prefix(slash + 1);
  }
}

std::string JoinSegments(const std::vector<std::string_view>& path, size_t begin, size_t end) {
  std::string joined;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) joined.push_back('/');
    joined.append(path[i]);
  }
  return joined;
}

bool MatchFrom(const std::vector<std::string>& pattern, size_t pi,
               const std::vector<std::string_view>& path, size_t si,
               std::map<std::string, std::string>* params) {
  if (pi == pattern.size()) return si == path.size();
  if (si == path.size()) return false;
  const std::string& segment = pattern[pi];
  switch (KindOf(segment)) {
    case SegmentKind::kLiteral:
      return segment == path[si] && MatchFrom(pattern, pi + 1, path, si + 1, params);
    case SegmentKind::kCapture:
      if (path[si].empty() || !MatchFrom(pattern, pi + 1, path, si + 1, params)) return false;
      (*params)[CaptureName(segment)] = std::string(path[si]);
      return true;
    case SegmentKind::kGreedy:
      for (size_t end = path.size(); end > si; --end) {
        if (end == si + 1 && path[si].empty()) continue;  // the capture would be empty
        if (MatchFrom(pattern, pi + 1, path, end, params)) {
          (*params)[CaptureName(segment)] = JoinSegments(path, si, end);
          return true;
        }
      }
      return false;
  }
  return false;
}

// MorePrecise says whether pattern a should win over pattern b when both match.
bool MorePrecise(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    SegmentKind ka = KindOf(a[i]);
    SegmentKind kb = KindOf(b[i]);
    if (ka != kb) return ka < kb;
  }
  return false;
}

}  // namespace

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  BERTH_CHECK(!pattern.empty() && pattern.front() == '/');
  Route route{std::string(method), {}, std::move(handler)};
  for (std::string_view segment : SplitSegments(pattern)) {
    // Only "{name}" and "{name:.*}" are understood; any other brace in a pattern is a typo.
    BERTH_CHECK(KindOf(segment) != SegmentKind::kLiteral ||
                segment.find_first_of("{}") == std::string_view::npos);
    BERTH_CHECK(KindOf(segment) == SegmentKind::kLiteral ||
                CaptureName(segment).find_first_of("{}:") == std::string::npos);
    route.segments.emplace_back(segment);
  }
  routes_.push_back(std::move(route));
}

Result<const Handler*> Router::Match(std::string_view method, std::string_view path,
                                     std::map<std::string, std::string>* params) const {
  params->clear();
  if (path.empty() || path.front() != '/') return Fail(ErrorKind::kNotFound, "page not found");
  std::vector<std::string_view> segments = SplitSegments(path);
  const Route* best = nullptr;
  bool other_method = false;
  std::map<std::string, std::string> captures;
  for (const Route& route : routes_) {
    captures.clear();
    if (!MatchFrom(route.segments, 0, segments, 0, &captures)) continue;
    if (route.method != method) {
      other_method = true;
      continue;
    }
    if (best == nullptr || MorePrecise(route.segments, best->segments)) {
      best = &route;
      *params = captures;
    }
  }
  if (best != nullptr) return &best->handler;
  if (other_method) return Fail(ErrorKind::kFailedPrecondition, "method not allowed");
  return Fail(ErrorKind::kNotFound, "page not found");
}

}  // namespace berth::http
