#include "groups/group.hpp"

#include <algorithm>
#include <cstdio>
#include <random>
#include <utility>

namespace junction::kafka {
namespace {

// Kafka's form: the client id, a dash and a random UUID, so an operator can
// tell from DescribeGroups which client a member is.
std::string new_member_id(const std::string& client_id) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto high = random();
  const auto low = random();
  char uuid[37];
  std::snprintf(uuid, sizeof uuid, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0xffff),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return client_id + "-" + uuid;
}

JoinResult join_error(ErrorCode error, std::string member_id) {
  JoinResult result;
  result.error = error;
  result.member_id = std::move(member_id);
  return result;
}

bool same_protocols(const std::vector<GroupProtocol>& a, const std::vector<GroupProtocol>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const GroupProtocol& x, const GroupProtocol& y) {
                      return x.name == y.name && x.metadata == y.metadata;
                    });
}

bool offers(const std::vector<GroupProtocol>& protocols, const std::string& name) {
  return std::any_of(protocols.begin(), protocols.end(),
                     [&name](const GroupProtocol& protocol) { return protocol.name == name; });
}

}  // namespace

const char* group_state_name(GroupState state) {
  switch (state) {
    case GroupState::empty:
      return "Empty";
    case GroupState::preparing_rebalance:
      return "PreparingRebalance";
    case GroupState::completing_rebalance:
      return "CompletingRebalance";
    case GroupState::stable:
      return "Stable";
  }
  return "Dead";
}

Group::Group(std::string id, const GroupSettings& settings)
    : id_(std::move(id)), settings_(settings) {}

bool Group::supports_protocols(const JoinRequest& request) const {
  if (request.protocol_type.empty() || request.protocols.empty()) return false;
  if (members_.empty()) return true;
  if (request.protocol_type != protocol_type_) return false;
  // At least one of the member's protocols must be one every other member
  // offers too.
  return std::any_of(
      request.protocols.begin(), request.protocols.end(), [this](const GroupProtocol& protocol) {
        return std::all_of(members_.begin(), members_.end(), [&protocol](const auto& entry) {
          return offers(entry.second.protocols, protocol.name);
        });
      });
}

void Group::join(JoinRequest request, std::uint64_t token, JoinCallback done,
                 GroupClock::time_point now) {
  const std::chrono::milliseconds session(request.session_timeout_ms);
  if (session < settings_.min_session_timeout || session > settings_.max_session_timeout) {
    return done(join_error(ErrorCode::invalid_session_timeout, request.member_id));
  }
  if (!supports_protocols(request)) {
    return done(join_error(ErrorCode::inconsistent_group_protocol, request.member_id));
  }

  if (request.member_id.empty()) {
    auto member_id = new_member_id(request.client_id);
    if (request.member_id_required) {
      pending_members_[member_id] = now + session;
      return done(join_error(ErrorCode::member_id_required, std::move(member_id)));
    }
    return add_member_and_rebalance(std::move(request), std::move(member_id), token,
                                    std::move(done), now);
  }
  if (auto pending = pending_members_.find(request.member_id); pending != pending_members_.end()) {
    pending_members_.erase(pending);
    auto member_id = request.member_id;
    return add_member_and_rebalance(std::move(request), std::move(member_id), token,
                                    std::move(done), now);
  }
  auto found = members_.find(request.member_id);
  if (found == members_.end()) {
    return done(join_error(ErrorCode::unknown_member_id, request.member_id));
  }
  Member& member = found->second;
  switch (state_) {
    case GroupState::preparing_rebalance:
      return update_member_and_rebalance(member, std::move(request), token, std::move(done), now);
    case GroupState::completing_rebalance:
    case GroupState::stable:
    case GroupState::empty:
      // A follower that rejoins with what it had (say after a lost answer)
      // gets the current generation back without disturbing the others.
      if (same_protocols(member.protocols, request.protocols) &&
          (state_ == GroupState::completing_rebalance || member.id != leader_)) {
        member.session_deadline = now + member.session_timeout;
        return done(join_result_for(member));
      }
      return update_member_and_rebalance(member, std::move(request), token, std::move(done), now);
  }
}

