#pragma once

// One Kafka consumer group's membership, as Kafka's classic group protocol
// defines it: Empty -> PreparingRebalance (JoinGroup answers are held until
// every member has rejoined or the rebalance timeout passes) ->
// CompletingRebalance (the leader computes the assignment) -> Stable (after
// the leader's SyncGroup). Members join, leave, or are dropped when their
// session times out, and each of those starts a new rebalance.
//
// Pure state: no I/O, no clock of its own, no locking. The GroupCoordinator
// calls it from one strand and passes the time in; answers go out through
// the callbacks handed in, which must not call back into the group.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/error_code.hpp"

namespace junction::kafka {

using GroupClock = std::chrono::steady_clock;

enum class GroupState { empty, preparing_rebalance, completing_rebalance, stable };

// Kafka's names, as DescribeGroups reports them.
const char* group_state_name(GroupState state);

struct GroupSettings {
  std::chrono::milliseconds min_session_timeout{6000};
  std::chrono::milliseconds max_session_timeout{1800000};
  std::chrono::milliseconds initial_rebalance_delay{3000};
};

struct GroupProtocol {
  std::string name;
  std::string metadata;
};

struct JoinRequest {
  std::string member_id;  // empty on a member's first join
  std::string client_id;
  std::string client_host;
  std::int32_t session_timeout_ms = 0;
  std::int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<GroupProtocol> protocols;  // in the member's order of preference
  // From JoinGroup v4 on, a member without an id is given one and asked to
  // join again with it (MEMBER_ID_REQUIRED), so a lost answer leaves no
  // orphan member behind.
  bool member_id_required = false;
};

struct JoinedMember {
  std::string member_id;
  std::string metadata;  // for the chosen protocol
};

struct JoinResult {
  ErrorCode error = ErrorCode::none;
  std::int32_t generation = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<JoinedMember> members;  // only the leader's answer lists them
};

struct SyncResult {
  ErrorCode error = ErrorCode::none;
  std::string assignment;
};

using JoinCallback = std::function<void(const JoinResult&)>;
using SyncCallback = std::function<void(const SyncResult&)>;

struct MemberSummary {
  std::string member_id;
  std::string client_id;
  std::string client_host;
  std::string metadata;    // only when Stable
  std::string assignment;  // only when Stable
};

struct GroupSummary {
  GroupState state = GroupState::empty;
  std::string protocol_type;
  std::string protocol_name;  // only when Stable
  std::vector<MemberSummary> members;
};

class Group {
 public:
  Group(std::string id, const GroupSettings& settings);

  const std::string& id() const { return id_; }
  GroupState state() const { return state_; }
  const std::string& protocol_type() const { return protocol_type_; }

  // `token` names this answer while it is held, so abandon_join can tell it
  // from a later join of the same member.
  void join(JoinRequest request, std::uint64_t token, JoinCallback done,
            GroupClock::time_point now);
  // `assignments` is only read from the leader.
  void sync(const std::string& member_id, std::int32_t generation,
            std::map<std::string, std::string> assignments, std::uint64_t token, SyncCallback done,
            GroupClock::time_point now);
  ErrorCode heartbeat(const std::string& member_id, std::int32_t generation,
                      GroupClock::time_point now);
  ErrorCode leave(const std::string& member_id, GroupClock::time_point now);
  // Whether a commit from this member and generation may be stored; a valid
  // one also counts as a sign of life.
  ErrorCode validate_commit(const std::string& member_id, std::int32_t generation,
                            GroupClock::time_point now);

  // The connection waiting for this join answer closed: the member is gone
  // (a live client rejoins and is told its id is unknown).
  void abandon_join(std::uint64_t token, GroupClock::time_point now);
  // The connection waiting for this sync answer closed: the member stays
  // until its session times out, as Kafka would keep it.
  void abandon_sync(std::uint64_t token, GroupClock::time_point now);

  // Runs whatever is due: session timeouts, the end of a rebalance's wait.
  void expire(GroupClock::time_point now);
  // When expire() next has something to do; nullopt if nothing is pending.
  std::optional<GroupClock::time_point> next_deadline() const;

  // Forgets every pending answer without sending it (transport shutdown).
  void drop_pending_answers();

  GroupSummary describe() const;

 private:
  struct Member {
    std::string id;
    std::string client_id;
    std::string client_host;
    std::chrono::milliseconds session_timeout{0};
    std::chrono::milliseconds rebalance_timeout{0};
    std::vector<GroupProtocol> protocols;
    std::string assignment;
    JoinCallback awaiting_join;
    std::uint64_t join_token = 0;
    SyncCallback awaiting_sync;
    std::uint64_t sync_token = 0;
    GroupClock::time_point session_deadline;
  };

  bool supports_protocols(const JoinRequest& request) const;
  void add_member_and_rebalance(JoinRequest request, std::string member_id, std::uint64_t token,
                                JoinCallback done, GroupClock::time_point now);
  void update_member_and_rebalance(Member& member, JoinRequest request, std::uint64_t token,
                                   JoinCallback done, GroupClock::time_point now);
  void set_awaiting_join(Member& member, std::uint64_t token, JoinCallback done);
  void maybe_prepare_rebalance(GroupClock::time_point now);
  void prepare_rebalance(GroupClock::time_point now);
  void try_complete_join(GroupClock::time_point now);
  void complete_join(GroupClock::time_point now);
  bool all_members_joined() const;
  std::string select_protocol() const;
  JoinResult join_result_for(const Member& member) const;
  const std::string* metadata_for(const Member& member, const std::string& protocol) const;
  void remove_member(const std::string& member_id, GroupClock::time_point now);
  void erase_member(const std::string& member_id);
  Member* holding_join(std::uint64_t token);
  Member* holding_sync(std::uint64_t token);

  std::string id_;
  const GroupSettings& settings_;
  GroupState state_ = GroupState::empty;
  std::int32_t generation_ = 0;
  std::string protocol_type_;
  std::string protocol_name_;
  std::string leader_;
  std::map<std::string, Member> members_;
  // Ids handed out with MEMBER_ID_REQUIRED, until they join or time out.
  std::map<std::string, GroupClock::time_point> pending_members_;

  // While preparing a rebalance: when the wait for members ends.
  GroupClock::time_point join_deadline_;
  // The first rebalance of an empty group waits initial_rebalance_delay for
  // more members, again each time one arrives, up to the rebalance timeout.
  bool initial_delay_ = false;
  bool new_member_added_ = false;
  GroupClock::time_point initial_delay_limit_;
};

}  // namespace junction::kafka
