#include <gtest/gtest.h>

#include "image/metadata/catalog.h"
#include "image/metadata/catalog_fixture.h"

namespace berth::image::metadata {
namespace {

using std::chrono::seconds;

// WithId gives image an id of the chosen hex digits (padded with zeros to 64).
NewImage WithId(NewImage image, std::string_view hex) {
  image.id = Digest{"sha256", std::string(hex) + std::string(64 - hex.size(), '0')};
  return image;
}

class ResolveTest : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    busybox_ = MakeImage("busybox", {"bb"}, {"busybox:latest", "busybox:1.36"});
    busybox_.names.push_back(Ref("busybox@" + busybox_.target->digest.String()));
    Put(busybox_);
    first_ = WithId(MakeImage("first", {"f"}), "abc1");
    second_ = WithId(MakeImage("second", {"s"}), "abc2");
    Put(first_);
    Put(second_);
  }

  Digest Resolved(std::string_view s) {
    Result<ImageRecord> image = catalog_->Resolve(s);
    EXPECT_TRUE(image) << s << ": " << image.error().message();
    return image ? image->id : Digest{};
  }

  Error ResolveError(std::string_view s) {
    Result<ImageRecord> image = catalog_->Resolve(s);
    EXPECT_FALSE(image) << s;
    return image ? Error(ErrorKind::kUnknown, "") : image.error();
  }

  NewImage busybox_, first_, second_;
};

TEST_F(ResolveTest, ByNameInEveryFormDockerAccepts) {
  for (std::string_view name :
       {"busybox", "busybox:latest", "library/busybox", "docker.io/library/busybox:latest",
        "index.docker.io/busybox", "busybox:1.36"}) {
    EXPECT_EQ(Resolved(name), busybox_.id) << name;
  }
  const std::string digest = busybox_.target->digest.String();
  EXPECT_EQ(Resolved("busybox@" + digest), busybox_.id);
  EXPECT_EQ(Resolved("busybox:1.36@" + digest), busybox_.id);  // the tag is ignored
  Result<ImageRecord> image = catalog_->Resolve("busybox");
  ASSERT_TRUE(image);
  EXPECT_EQ(image->layers.size(), 1u);
}

TEST_F(ResolveTest, ByFullIdOrUniquePrefix) {
  EXPECT_EQ(Resolved(busybox_.id.String()), busybox_.id);
  EXPECT_EQ(Resolved(busybox_.id.hex), busybox_.id);
  EXPECT_EQ(Resolved(busybox_.id.hex.substr(0, 12)), busybox_.id);
  EXPECT_EQ(Resolved("abc1"), first_.id);
  EXPECT_EQ(Resolved("sha256:abc2"), second_.id);
}