void Group::add_member_and_rebalance(JoinRequest request, std::string member_id,
                                     std::uint64_t token, JoinCallback done,
                                     GroupClock::time_point now) {
  if (members_.empty()) protocol_type_ = request.protocol_type;
  Member member;
  member.id = member_id;
  member.client_id = std::move(request.client_id);
  member.client_host = std::move(request.client_host);
  member.session_timeout = std::chrono::milliseconds(request.session_timeout_ms);
  member.rebalance_timeout = std::chrono::milliseconds(request.rebalance_timeout_ms);
  member.protocols = std::move(request.protocols);
  member.session_deadline = now + member.session_timeout;
  auto& added = members_.emplace(member_id, std::move(member)).first->second;
  set_awaiting_join(added, token, std::move(done));
  if (leader_.empty()) leader_ = member_id;
  new_member_added_ = true;
  maybe_prepare_rebalance(now);
}

void Group::update_member_and_rebalance(Member& member, JoinRequest request, std::uint64_t token,
                                        JoinCallback done, GroupClock::time_point now) {
  member.client_id = std::move(request.client_id);
  member.client_host = std::move(request.client_host);
  member.session_timeout = std::chrono::milliseconds(request.session_timeout_ms);
  member.rebalance_timeout = std::chrono::milliseconds(request.rebalance_timeout_ms);
  member.protocols = std::move(request.protocols);
  set_awaiting_join(member, token, std::move(done));
  maybe_prepare_rebalance(now);
}

void Group::set_awaiting_join(Member& member, std::uint64_t token, JoinCallback done) {
  // A second join while the first is held replaces it; the first one's
  // client (if it still listens) simply joins again.
  if (auto previous = std::exchange(member.awaiting_join, nullptr)) {
    previous(join_error(ErrorCode::rebalance_in_progress, member.id));
  }
  member.awaiting_join = std::move(done);
  member.join_token = token;
}

void Group::maybe_prepare_rebalance(GroupClock::time_point now) {
  if (state_ == GroupState::preparing_rebalance) return try_complete_join(now);
  prepare_rebalance(now);
}

void Group::prepare_rebalance(GroupClock::time_point now) {
  if (state_ == GroupState::completing_rebalance) {
    // The assignment being computed is for a membership that just changed.
    for (auto& [id, member] : members_) {
      if (auto waiting = std::exchange(member.awaiting_sync, nullptr)) {
        waiting({ErrorCode::rebalance_in_progress, {}});
      }
    }
  }
  std::chrono::milliseconds rebalance_timeout{0};
  for (const auto& [id, member] : members_)
    rebalance_timeout = std::max(rebalance_timeout, member.rebalance_timeout);

  const bool first_rebalance = state_ == GroupState::empty;
  state_ = GroupState::preparing_rebalance;
  if (first_rebalance && settings_.initial_rebalance_delay.count() > 0) {
    initial_delay_ = true;
    new_member_added_ = false;
    initial_delay_limit_ = now + rebalance_timeout;
    join_deadline_ = now + std::min(settings_.initial_rebalance_delay, rebalance_timeout);
    return;
  }
  initial_delay_ = false;
  join_deadline_ = now + rebalance_timeout;
  try_complete_join(now);
}

bool Group::all_members_joined() const {
  return pending_members_.empty() &&
         std::all_of(members_.begin(), members_.end(),
                     [](const auto& entry) { return entry.second.awaiting_join != nullptr; });
}

void Group::try_complete_join(GroupClock::time_point now) {
  if (state_ == GroupState::preparing_rebalance && !initial_delay_ && all_members_joined()) {
    complete_join(now);
  }
}

void Group::complete_join(GroupClock::time_point now) {
  // Members that did not rejoin in time are gone.
  std::vector<std::string> missing;
  for (const auto& [id, member] : members_)
    if (!member.awaiting_join) missing.push_back(id);
  for (const auto& id : missing) erase_member(id);

  ++generation_;
  if (members_.empty()) {
    state_ = GroupState::empty;
    protocol_name_.clear();
    return;
  }
  protocol_name_ = select_protocol();
  state_ = GroupState::completing_rebalance;
  for (auto& [id, member] : members_) {
    auto done = std::exchange(member.awaiting_join, nullptr);
    member.session_deadline = now + member.session_timeout;
    done(join_result_for(member));
  }
}

