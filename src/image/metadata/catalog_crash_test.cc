// A writer killed at any moment leaves the catalog consistent: a child process loops over puts,
// tags, untags, deletes and leases until it is killed with SIGKILL; the parent then checks the
// invariants that every transaction keeps, and that the catalog still works.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "image/metadata/catalog.h"
#include "image/metadata/catalog_fixture.h"

namespace berth::image::metadata {
namespace {

constexpr int kImages = 8;

// PoolImage is image k of the pool: its layers depend on k only, and many stacks are shared.
NewImage PoolImage(int k, std::mt19937& rng) {
  std::vector<std::string> layers = {"base" + std::to_string(k % 2)};
  for (int i = 0; i < k % 3; ++i) layers.push_back("l" + std::to_string((k + i) % 4));
  NewImage image = MakeImage("img" + std::to_string(k), layers);
  image.names.push_back(Ref("repo" + std::to_string(rng() % 3) + ":t" + std::to_string(rng() % 3)));
  if (k % 4 == 3) image.parent = D("img" + std::to_string(k - 1));
  return image;
}

// Step runs one random operation; the refusals the operation can meet are not errors. Lease ids
// start with prefix, so that rounds do not collide.
Status Step(Catalog& catalog, std::mt19937& rng, const std::string& prefix, int& leases) {
  const int k = static_cast<int>(rng() % kImages);
  const Digest id = D("img" + std::to_string(k));
  const Reference name = Ref("repo" + std::to_string(rng() % 3) + ":t" + std::to_string(rng() % 3));
  Status s;
  switch (rng() % 6) {
    case 0:
    case 1:
      s = catalog.PutImage(PoolImage(k, rng)).map([](const PutResult&) {});
      break;
    case 2:
      s = catalog.Tag(name, id).map([](const std::optional<Digest>&) {});
      break;
    case 3:
      s = catalog.Untag(name).map([](const Digest&) {});
      break;
    case 4:
      s = catalog.DeleteImage(id).map([](const DeleteResult&) {});
      break;
    case 5: {
      if (rng() % 2 == 0 && leases > 0) {
        s = catalog.DeleteLease(prefix + std::to_string(rng() % leases));
        break;
      }
      const std::string lease = prefix + std::to_string(leases++);
      s = catalog.CreateLease({.id = lease, .expires = std::nullopt, .labels = {}});
      Result<ImageRecord> image = catalog.GetImage(id);
      if (s && image && !image->layers.empty()) {
        s = catalog.AddLeaseResource(
            lease, {LeaseResourceKind::kLayer, image->layers.back().chain_id.String()});
      }
      break;
    }
  }
  if (!s && s.error().kind() != ErrorKind::kNotFound && s.error().kind() != ErrorKind::kConflict) {
    return s;
  }
  return {};
}

[[noreturn]] void RunWriter(const std::string& path, int ack_fd, unsigned seed) {
  Result<std::unique_ptr<Database>> db = Database::Open(path);
  if (!db) _exit(2);
  Result<Catalog> catalog = Catalog::Open(**db);
  if (!catalog) _exit(2);
  std::mt19937 rng(seed);
  const std::string prefix = "lease-" + std::to_string(seed) + "-";
  int leases = 0;
  for (int64_t done = 1;; ++done) {
    if (!Step(*catalog, rng, prefix, leases)) _exit(3);
    if (write(ack_fd, &done, sizeof(done)) != sizeof(done)) _exit(4);
  }
}

class CatalogCrashTest : public CatalogTest {
 protected:
  int64_t Scalar(std::string_view sql) {
    int64_t n = -1;
    Status s = db_->Read([&](Tx& tx) -> Status {
      return tx.Query(sql, {}, [&](const Row& row) -> Status {
        n = row.Int(0);
        return {};
      });
    });
    EXPECT_TRUE(s) << s.error().message();
    return n;
  }