TEST_F(ResolveTest, AnAmbiguousPrefixIsAConflictAndAnUnknownOneNotFound) {
  Error ambiguous = ResolveError("abc");
  EXPECT_EQ(ambiguous.kind(), ErrorKind::kConflict);
  EXPECT_NE(ambiguous.message().find("abc"), std::string::npos) << ambiguous.message();
  ambiguous = ResolveError("sha256:ab");
  EXPECT_EQ(ambiguous.kind(), ErrorKind::kConflict);

  Error unknown = ResolveError("abd");
  EXPECT_EQ(unknown.kind(), ErrorKind::kNotFound);
  EXPECT_EQ(unknown.message(), "no such image: abd");
  unknown = ResolveError("sha256:" + std::string(64, 'f'));
  EXPECT_EQ(unknown.kind(), ErrorKind::kNotFound);
  unknown = ResolveError("nginx:alpine");
  EXPECT_EQ(unknown.message(), "no such image: nginx:alpine");

  Error invalid = ResolveError("Not A Reference");
  EXPECT_EQ(invalid.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(invalid.message().find("Not A Reference"), std::string::npos) << invalid.message();
}

TEST_F(ResolveTest, ATagWinsOverAnIdPrefix) {
  const NewImage named = MakeImage("named", {"n"}, {"abc1:latest"});
  Put(named);
  EXPECT_EQ(Resolved("abc1"), named.id);
  EXPECT_EQ(Resolved("sha256:abc1"), first_.id);  // "sha256" with tag "abc1" names nothing
}

class ListTest : public CatalogTest {
 protected:
  // Add puts an image created at second t (none when t is 0) with the given names and labels.
  NewImage Add(std::string_view config, int t, const std::vector<std::string>& names,
               std::map<std::string, std::string> labels = {},
               std::optional<Digest> parent = std::nullopt) {
    NewImage image = MakeImage(config, {std::string(config) + "-layer"}, names);
    if (t != 0) image.created = Time(seconds(t));
    image.labels = std::move(labels);
    image.parent = parent;
    Put(image);
    return image;
  }

  std::vector<Digest> List(const ImageFilter& filter) {
    Result<std::vector<ImageRecord>> images = catalog_->ListImages(filter);
    EXPECT_TRUE(images) << images.error().message();
    std::vector<Digest> ids;
    if (images) {
      for (const ImageRecord& image : *images) ids.push_back(image.id);
    }
    return ids;
  }
};

TEST_F(ListTest, NewestFirstHidingIntermediateImagesUnlessAll) {
  const NewImage base = Add("base", 100, {"base:latest"});
  const NewImage intermediate = Add("step", 200, {}, {}, base.id);
  const NewImage app = Add("app", 300, {"app:latest"}, {}, intermediate.id);
  const NewImage old = Add("old", 0, {"old:latest"});
  const NewImage unnamed_leaf = Add("leaf", 250, {});
  EXPECT_EQ(List({}), (std::vector<Digest>{app.id, unnamed_leaf.id, base.id, old.id}));
  EXPECT_EQ(List({.all = true}),
            (std::vector<Digest>{app.id, unnamed_leaf.id, intermediate.id, base.id, old.id}));
  // Dangling images are untagged ones that nothing is built on.
  EXPECT_EQ(List({.all = true, .dangling = true}), std::vector<Digest>{unnamed_leaf.id});
  EXPECT_EQ(List({.dangling = false}), (std::vector<Digest>{app.id, base.id, old.id}));
}

TEST_F(ListTest, ARepoDigestAloneDoesNotMakeAnImageTagged) {
  NewImage by_digest = MakeImage("pinned", {"p"});
  by_digest.names = {Ref("app@" + by_digest.target->digest.String())};
  Put(by_digest);
  EXPECT_EQ(List({.dangling = true}), std::vector<Digest>{by_digest.id});
  EXPECT_EQ(List({}), std::vector<Digest>{by_digest.id});
  // ... but docker keeps it among the images that are not dangling too: it has a name.
  EXPECT_EQ(List({.dangling = false}), std::vector<Digest>{by_digest.id});
}

TEST_F(ListTest, LabelsBeforeAndSince) {
  const NewImage a = Add("a", 100, {"a:1"}, {{"tier", "web"}, {"team", "x"}});
  const NewImage b = Add("b", 200, {"b:1"}, {{"tier", "db"}});
  const NewImage c = Add("c", 300, {"c:1"}, {{"tier", "web"}});
  EXPECT_EQ(List({.labels = {"tier"}}), (std::vector<Digest>{c.id, b.id, a.id}));
  EXPECT_EQ(List({.labels = {"tier=web"}}), (std::vector<Digest>{c.id, a.id}));
  EXPECT_EQ(List({.labels = {"tier=web", "team"}}), std::vector<Digest>{a.id});
  EXPECT_EQ(List({.labels = {"tier=we"}}), std::vector<Digest>{});
  EXPECT_EQ(List({.before = "c:1"}), (std::vector<Digest>{b.id, a.id}));
  EXPECT_EQ(List({.since = "a:1"}), (std::vector<Digest>{c.id, b.id}));
  EXPECT_EQ(List({.before = "c:1", .since = a.id.hex.substr(0, 12)}), std::vector<Digest>{b.id});

  Result<std::vector<ImageRecord>> unknown = catalog_->ListImages({.before = "nothing:here"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(unknown.error().message(), "filter before: no such image: nothing:here");
}

TEST_F(ListTest, ReferencePatternsSelectImagesAndTheirMatchingNames) {
  const NewImage busybox = Add("busybox", 100, {"busybox:latest", "busybox:1.36", "tools/bb:1"});
  const NewImage app = Add("app", 200, {"registry.local:5000/team/app:v1"});
  Add("none", 300, {});

  Result<std::vector<ImageRecord>> images = catalog_->ListImages({.references = {"busybox"}});
  ASSERT_TRUE(images);
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ(Strings(images->front().tags),
            (std::vector<std::string>{"busybox:1.36", "busybox:latest"}));
  images = catalog_->ListImages({.references = {"busybox:1.*"}});
  ASSERT_TRUE(images);
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ(Strings(images->front().tags), std::vector<std::string>{"busybox:1.36"});

  EXPECT_EQ(List({.references = {"*/bb"}}), std::vector<Digest>{busybox.id});
  EXPECT_EQ(List({.references = {"*"}}), std::vector<Digest>{busybox.id});  // "*" stops at "/"
  EXPECT_EQ(List({.references = {"registry.local:5000/*/app:v*", "tools/*"}}),
            (std::vector<Digest>{app.id, busybox.id}));
  EXPECT_EQ(List({.references = {"nginx"}}), std::vector<Digest>{});
}

// The full names match as the familiar ones do (docker matches both since moby#52333).
TEST_F(ListTest, ReferencePatternsMatchFullNames) {
  const NewImage busybox = Add("busybox", 100, {"busybox:latest", "busybox:1.36"});
  const NewImage app = Add("app", 200, {"registry.local:5000/team/app:v1"});
  Result<std::vector<ImageRecord>> images =
      catalog_->ListImages({.references = {"docker.io/library/busybox:1.36"}});
  ASSERT_TRUE(images);
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ(Strings(images->front().tags), std::vector<std::string>{"busybox:1.36"});
  images = catalog_->ListImages({.references = {"docker.io/library/busybox"}});
  ASSERT_TRUE(images);
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ(Strings(images->front().tags),
            (std::vector<std::string>{"busybox:1.36", "busybox:latest"}));
  EXPECT_EQ(List({.references = {"docker.io/library/*:latest"}}), std::vector<Digest>{busybox.id});
  EXPECT_EQ(List({.references = {"docker.io/*/*"}}), std::vector<Digest>{busybox.id});
  EXPECT_EQ(List({.references = {"registry.local:5000/team/app"}}), std::vector<Digest>{app.id});
  EXPECT_EQ(List({.references = {"docker.io/library/app"}}), std::vector<Digest>{});
}

}  // namespace
}  // namespace berth::image::metadata
