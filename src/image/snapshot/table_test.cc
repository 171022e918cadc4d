#include "image/snapshot/table.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/file.h"

namespace berth::image::snapshot {
namespace {

using metadata::Database;
using metadata::Tx;

class TableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-snapshot-table-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Result<std::unique_ptr<Database>> db = Database::Open(dir_ + "/metadata.db");
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::move(*db);
    ASSERT_TRUE(Table::Migrate(*db_));
  }
  void TearDown() override {
    db_.reset();
    ASSERT_TRUE(RemoveAll(dir_));
  }

  Result<int64_t> Insert(const Table& table, Kind kind, std::string_view key,
                         std::optional<int64_t> parent, const Labels& labels = {},
                         std::string_view pending_parent = "") {
    int64_t id = 0;
    BERTH_TRY(db_->Write([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(id,
                             table.Insert(tx, kind, key, parent, pending_parent, labels, Now()));
      return Ok();
    }));
    return id;
  }

  std::optional<Record> Find(const Table& table, std::string_view key) {
    std::optional<Record> found;
    Status s = db_->Read([&](Tx& tx) -> Status {
      BERTH_ASSIGN_OR_RETURN(found, table.Find(tx, key));
      return Ok();
    });
    EXPECT_TRUE(s) << s.error().message();
    return found;
  }

  static std::chrono::system_clock::time_point Now() { return std::chrono::system_clock::now(); }

  std::string dir_;
  std::unique_ptr<Database> db_;
  Table overlay_{"overlay"};
  Table native_{"native"};
};

TEST_F(TableTest, MigrateTwiceIsHarmless) { EXPECT_TRUE(Table::Migrate(*db_)); }

TEST_F(TableTest, InsertedRowReadsBack) {
  Result<int64_t> base = Insert(overlay_, Kind::kCommitted, "base", std::nullopt);
  ASSERT_TRUE(base) << base.error().message();
  Result<int64_t> child = Insert(overlay_, Kind::kActive, "child", *base, {{"a", "1"}, {"b", ""}});
  ASSERT_TRUE(child) << child.error().message();
  std::optional<Record> r = Find(overlay_, "child");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, *child);
  EXPECT_EQ(r->kind, Kind::kActive);
  EXPECT_EQ(r->parent_id, base.value());
  EXPECT_EQ(r->parent_key, "base");
  EXPECT_EQ(r->labels, (Labels{{"a", "1"}, {"b", ""}}));
  EXPECT_EQ(r->created, r->updated);
  EXPECT_FALSE(r->usage);
  EXPECT_FALSE(Find(overlay_, "missing"));
}

TEST_F(TableTest, KeysAreUniquePerSnapshotter) {
  ASSERT_TRUE(Insert(overlay_, Kind::kActive, "k", std::nullopt));
  Result<int64_t> again = Insert(overlay_, Kind::kView, "k", std::nullopt);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kAlreadyExists);
  EXPECT_TRUE(Insert(native_, Kind::kActive, "k", std::nullopt));
  EXPECT_FALSE(Find(native_, "other"));
  EXPECT_EQ(Find(native_, "k")->kind, Kind::kActive);
}

TEST_F(TableTest, AncestorsNearestFirstAndChildren) {
  std::optional<int64_t> parent;
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    Result<int64_t> id = Insert(overlay_, Kind::kCommitted, "l" + std::to_string(i), parent);
    ASSERT_TRUE(id);
    ids.push_back(*id);
    parent = *id;
  }
  std::vector<int64_t> ancestors;
  bool top_has_children = true;
  bool bottom_has_children = false;
  ASSERT_TRUE(db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(ancestors, overlay_.Ancestors(tx, ids[4]));
    BERTH_ASSIGN_OR_RETURN(top_has_children, overlay_.HasChildren(tx, ids[4]));
    BERTH_ASSIGN_OR_RETURN(bottom_has_children, overlay_.HasChildren(tx, ids[0]));
    return Ok();
  }));
  EXPECT_EQ(ancestors, (std::vector<int64_t>{ids[3], ids[2], ids[1], ids[0]}));
  EXPECT_FALSE(top_has_children);
  EXPECT_TRUE(bottom_has_children);
}