// Among the protocols every member offers, each member votes for the one it
// prefers most; the most votes win, ties going to the leader's preference.
std::string Group::select_protocol() const {
  std::vector<std::string> candidates;
  for (const auto& protocol : members_.at(leader_).protocols) {
    const bool everyone = std::all_of(members_.begin(), members_.end(), [&](const auto& entry) {
      return offers(entry.second.protocols, protocol.name);
    });
    if (everyone) candidates.push_back(protocol.name);
  }
  std::map<std::string, int> votes;
  for (const auto& [id, member] : members_) {
    for (const auto& protocol : member.protocols) {
      if (std::find(candidates.begin(), candidates.end(), protocol.name) != candidates.end()) {
        ++votes[protocol.name];
        break;
      }
    }
  }
  std::string chosen;
  int most = 0;
  for (const auto& candidate : candidates) {
    if (votes[candidate] > most) {
      most = votes[candidate];
      chosen = candidate;
    }
  }
  return chosen;
}

const std::string* Group::metadata_for(const Member& member, const std::string& protocol) const {
  for (const auto& offered : member.protocols)
    if (offered.name == protocol) return &offered.metadata;
  return nullptr;
}

JoinResult Group::join_result_for(const Member& member) const {
  JoinResult result;
  result.generation = generation_;
  result.protocol_name = protocol_name_;
  result.leader = leader_;
  result.member_id = member.id;
  if (member.id == leader_) {
    for (const auto& [id, other] : members_) {
      const auto* metadata = metadata_for(other, protocol_name_);
      result.members.push_back({id, metadata ? *metadata : std::string()});
    }
  }
  return result;
}

void Group::sync(const std::string& member_id, std::int32_t generation,
                 std::map<std::string, std::string> assignments, std::uint64_t token,
                 SyncCallback done, GroupClock::time_point now) {
  auto found = members_.find(member_id);
  if (found == members_.end()) return done({ErrorCode::unknown_member_id, {}});
  if (generation != generation_) return done({ErrorCode::illegal_generation, {}});
  Member& member = found->second;
  switch (state_) {
    case GroupState::empty:
      return done({ErrorCode::unknown_member_id, {}});
    case GroupState::preparing_rebalance:
      return done({ErrorCode::rebalance_in_progress, {}});
    case GroupState::stable:
      member.session_deadline = now + member.session_timeout;
      return done({ErrorCode::none, member.assignment});
    case GroupState::completing_rebalance:
      break;
  }
  if (auto previous = std::exchange(member.awaiting_sync, nullptr)) {
    previous({ErrorCode::rebalance_in_progress, {}});
  }
  member.awaiting_sync = std::move(done);
  member.sync_token = token;
  if (member_id != leader_) return;

  // Members the leader left out get an empty assignment, as in Kafka.
  for (auto& [id, each] : members_) {
    auto assigned = assignments.find(id);
    each.assignment = assigned == assignments.end() ? std::string() : std::move(assigned->second);
  }
  state_ = GroupState::stable;
  for (auto& [id, each] : members_) {
    if (auto waiting = std::exchange(each.awaiting_sync, nullptr)) {
      each.session_deadline = now + each.session_timeout;
      waiting({ErrorCode::none, each.assignment});
    }
  }
}

ErrorCode Group::heartbeat(const std::string& member_id, std::int32_t generation,
                           GroupClock::time_point now) {
  auto found = members_.find(member_id);
  if (found == members_.end()) return ErrorCode::unknown_member_id;
  if (generation != generation_) return ErrorCode::illegal_generation;
  found->second.session_deadline = now + found->second.session_timeout;
  return state_ == GroupState::preparing_rebalance ? ErrorCode::rebalance_in_progress
                                                   : ErrorCode::none;
}

ErrorCode Group::leave(const std::string& member_id, GroupClock::time_point now) {
  if (pending_members_.erase(member_id) > 0) {
    try_complete_join(now);
    return ErrorCode::none;
  }
  if (!members_.contains(member_id)) return ErrorCode::unknown_member_id;
  remove_member(member_id, now);
  return ErrorCode::none;
}

ErrorCode Group::validate_commit(const std::string& member_id, std::int32_t generation,
                                 GroupClock::time_point now) {
  // A consumer that manages its own partitions commits with no generation.
  if (generation < 0 && state_ == GroupState::empty) return ErrorCode::none;
  // The member has its new generation but not yet its assignment.
  if (state_ == GroupState::completing_rebalance) return ErrorCode::rebalance_in_progress;
  auto found = members_.find(member_id);
  if (found == members_.end()) return ErrorCode::unknown_member_id;
  if (generation != generation_) return ErrorCode::illegal_generation;
  found->second.session_deadline = now + found->second.session_timeout;
  return ErrorCode::none;
}

