#include "image/metadata/database.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"

namespace berth::image::metadata {
namespace {

constexpr std::array<std::string_view, 1> kPairsV1 = {
    "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE b (id INTEGER PRIMARY KEY REFERENCES a(id), note TEXT);"};

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-metadata-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/metadata.db";
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(dir_)); }

  std::unique_ptr<Database> OpenDb() {
    Result<std::unique_ptr<Database>> db = Database::Open(path_);
    EXPECT_TRUE(db) << db.error().message();
    return db ? std::move(*db) : nullptr;
  }

  static int64_t Count(Database& db, std::string_view table) {
    int64_t n = -1;
    Status s = db.Read([&](Tx& tx) -> Status {
      return tx.Query(fmt::format("SELECT count(*) FROM {}", table), {},
                      [&](const Row& row) -> Status {
                        n = row.Int(0);
                        return {};
                      });
    });
    EXPECT_TRUE(s) << s.error().message();
    return n;
  }

  // InsertPair writes one row into each table in one transaction.
  static Status InsertPair(Database& db, int64_t id) {
    return db.Write([&](Tx& tx) -> Status {
      std::string name = fmt::format("n{}", id);
      BERTH_TRY(tx.Exec("INSERT INTO a(id, name) VALUES(?, ?)", {id, name}));
      BERTH_TRY(tx.Exec("INSERT INTO b(id, note) VALUES(?, NULL)", {id}));
      return {};
    });
  }

  std::string dir_;
  std::string path_;
};

TEST_F(DatabaseTest, OpensInWalModeWithForeignKeys) {
  auto db = OpenDb();
  ASSERT_TRUE(db);
  std::string mode;
  int64_t fk = -1;
  ASSERT_TRUE(db->Read([&](Tx& tx) -> Status {
    BERTH_TRY(tx.Query("PRAGMA journal_mode", {}, [&](const Row& r) -> Status {
      mode = r.Text(0);
      return {};
    }));
    return tx.Query("PRAGMA foreign_keys", {}, [&](const Row& r) -> Status {
      fk = r.Int(0);
      return {};
    });
  }));
  EXPECT_EQ(mode, "wal");
  EXPECT_EQ(fk, 1);
}

TEST_F(DatabaseTest, WriteCommitsAndFailedWriteRollsBack) {
  auto db = OpenDb();
  ASSERT_TRUE(db->Migrate("pairs", kPairsV1));
  ASSERT_TRUE(InsertPair(*db, 1));
  Status failed = db->Write([&](Tx& tx) -> Status {
    BERTH_TRY(tx.Exec("INSERT INTO a(id, name) VALUES(2, 'two')"));
    return Fail(ErrorKind::kCancelled, "stop here");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(Count(*db, "a"), 1);

  // The first statement succeeds, the second breaks a foreign key: neither stays.
  Status fk = db->Write([&](Tx& tx) -> Status {
    BERTH_TRY(tx.Exec("INSERT INTO a(id, name) VALUES(3, 'three')"));
    return tx.Exec("INSERT INTO b(id) VALUES(99)").map([](int64_t) {});
  });
  ASSERT_FALSE(fk);
  EXPECT_EQ(fk.error().kind(), ErrorKind::kFailedPrecondition) << fk.error().message();
  EXPECT_EQ(Count(*db, "a"), 1);
}

TEST_F(DatabaseTest, UniqueViolationIsAlreadyExists) {
  auto db = OpenDb();
  ASSERT_TRUE(db->Migrate("pairs", kPairsV1));
  ASSERT_TRUE(InsertPair(*db, 1));
  Status again = db->Write([](Tx& tx) -> Status {
    return tx.Exec("INSERT INTO a(id, name) VALUES(5, 'n1')").map([](int64_t) {});
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kAlreadyExists);
  EXPECT_NE(again.error().message().find("UNIQUE constraint failed: a.name"), std::string::npos)
      << again.error().message();
}

TEST_F(DatabaseTest, ExecReturnsChangedRowsAndQueryOneMaps) {
  auto db = OpenDb();
  ASSERT_TRUE(db->Migrate("pairs", kPairsV1));
  for (int64_t i = 1; i <= 3; ++i) ASSERT_TRUE(InsertPair(*db, i));
  ASSERT_TRUE(db->Write([](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE b SET note = 'x' WHERE id >= ?", {2}));
    EXPECT_EQ(changed, 2);
    BERTH_ASSIGN_OR_RETURN(std::optional<std::string> name,
                           tx.QueryOne<std::string>("SELECT name FROM a WHERE id = ?", {int64_t{3}},
                                                    [](const Row& r) { return r.Text(0); }));
    EXPECT_EQ(name, "n3");
    BERTH_ASSIGN_OR_RETURN(std::optional<std::string> missing,
                           tx.QueryOne<std::string>("SELECT name FROM a WHERE id = 42", {},
                                                    [](const Row& r) { return r.Text(0); }));
    EXPECT_FALSE(missing);
    BERTH_ASSIGN_OR_RETURN(
        std::optional<std::optional<std::string>> note,
        tx.QueryOne<std::optional<std::string>>("SELECT note FROM b WHERE id = 1", {},
                                                [](const Row& r) { return r.OptionalText(0); }));
    EXPECT_TRUE(note.has_value() && !note->has_value());
    return {};
  }));
}

TEST_F(DatabaseTest, MigrateRunsEachStepOnceAndRefusesNewerSchemas) {
  {
    auto db = OpenDb();
    ASSERT_TRUE(db->Migrate("pairs", kPairsV1));
    ASSERT_TRUE(db->Migrate("pairs", kPairsV1));  // nothing to do; a rerun would fail on CREATE
  }
  constexpr std::array<std::string_view, 2> v2 = {kPairsV1[0],
                                                  "ALTER TABLE a ADD COLUMN size INTEGER"};
  auto db = OpenDb();
  ASSERT_TRUE(db->Migrate("pairs", v2));
  ASSERT_TRUE(db->Write([](Tx& tx) -> Status {
    return tx.Exec("INSERT INTO a(id, name, size) VALUES(1, 'x', 7)").map([](int64_t) {});
  }));
  Status older = db->Migrate("pairs", kPairsV1);
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().kind(), ErrorKind::kFailedPrecondition);
  EXPECT_NE(older.error().message().find("version 2"), std::string::npos);
}

TEST_F(DatabaseTest, FailedMigrationStepLeavesNothingBehind) {
  auto db = OpenDb();
  constexpr std::array<std::string_view, 1> broken = {
      "CREATE TABLE c (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER)"};
  Status s = db->Migrate("broken", broken);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("migrate broken to version 1"), std::string::npos)
      << s.error().message();
  EXPECT_NE(s.error().message().find("table c already exists"), std::string::npos);
  int64_t tables = -1;
  ASSERT_TRUE(db->Read([&](Tx& tx) -> Status {
    return tx.Query("SELECT count(*) FROM sqlite_master WHERE name = 'c'", {},
                    [&](const Row& r) -> Status {
                      tables = r.Int(0);
                      return {};
                    });
  }));
  EXPECT_EQ(tables, 0);
}

TEST_F(DatabaseTest, AFileThatIsNotADatabaseIsDataLoss) {
  ASSERT_TRUE(WriteFile(path_, std::string(8192, 'x')));
  Result<std::unique_ptr<Database>> db = Database::Open(path_);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind(), ErrorKind::kDataLoss) << db.error().message();
  EXPECT_NE(db.error().message().find(path_), std::string::npos);
}

