// Slash-separated paths handled lexically as Go's path/filepath does on Linux, for code that
// speaks docker's path rules (docker cp on both sides of the API). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace berth {

// GoClean is filepath.Clean: "//a/./b/../c/" → "/a/c"; ".." stops at "/" but is kept at the
// front of a relative path ("../../x"); "" → ".".
std::string GoClean(std::string_view path);
// GoBase is filepath.Base: the last element once trailing slashes are dropped; "/" for slashes
// only, "." for "".
std::string GoBase(std::string_view path);
// GoDir is filepath.Dir: everything but the last element, cleaned ("b" → ".", "/b" → "/").
std::string GoDir(std::string_view path);

// PreserveTrailingDotOrSeparator is moby's: adds back to a cleaned path the "/." or "/" that
// original ended with ("/etc" and "/etc/." → "/etc/.").
std::string PreserveTrailingDotOrSeparator(std::string cleaned, std::string_view original);
// SpecifiesCurrentDir says whether the path's last element is "." (GoBase is ".").
bool SpecifiesCurrentDir(std::string_view path);

}  // namespace berth
