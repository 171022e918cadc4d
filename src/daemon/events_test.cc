#include "daemon/events.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace berth::daemon {
namespace {

Event ContainerEvent(const std::string& action, const std::string& name) {
  return {.type = "container",
          .action = action,
          .id = name + "-id",
          .attributes = {{"name", name}, {"image", "bb"}, {"tier", "web"}}};
}

std::vector<std::string> Collect(Events& events,
                                 std::optional<std::chrono::system_clock::time_point> since,
                                 const EventFilters& filters) {
  std::vector<std::string> seen;
  Status streamed =
      events.Stream(since, std::chrono::system_clock::now(), filters, [&](const Event& e) {
        seen.push_back(e.action + ":" + e.attributes.at("name"));
        return Ok();
      });
  EXPECT_TRUE(streamed);
  return seen;
}

TEST(EventsTest, KeptEventsFromSinceWithFilters) {
  Events events;
  const auto start = std::chrono::system_clock::now();
  events.Publish(ContainerEvent("create", "web"));
  events.Publish(ContainerEvent("start", "web"));
  events.Publish(ContainerEvent("exec_start: sh -c true", "db"));
  events.Publish(ContainerEvent("die", "db"));
  EXPECT_EQ(
      Collect(events, start, {}),
      (std::vector<std::string>{"create:web", "start:web", "exec_start: sh -c true:db", "die:db"}));
  EXPECT_EQ(Collect(events, start, {{"container", {"db"}}}),
            (std::vector<std::string>{"exec_start: sh -c true:db", "die:db"}));
  EXPECT_EQ(Collect(events, start, {{"event", {"exec_start", "create"}}}),
            (std::vector<std::string>{"create:web", "exec_start: sh -c true:db"}));
  EXPECT_EQ(Collect(events, start, {{"type", {"image"}}}), std::vector<std::string>{});
  EXPECT_EQ(Collect(events, start, {{"label", {"tier=web"}}, {"event", {"die"}}}),
            std::vector<std::string>{"die:db"});
  // Without since, only what comes next.
  EXPECT_EQ(Collect(events, std::nullopt, {}), std::vector<std::string>{});
  EXPECT_FALSE(CheckEventFilters({{"colour", {"red"}}}));
  EXPECT_TRUE(CheckEventFilters({{"container", {"x"}}}));
}

TEST(EventsTest, NetworkFilterMatchesNetworkEventsByNameOrIdPrefix) {
  Events events;
  const auto start = std::chrono::system_clock::now();
  events.Publish({.type = "network",
                  .action = "create",
                  .id = "abc123",
                  .attributes = {{"name", "front"}, {"type", "bridge"}}});
  events.Publish({.type = "network",
                  .action = "connect",
                  .id = "def456",
                  .attributes = {{"name", "back"}, {"type", "bridge"}, {"container", "c1"}}});
  events.Publish(ContainerEvent("start", "front"));
  EXPECT_EQ(Collect(events, start, {{"network", {"front"}}}),
            std::vector<std::string>{"create:front"});
  EXPECT_EQ(Collect(events, start, {{"network", {"def"}}}),
            std::vector<std::string>{"connect:back"});
  EXPECT_EQ(Collect(events, start, {{"type", {"network"}}}),
            (std::vector<std::string>{"create:front", "connect:back"}));
}

TEST(EventsTest, FollowersGetNewEventsUntilTheirSinkFails) {
  Events events;
  const auto start = std::chrono::system_clock::now();
  std::vector<std::string> seen;
  Status streamed;
  std::thread reader([&] {
    streamed = events.Stream(start, std::nullopt, {{"event", {"start", "die"}}},
                             [&](const Event& e) -> Status {
                               seen.push_back(e.action);
                               if (seen.size() == 2) return Fail(ErrorKind::kCancelled, "gone");
                               return Ok();
                             });
  });
  // Whether the reader finds them kept or waits for them, it gets each once, in order.
  events.Publish(ContainerEvent("create", "web"));
  events.Publish(ContainerEvent("start", "web"));
  events.Publish(ContainerEvent("die", "web"));
  reader.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"start", "die"}));
  ASSERT_FALSE(streamed);
  EXPECT_EQ(streamed.error().kind(), ErrorKind::kCancelled);
}

TEST(EventsTest, CloseEndsEveryStream) {
  Events events;
  std::thread reader([&] {
    EXPECT_TRUE(events.Stream(std::nullopt, std::nullopt, {}, [](const Event&) { return Ok(); }));
  });
  events.Close();
  reader.join();
}

}  // namespace
}  // namespace berth::daemon