TEST_F(TableTest, ParentWithChildrenCannotBeDeleted) {
  Result<int64_t> base = Insert(overlay_, Kind::kCommitted, "base", std::nullopt);
  ASSERT_TRUE(base);
  ASSERT_TRUE(Insert(overlay_, Kind::kActive, "child", *base));
  Status s = db_->Write([&](Tx& tx) { return overlay_.Delete(tx, *base); });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kFailedPrecondition);
  EXPECT_TRUE(Find(overlay_, "base"));
}

TEST_F(TableTest, MarkCommittedRenamesAndRecordsUsage) {
  Result<int64_t> id = Insert(overlay_, Kind::kActive, "extract-1", std::nullopt, {{"old", "x"}});
  ASSERT_TRUE(id);
  const auto later = Now() + std::chrono::seconds(5);
  ASSERT_TRUE(db_->Write([&](Tx& tx) {
    return overlay_.MarkCommitted(tx, *id, "sha256:abc", std::nullopt, {{"new", "y"}},
                                  {.bytes = 4096, .inodes = 3}, later);
  }));
  EXPECT_FALSE(Find(overlay_, "extract-1"));
  std::optional<Record> r = Find(overlay_, "sha256:abc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, *id);
  EXPECT_EQ(r->kind, Kind::kCommitted);
  EXPECT_EQ(r->labels, (Labels{{"new", "y"}}));
  EXPECT_EQ(r->updated, later);
  ASSERT_TRUE(r->usage);
  EXPECT_EQ(r->usage->bytes, 4096);
  EXPECT_EQ(r->usage->inodes, 3);
}

TEST_F(TableTest, PendingParentIsReportedUntilTheCommitLinksIt) {
  Result<int64_t> id = Insert(overlay_, Kind::kActive, "extract-2", std::nullopt, {}, "layer-1");
  ASSERT_TRUE(id);
  std::optional<Record> pending = Find(overlay_, "extract-2");
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->pending_parent, "layer-1");
  EXPECT_FALSE(pending->parent_id);
  EXPECT_EQ(pending->ToInfo().parent, "layer-1");

  Result<int64_t> parent = Insert(overlay_, Kind::kCommitted, "layer-1", std::nullopt);
  ASSERT_TRUE(parent);
  ASSERT_TRUE(db_->Write(
      [&](Tx& tx) { return overlay_.MarkCommitted(tx, *id, "layer-2", *parent, {}, {}, Now()); }));
  std::optional<Record> committed = Find(overlay_, "layer-2");
  ASSERT_TRUE(committed);
  EXPECT_EQ(committed->parent_id, *parent);
  EXPECT_EQ(committed->parent_key, "layer-1");
  EXPECT_EQ(committed->pending_parent, "");
  bool has_children = false;
  ASSERT_TRUE(db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(has_children, overlay_.HasChildren(tx, *parent));
    return Ok();
  }));
  EXPECT_TRUE(has_children);
}

TEST_F(TableTest, IdsOfRemovedRowsAreNotReused) {
  Result<int64_t> first = Insert(overlay_, Kind::kActive, "a", std::nullopt);
  ASSERT_TRUE(first);
  ASSERT_TRUE(db_->Write([&](Tx& tx) { return overlay_.Delete(tx, *first); }));
  Result<int64_t> second = Insert(native_, Kind::kActive, "b", std::nullopt);
  ASSERT_TRUE(second);
  EXPECT_GT(*second, *first);
  std::set<int64_t> ids;
  ASSERT_TRUE(db_->Read([&](Tx& tx) -> Status {
    BERTH_ASSIGN_OR_RETURN(ids, Table::AllIds(tx));
    return Ok();
  }));
  EXPECT_EQ(ids, (std::set<int64_t>{*second}));
}

TEST_F(TableTest, ForEachSeesOnlyItsSnapshotter) {
  ASSERT_TRUE(Insert(overlay_, Kind::kActive, "o1", std::nullopt));
  ASSERT_TRUE(Insert(overlay_, Kind::kView, "o2", std::nullopt));
  ASSERT_TRUE(Insert(native_, Kind::kActive, "n1", std::nullopt));
  std::set<std::string> keys;
  ASSERT_TRUE(db_->Read([&](Tx& tx) {
    return overlay_.ForEach(tx, [&](const Record& r) -> Status {
      keys.insert(r.key);
      return Ok();
    });
  }));
  EXPECT_EQ(keys, (std::set<std::string>{"o1", "o2"}));
}

}  // namespace
}  // namespace berth::image::snapshot