  void CheckInvariants() {
    std::string integrity;
    ASSERT_TRUE(db_->Read([&](Tx& tx) -> Status {
      return tx.Query("PRAGMA integrity_check", {}, [&](const Row& row) -> Status {
        integrity = row.Text(0);
        return {};
      });
    }));
    EXPECT_EQ(integrity, "ok");
    EXPECT_EQ(Scalar("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    // No name points to a missing image; no image stacks a missing layer.
    EXPECT_EQ(Scalar("SELECT count(*) FROM names WHERE image_id NOT IN (SELECT id FROM images)"),
              0);
    EXPECT_EQ(Scalar("SELECT count(*) FROM image_layers"
                     " WHERE chain_id NOT IN (SELECT chain_id FROM layers)"),
              0);
    // Positions run from 0 without gaps.
    EXPECT_EQ(Scalar("SELECT count(*) FROM (SELECT image_id FROM image_layers GROUP BY image_id"
                     " HAVING count(*) <> max(position) + 1)"),
              0);
    Result<std::vector<ImageRecord>> images = catalog_->ListImages({.all = true});
    ASSERT_TRUE(images) << images.error().message();
    EXPECT_EQ(static_cast<int64_t>(images->size()), Count("images"));
    for (const ImageRecord& image : *images) {
      std::vector<Digest> diff_ids;
      for (const LayerRecord& layer : image.layers) diff_ids.push_back(layer.diff_id);
      const std::vector<Digest> chain = ChainIds(diff_ids);
      for (size_t i = 0; i < image.layers.size(); ++i) {
        EXPECT_EQ(image.layers[i].chain_id, chain[i]);
        EXPECT_EQ(image.layers[i].parent, i == 0 ? std::nullopt : std::optional(chain[i - 1]));
      }
      EXPECT_NE(
          std::find(image.blobs.begin(), image.blobs.end(), BlobRef{image.id, BlobKind::kConfig}),
          image.blobs.end());
    }
    // Reference counts: every layer row is held by an image or a lease (none expire here), so
    // GC finds no row to delete; a leaked row would show up here.
    Result<GcPlan> plan = catalog_->PlanGc({});
    ASSERT_TRUE(plan) << plan.error().message();
    EXPECT_TRUE(plan->layers.empty());
  }

  // KillWriterAfter runs a writer child until it has acknowledged acks operations, kills it and
  // reopens the catalog.
  void KillWriterAfter(int64_t acks, unsigned seed) {
    // SQLite connections must not cross fork: close ours while the child runs.
    catalog_.reset();
    db_.reset();
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunWriter(path_, fds[1], seed);
    }
    close(fds[1]);
    int64_t acknowledged = 0;
    while (acknowledged < acks) {
      ssize_t n = read(fds[0], &acknowledged, sizeof(acknowledged));
      if (n != static_cast<ssize_t>(sizeof(acknowledged))) break;
    }
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited with " << WEXITSTATUS(status);
    ASSERT_GE(acknowledged, acks);

    Result<std::unique_ptr<Database>> db = Database::Open(path_);
    ASSERT_TRUE(db) << db.error().message();
    db_ = std::move(*db);
    Result<Catalog> catalog = Catalog::Open(*db_);
    ASSERT_TRUE(catalog) << catalog.error().message();
    catalog_.emplace(std::move(*catalog));
  }
};

TEST_F(CatalogCrashTest, AWriterKilledAtAnyPointLeavesAConsistentCatalog) {
  for (unsigned round = 1; round <= 3; ++round) {
    ASSERT_NO_FATAL_FAILURE(KillWriterAfter(150 + 40 * round, round));
    ASSERT_NO_FATAL_FAILURE(CheckInvariants());
  }
  EXPECT_GT(Count("layers"), 0);
  // The catalog still takes writes.
  const NewImage after = MakeImage("after-crash", {"fresh"}, {"after:crash"});
  Put(after);
  ASSERT_TRUE(catalog_->DeleteImage(after.id));
  CheckInvariants();
}

}  // namespace
}  // namespace berth::image::metadata
