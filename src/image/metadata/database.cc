#include "image/metadata/database.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include <utility>

#include "base/scope_exit.h"

namespace berth::image::metadata {
namespace {

// KindOfSqlite maps an extended SQLite result code to the ErrorKind callers act on.
ErrorKind KindOfSqlite(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return ErrorKind::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return ErrorKind::kFailedPrecondition;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::kUnavailable;
    case SQLITE_CONSTRAINT:
      return ErrorKind::kConflict;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::kDataLoss;
    case SQLITE_FULL:
      return ErrorKind::kResourceExhausted;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return ErrorKind::kPermissionDenied;
    case SQLITE_CANTOPEN:
      return ErrorKind::kNotFound;
    default:
      return ErrorKind::kInternal;
  }
}

constexpr const char* kSchemaVersions =
    "CREATE TABLE IF NOT EXISTS schema_versions ("
    " owner TEXT PRIMARY KEY,"
    " version INTEGER NOT NULL)";

}  // namespace

bool Row::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Row::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Row::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Row::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

Result<int64_t> Tx::Exec(std::string_view sql, std::initializer_list<Value> args) {
  BERTH_TRY(Query(sql, args, [](const Row&) -> Status { return {}; }));
  return static_cast<int64_t>(sqlite3_changes64(db_->db_));
}

Status Tx::Query(std::string_view sql, std::initializer_list<Value> args,
                 const std::function<Status(const Row&)>& on_row) {
  BERTH_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, db_->Prepare(sql));
  ScopeExit reset([stmt] {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  });
  int index = 1;
  for (const Value& v : args) {
    int rc = SQLITE_OK;
    if (const auto* i = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *i);
    } else if (const auto* s = std::get_if<std::string_view>(&v)) {
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) return Fail(db_->SqlError(fmt::format("bind parameter {}", index), rc));
    ++index;
  }
  const Row row(stmt);
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return Fail(db_->SqlError("run statement", rc));
    BERTH_TRY(on_row(row));
  }
}

int64_t Tx::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_->db_); }

Database::Database(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

Database::~Database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, DatabaseOptions options) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string why = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return Fail(KindOfSqlite(rc), fmt::format("open database {}: {}", path, why));
  }
  std::unique_ptr<Database> db(new Database(path, raw));
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  // WAL lets readers run beside one writer; synchronous=FULL fsyncs the WAL at every commit, so
  // a committed transaction survives a power loss, not only a process crash.
  BERTH_TRY(
      db->ExecScript("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  BERTH_TRY(db->ExecScript(kSchemaVersions));
  return db;
}

Status Database::ExecScript(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string why = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return Fail(KindOfSqlite(sqlite3_extended_errcode(db_)),
              fmt::format("database {}: {}: {}", path_, sql, why));
}

Error Database::SqlError(std::string_view what, int rc) const {
  return Error(KindOfSqlite(rc),
               fmt::format("database {}: {}: {}", path_, what, sqlite3_errmsg(db_)));
}

Result<sqlite3_stmt*> Database::Prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Fail(SqlError(fmt::format("prepare \"{}\"", sql), rc));
  statements_.emplace(std::move(key), stmt);
  return stmt;
}

Status Database::Run(const char* begin, const std::function<Status(Tx&)>& fn) {
  std::lock_guard lock(mu_);
  BERTH_TRY(ExecScript(begin));
  Tx tx(this);
  Status result = fn(tx);
  if (result) result = ExecScript("COMMIT");
  // A failed COMMIT (SQLITE_BUSY, disk full) leaves the transaction open: roll it back too.
  if (!result && !sqlite3_get_autocommit(db_)) (void)ExecScript("ROLLBACK");
  return result;
}

Status Database::Write(const std::function<Status(Tx&)>& fn) { return Run("BEGIN IMMEDIATE", fn); }

Status Database::Read(const std::function<Status(Tx&)>& fn) { return Run("BEGIN", fn); }

Status Database::Migrate(std::string_view owner, std::span<const std::string_view> steps) {
  return Write([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(
        std::optional<int64_t> recorded,
        tx.QueryOne<int64_t>("SELECT version FROM schema_versions WHERE owner = ?", {owner},
                             [](const Row& row) { return row.Int(0); }));
    const int64_t version = recorded.value_or(0);
    if (version > static_cast<int64_t>(steps.size())) {
      return Fail(ErrorKind::kFailedPrecondition,
                  fmt::format("database {}: tables of {} are at version {}, newer than this "
                              "program knows ({})",
                              path_, owner, version, steps.size()));
    }
    for (size_t i = static_cast<size_t>(version); i < steps.size(); ++i) {
      BERTH_TRY(Annotate(ExecScript(std::string(steps[i]).c_str()),
                         fmt::format("migrate {} to version {}", owner, i + 1)));
    }
    BERTH_TRY(
        tx.Exec("INSERT INTO schema_versions(owner, version) VALUES(?, ?)"
                " ON CONFLICT(owner) DO UPDATE SET version = excluded.version",
                {owner, static_cast<int64_t>(steps.size())}));
    return {};
  });
}

}  // namespace berth::image::metadata
