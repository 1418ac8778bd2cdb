#include "groups/group_coordinator.hpp"

#include <boost/asio/post.hpp>
#include <future>

namespace junction::kafka {
namespace asio = boost::asio;

GroupCoordinator::GroupCoordinator(asio::io_context& io, GroupSettings settings)
    : strand_(asio::make_strand(io)), timer_(strand_), settings_(settings) {}

GroupCoordinator::~GroupCoordinator() = default;

Group* GroupCoordinator::find(const std::string& group_id) {
  auto found = groups_.find(group_id);
  return found == groups_.end() ? nullptr : found->second.get();
}

Group& GroupCoordinator::find_or_create(const std::string& group_id) {
  auto& group = groups_[group_id];
  if (!group) group = std::make_unique<Group>(group_id, settings_);
  return *group;
}

void GroupCoordinator::join(std::string group_id, JoinRequest request, JoinCallback done,
                            AbandonHook on_abandon) {
  asio::post(strand_, [this, group_id = std::move(group_id), request = std::move(request),
                       done = std::move(done), on_abandon = std::move(on_abandon)]() mutable {
    JoinResult refused;
    refused.member_id = request.member_id;
    if (stopped_) {
      refused.error = ErrorCode::coordinator_not_available;
      return done(refused);
    }
    // Only a member without an id may create a group; Kafka answers the
    // others as members it does not know.
    Group* group = find(group_id);
    if (!group && !request.member_id.empty()) {
      refused.error = ErrorCode::unknown_member_id;
      return done(refused);
    }
    if (!group) group = &find_or_create(group_id);

    const auto token = next_token_++;
    on_abandon([this, group_id, token] {
      asio::post(strand_, [this, group_id, token] { abandon_join(group_id, token); });
    });
    group->join(std::move(request), token, std::move(done), GroupClock::now());
    schedule();
  });
}

void GroupCoordinator::sync(std::string group_id, std::string member_id, std::int32_t generation,
                            std::map<std::string, std::string> assignments, SyncCallback done,
                            AbandonHook on_abandon) {
  asio::post(strand_, [this, group_id = std::move(group_id), member_id = std::move(member_id),
                       generation, assignments = std::move(assignments), done = std::move(done),
                       on_abandon = std::move(on_abandon)]() mutable {
    if (stopped_) return done({ErrorCode::coordinator_not_available, {}});
    Group* group = find(group_id);
    if (!group) return done({ErrorCode::unknown_member_id, {}});
    const auto token = next_token_++;
    on_abandon([this, group_id, token] {
      asio::post(strand_, [this, group_id, token] { abandon_sync(group_id, token); });
    });
    group->sync(member_id, generation, std::move(assignments), token, std::move(done),
                GroupClock::now());
    schedule();
  });
}

void GroupCoordinator::heartbeat(std::string group_id, std::string member_id,
                                 std::int32_t generation, std::function<void(ErrorCode)> done) {
  asio::post(strand_, [this, group_id = std::move(group_id), member_id = std::move(member_id),
                       generation, done = std::move(done)] {
    if (stopped_) return done(ErrorCode::coordinator_not_available);
    Group* group = find(group_id);
    if (!group) return done(ErrorCode::unknown_member_id);
    done(group->heartbeat(member_id, generation, GroupClock::now()));
    schedule();
  });
}

void GroupCoordinator::leave(std::string group_id, std::vector<std::string> member_ids,
                             std::function<void(std::vector<ErrorCode>)> done) {
  asio::post(strand_, [this, group_id = std::move(group_id), member_ids = std::move(member_ids),
                       done = std::move(done)] {
    std::vector<ErrorCode> errors;
    Group* group = stopped_ ? nullptr : find(group_id);
    for (const auto& member_id : member_ids) {
      if (stopped_) {
        errors.push_back(ErrorCode::coordinator_not_available);
      } else if (!group) {
        errors.push_back(ErrorCode::unknown_member_id);
      } else {
        errors.push_back(group->leave(member_id, GroupClock::now()));
      }
    }
    done(std::move(errors));
    schedule();
  });
}

void GroupCoordinator::commit(std::string group_id, std::string member_id, std::int32_t generation,
                              std::function<void(ErrorCode)> commit) {
  asio::post(strand_, [this, group_id = std::move(group_id), member_id = std::move(member_id),
                       generation, commit = std::move(commit)] {
    if (stopped_) return commit(ErrorCode::coordinator_not_available);
    Group* group = find(group_id);
    if (!group) {
      // No membership to check: fine for a consumer that assigns its own
      // partitions, a stale generation otherwise.
      return commit(generation < 0 ? ErrorCode::none : ErrorCode::illegal_generation);
    }
    commit(group->validate_commit(member_id, generation, GroupClock::now()));
    schedule();
  });
}

void GroupCoordinator::describe(
    std::vector<std::string> group_ids,
    std::function<void(std::vector<std::optional<GroupSummary>>)> done) {
  asio::post(strand_, [this, group_ids = std::move(group_ids), done = std::move(done)] {
    std::vector<std::optional<GroupSummary>> summaries;
    for (const auto& group_id : group_ids) {
      Group* group = stopped_ ? nullptr : find(group_id);
      summaries.push_back(group ? std::optional(group->describe()) : std::nullopt);
    }
    done(std::move(summaries));
  });
}

void GroupCoordinator::list(std::function<void(std::vector<GroupListing>)> done) {
  asio::post(strand_, [this, done = std::move(done)] {
    std::vector<GroupListing> listing;
    if (!stopped_) {
      for (const auto& [id, group] : groups_) listing.push_back({id, group->protocol_type()});
    }
    done(std::move(listing));
  });
}

void GroupCoordinator::abandon_join(const std::string& group_id, std::uint64_t token) {
  if (stopped_) return;
  if (Group* group = find(group_id)) group->abandon_join(token, GroupClock::now());
  schedule();
}

void GroupCoordinator::abandon_sync(const std::string& group_id, std::uint64_t token) {
  if (stopped_) return;
  if (Group* group = find(group_id)) group->abandon_sync(token, GroupClock::now());
  schedule();
}

void GroupCoordinator::schedule() {
  if (stopped_) return;
  std::optional<GroupClock::time_point> next;
  for (const auto& [id, group] : groups_) {
    auto deadline = group->next_deadline();
    if (deadline && (!next || *deadline < *next)) next = deadline;
  }
  if (!next || *next >= timer_at_) return;
  timer_at_ = *next;
  timer_.expires_at(*next);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == asio::error::operation_aborted) return;
    on_timer();
  });
}

void GroupCoordinator::on_timer() {
  timer_at_ = GroupClock::time_point::max();
  if (stopped_) return;
  const auto now = GroupClock::now();
  for (auto& [id, group] : groups_) group->expire(now);
  schedule();
}

void GroupCoordinator::stop() {
  std::promise<void> stopped;
  asio::post(strand_, [this, &stopped] {
    stopped_ = true;
    for (auto& [id, group] : groups_) group->drop_pending_answers();
    timer_.cancel();
    stopped.set_value();
  });
  stopped.get_future().wait();
}

}  // namespace junction::kafka