Group::Member* Group::holding_join(std::uint64_t token) {
  for (auto& [id, member] : members_)
    if (member.awaiting_join && member.join_token == token) return &member;
  return nullptr;
}

Group::Member* Group::holding_sync(std::uint64_t token) {
  for (auto& [id, member] : members_)
    if (member.awaiting_sync && member.sync_token == token) return &member;
  return nullptr;
}

void Group::abandon_join(std::uint64_t token, GroupClock::time_point now) {
  Member* member = holding_join(token);
  if (!member) return;
  member->awaiting_join = nullptr;
  const std::string member_id = member->id;  // outlives the member
  remove_member(member_id, now);
}

void Group::abandon_sync(std::uint64_t token, GroupClock::time_point now) {
  Member* member = holding_sync(token);
  if (!member) return;
  member->awaiting_sync = nullptr;
  member->session_deadline = now + member->session_timeout;
}

void Group::remove_member(const std::string& member_id, GroupClock::time_point now) {
  auto found = members_.find(member_id);
  if (found == members_.end()) return;
  if (auto waiting = std::exchange(found->second.awaiting_join, nullptr)) {
    waiting(join_error(ErrorCode::unknown_member_id, member_id));
  }
  if (auto waiting = std::exchange(found->second.awaiting_sync, nullptr)) {
    waiting({ErrorCode::unknown_member_id, {}});
  }
  erase_member(member_id);
  switch (state_) {
    case GroupState::empty:
      return;
    case GroupState::preparing_rebalance:
      return try_complete_join(now);
    case GroupState::completing_rebalance:
    case GroupState::stable:
      return prepare_rebalance(now);
  }
}

void Group::erase_member(const std::string& member_id) {
  members_.erase(member_id);
  if (leader_ == member_id) leader_ = members_.empty() ? std::string() : members_.begin()->first;
}

void Group::expire(GroupClock::time_point now) {
  for (auto it = pending_members_.begin(); it != pending_members_.end();) {
    it = it->second <= now ? pending_members_.erase(it) : std::next(it);
  }
  if (state_ == GroupState::preparing_rebalance && join_deadline_ <= now) {
    if (initial_delay_ && new_member_added_ && now < initial_delay_limit_) {
      new_member_added_ = false;
      join_deadline_ = std::min(now + settings_.initial_rebalance_delay, initial_delay_limit_);
    } else {
      initial_delay_ = false;
      complete_join(now);
    }
  }
  // A member waiting for a held answer is alive by definition.
  std::vector<std::string> expired;
  for (const auto& [id, member] : members_) {
    if (!member.awaiting_join && !member.awaiting_sync && member.session_deadline <= now)
      expired.push_back(id);
  }
  for (const auto& id : expired) remove_member(id, now);
  try_complete_join(now);
}

std::optional<GroupClock::time_point> Group::next_deadline() const {
  std::optional<GroupClock::time_point> next;
  auto consider = [&next](GroupClock::time_point at) {
    if (!next || at < *next) next = at;
  };
  for (const auto& [id, deadline] : pending_members_) consider(deadline);
  if (state_ == GroupState::preparing_rebalance) consider(join_deadline_);
  for (const auto& [id, member] : members_) {
    if (!member.awaiting_join && !member.awaiting_sync) consider(member.session_deadline);
  }
  return next;
}

void Group::drop_pending_answers() {
  for (auto& [id, member] : members_) {
    member.awaiting_join = nullptr;
    member.awaiting_sync = nullptr;
  }
}

GroupSummary Group::describe() const {
  GroupSummary summary;
  summary.state = state_;
  summary.protocol_type = protocol_type_;
  const bool stable = state_ == GroupState::stable;
  if (stable) summary.protocol_name = protocol_name_;
  for (const auto& [id, member] : members_) {
    MemberSummary described{id, member.client_id, member.client_host, {}, {}};
    if (stable) {
      if (const auto* metadata = metadata_for(member, protocol_name_))
        described.metadata = *metadata;
      described.assignment = member.assignment;
    }
    summary.members.push_back(std::move(described));
  }
  return summary;
}

}  // namespace junction::kafka
