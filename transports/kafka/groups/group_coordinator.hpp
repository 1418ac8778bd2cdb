#pragma once

// Every consumer group of this listener (this broker coordinates all of
// them). Group state lives on one Asio strand: handlers post their request
// here and get the answer through a callback, so no handler ever waits, and
// one steady_timer, armed for the nearest deadline of any group, runs
// session timeouts and the end of rebalance waits.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "groups/group.hpp"

namespace junction::kafka {

// Registers a cleanup to run if the connection waiting for an answer
// closes first (Responder::on_abandon).
using AbandonHook = std::function<void(std::function<void()>)>;

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
};

class GroupCoordinator {
 public:
  GroupCoordinator(boost::asio::io_context& io, GroupSettings settings);
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // Every answer below is given exactly once, on the coordinator's strand.
  // After stop(), requests are answered with COORDINATOR_NOT_AVAILABLE.
  void join(std::string group_id, JoinRequest request, JoinCallback done, AbandonHook on_abandon);
  void sync(std::string group_id, std::string member_id, std::int32_t generation,
            std::map<std::string, std::string> assignments, SyncCallback done,
            AbandonHook on_abandon);
  void heartbeat(std::string group_id, std::string member_id, std::int32_t generation,
                 std::function<void(ErrorCode)> done);
  void leave(std::string group_id, std::vector<std::string> member_ids,
             std::function<void(std::vector<ErrorCode>)> done);
  // Checks the committer's membership, then runs `commit` on the strand, so
  // commits of one group are stored in the order they were validated.
  void commit(std::string group_id, std::string member_id, std::int32_t generation,
              std::function<void(ErrorCode)> commit);
  void describe(std::vector<std::string> group_ids,
                std::function<void(std::vector<std::optional<GroupSummary>>)> done);
  void list(std::function<void(std::vector<GroupListing>)> done);

  // Drops every held answer (their Responders keep connections alive) and
  // stops the timer. Blocks until done; call it from outside the io threads
  // while they still run.
  void stop();

 private:
  Group* find(const std::string& group_id);
  Group& find_or_create(const std::string& group_id);
  // Re-arms the timer if some group now has an earlier deadline.
  void schedule();
  void on_timer();
  // A held answer's connection closed; `token` names the answer.
  void abandon_join(const std::string& group_id, std::uint64_t token);
  void abandon_sync(const std::string& group_id, std::uint64_t token);

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  GroupClock::time_point timer_at_ = GroupClock::time_point::max();
  GroupSettings settings_;
  std::map<std::string, std::unique_ptr<Group>> groups_;
  std::uint64_t next_token_ = 1;
  bool stopped_ = false;
};

}  // namespace junction::kafka