TEST_F(DatabaseTest, ConcurrentWritersSerialise) {
  auto db = OpenDb();
  ASSERT_TRUE(db->Migrate("pairs", kPairsV1));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) EXPECT_TRUE(InsertPair(*db, t * 100 + i));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(Count(*db, "a"), 100);
  EXPECT_EQ(Count(*db, "b"), 100);
}

// A process killed at any moment leaves every committed transaction whole and nothing of the
// transaction it was in: each transaction writes one row to each of two tables.
TEST_F(DatabaseTest, KillDuringWritesLosesNoCommittedTransaction) {
  {
    auto db = OpenDb();
    ASSERT_TRUE(db->Migrate("pairs", kPairsV1));
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto db = Database::Open(path_);
    if (!db) _exit(2);
    for (int64_t i = 1;; ++i) {
      if (!InsertPair(**db, i)) _exit(3);
      if (write(fds[1], &i, sizeof(i)) != sizeof(i)) _exit(4);
    }
  }
  close(fds[1]);
  int64_t acknowledged = 0;
  while (acknowledged < 200) {
    ASSERT_EQ(read(fds[0], &acknowledged, sizeof(acknowledged)),
              static_cast<ssize_t>(sizeof(acknowledged)));
  }
  kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto db = OpenDb();
  int64_t a = Count(*db, "a");
  EXPECT_GE(a, acknowledged);
  EXPECT_EQ(Count(*db, "b"), a);
}

// A process that dies inside a transaction leaves none of it behind.
TEST_F(DatabaseTest, ExitInsideATransactionDiscardsIt) {
  {
    auto db = OpenDb();
    ASSERT_TRUE(db->Migrate("pairs", kPairsV1));
    ASSERT_TRUE(InsertPair(*db, 1));
  }
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto db = Database::Open(path_);
    if (!db) _exit(2);
    (void)(*db)->Write([](Tx& tx) -> Status {
      (void)tx.Exec("INSERT INTO a(id, name) VALUES(2, 'half')");
      _exit(0);
    });
    _exit(3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto db = OpenDb();
  EXPECT_EQ(Count(*db, "a"), 1);
  // The database is writable again: the dead writer's lock went with it.
  EXPECT_TRUE(InsertPair(*db, 2));
}

}  // namespace
}  // namespace berth::image::metadata
