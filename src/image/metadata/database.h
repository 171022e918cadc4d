// The metadata database: one SQLite file (WAL, synchronous=FULL) that the image parts share. Each
// owner (metadata/ for images, tags, layers, leases and references; snapshot/ for snapshots)
// creates and upgrades its own tables with Migrate. Every change is one transaction (Write): it
// commits whole or, after an error or a crash at any point, not at all. Thread-safety: a Database
// is one connection behind a mutex. Read and Write hold it for the whole callback, so callers on
// several threads serialise; a Tx must not escape its callback. Other processes may open the same
// file; a writer waits up to busy_timeout_ms for their locks.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::image::metadata {

// A value bound to a "?" parameter. std::string_view is bound as TEXT (copied by SQLite).
using Value = std::variant<std::nullptr_t, int64_t, std::string_view>;

// Row gives access to the current row of a Query; valid only inside the row callback.
class Row {
 public:
  explicit Row(sqlite3_stmt* stmt) : stmt_(stmt) {}
  bool IsNull(int column) const;
  int64_t Int(int column) const;       // 0 for NULL
  std::string Text(int column) const;  // "" for NULL
  std::optional<std::string> OptionalText(int column) const;

 private:
  sqlite3_stmt* stmt_;
};

class Database;

// Tx runs statements inside one transaction of a Database. Statements are prepared once per
// connection and cached by their SQL text.
class Tx {
 public:
  // Exec runs a statement that returns no rows; it returns the number of rows it changed.
  Result<int64_t> Exec(std::string_view sql, std::initializer_list<Value> args = {});
  // Query calls on_row for every row; an error from on_row stops the query and is returned.
  Status Query(std::string_view sql, std::initializer_list<Value> args,
               const std::function<Status(const Row&)>& on_row);
  // QueryOne returns the first row mapped by fn, or nullopt when there is none.
  template <typename T>
  Result<std::optional<T>> QueryOne(std::string_view sql, std::initializer_list<Value> args,
                                    const std::function<T(const Row&)>& fn) {
    std::optional<T> out;
    BERTH_TRY(Query(sql, args, [&](const Row& row) -> Status {
      if (!out) out = fn(row);
      return {};
    }));
    return out;
  }
  int64_t LastInsertRowId() const;

 private:
  friend class Database;
  explicit Tx(Database* db) : db_(db) {}
  Database* db_;
};

struct DatabaseOptions {
  int busy_timeout_ms = 10000;
};

class Database {
 public:
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Open opens (creating when missing) the database file at path and sets WAL, synchronous=FULL and
  // foreign keys. A file that is not a SQLite database is kDataLoss.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                DatabaseOptions options = {});

  // Migrate brings the tables of owner to the last of steps: step i (0-based) runs, in its own
  // transaction together with the version record, when the recorded version of owner is <= i. Steps
  // are append-only: a released step never changes. A database newer than the steps it is given
  // (made by a later berth) is kFailedPrecondition.
  Status Migrate(std::string_view owner, std::span<const std::string_view> steps);

  // Write runs fn in a write transaction (BEGIN IMMEDIATE ... COMMIT); when fn fails the
  // transaction rolls back and its error is returned.
  Status Write(const std::function<Status(Tx&)>& fn);
  // Read runs fn in a read transaction: every query in it sees the same snapshot of the database.
  Status Read(const std::function<Status(Tx&)>& fn);

  const std::string& path() const { return path_; }

 private:
  friend class Tx;
  Database(std::string path, sqlite3* db);
  Status Run(const char* begin, const std::function<Status(Tx&)>& fn);
  Result<sqlite3_stmt*> Prepare(std::string_view sql);
  Status ExecScript(const char* sql);
  Error SqlError(std::string_view what, int rc) const;

  std::string path_;
  sqlite3* db_;
  std::mutex mu_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace berth::image::metadata
