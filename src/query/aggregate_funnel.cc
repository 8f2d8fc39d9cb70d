// The aggregates PostHog's insights are built on: windowFunnel (funnels), retention, and
// sequenceMatch / sequenceCount, with 18.16's algorithms (AggregateFunctionWindowFunnel.h,
// AggregateFunctionRetention.h, AggregateFunctionSequenceMatch.h).

#include <algorithm>
#include <cstring>
#include <stack>
#include <tuple>

#include <fmt/format.h>

#include "aggregate_impl.h"

namespace hedgerow::query {
namespace {

constexpr size_t kMaxEvents = 32;

// Reads an unsigned timestamp column (UInt8..UInt64, Date, DateTime) as uint64_t.
template <class F>
void ForEachTimestamp(const AggregateBatch& batch, F&& f) {
  const ArgValues& t = batch.args[0];
  DispatchNumber(NumberLayout(t.column->type->id), [&](auto tag) {
    using T = decltype(tag);
    const T* data = t.Data<T>();
    batch.ForEach([&](size_t r) { f(r, static_cast<uint64_t>(data[r * t.step])); });
    return 0;
  });
}

// The events of row r as a bitmask: bit i for condition i + 1 (args 1..).
uint32_t EventsAt(const AggregateBatch& batch, size_t first, size_t r) {
  uint32_t events = 0;
  for (size_t i = first; i < batch.args.size(); ++i) {
    const ArgValues& c = batch.args[i];
    if (c.Data<uint8_t>()[r * c.step] != 0) events |= 1u << (i - first);
  }
  return events;
}

// windowFunnel(window)(t, c1, ..., cn): the longest chain c1 -> c2 -> ... whose events all
// fall within `window` of the chain's c1 event, events in time order (ties in the order
// added, a row matching several conditions taken from the last condition down).
class WindowFunnel final : public Aggregate {
 public:
  WindowFunnel(uint64_t window, size_t conditions) : window_(window), conditions_(conditions) {}
  DataTypePtr ValueType() const override { return MakeType(TypeId::kUInt8); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(events_, groups);
    ForEachTimestamp(batch, [&](size_t r, uint64_t t) {
      const uint32_t events = EventsAt(batch, 1, r);
      if (events == 0) return;
      for (size_t i = conditions_; i > 0; --i) {
        if ((events >> (i - 1)) & 1) events_[batch.groups[r]].emplace_back(t, static_cast<uint8_t>(i));
      }
    });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(events_, groups);
    auto& o = static_cast<WindowFunnel&>(other);
    for (size_t g = 0; g < o.events_.size(); ++g) {
      auto& to = events_[mapping[g]];
      to.insert(to.end(), o.events_[g].begin(), o.events_[g].end());
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<uint8_t> out(count, 0);
    std::vector<std::pair<uint64_t, uint8_t>> list;
    std::vector<int64_t> first_time(conditions_);
    for (size_t g = 0; g < count && g < events_.size(); ++g) {
      if (events_[g].empty()) continue;
      if (conditions_ == 1) {
        out[g] = 1;
        continue;
      }
      list = events_[g];
      std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      // first_time[i]: the c1 time of the latest chain that reached level i + 1, -1 if none.
      std::fill(first_time.begin(), first_time.end(), -1);
      uint8_t level = 0;
      for (const auto& [t, event] : list) {
        const size_t i = event - 1;
        if (i == 0) {
          first_time[0] = static_cast<int64_t>(t);
        } else if (first_time[i - 1] >= 0 && t <= static_cast<uint64_t>(first_time[i - 1]) + window_) {
          first_time[i] = first_time[i - 1];
          if (i + 1 == conditions_) {
            level = static_cast<uint8_t>(conditions_);
            break;
          }
        }
      }
      for (size_t i = conditions_; i > 0 && level == 0; --i) {
        if (first_time[i - 1] >= 0) level = static_cast<uint8_t>(i);
      }
      out[g] = level;
    }
    return NumberColumn(ValueType(), out);
  }

 private:
  uint64_t window_;
  size_t conditions_;
  std::vector<std::vector<std::pair<uint64_t, uint8_t>>> events_;
};

// retention(c1, ..., cn): [c1 happened, c1 and c2 happened, ..., c1 and cn happened].
class Retention final : public Aggregate {
 public:
  explicit Retention(size_t conditions) : conditions_(conditions) {}
  DataTypePtr ValueType() const override { return MakeArray(MakeType(TypeId::kUInt8)); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(seen_, groups);
    batch.ForEach([&](size_t r) { seen_[batch.groups[r]] |= EventsAt(batch, 0, r); });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(seen_, groups);
    const auto& o = static_cast<Retention&>(other);
    for (size_t g = 0; g < o.seen_.size(); ++g) seen_[mapping[g]] |= o.seen_[g];
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<uint8_t> flags;
    flags.reserve(count * conditions_);
    auto out = MakeColumn(ValueType(), 0);
    for (size_t g = 0; g < count; ++g) {
      const uint32_t seen = g < seen_.size() ? seen_[g] : 0;
      for (size_t i = 0; i < conditions_; ++i) flags.push_back((seen & 1) != 0 && ((seen >> i) & 1) != 0);
      out->offsets.push_back(flags.size());
    }
    out->rows = count;
    out->nested.push_back(NumberColumn(MakeType(TypeId::kUInt8), flags));
    return ColumnPtr(std::move(out));
  }

 private:
  size_t conditions_;
  std::vector<uint32_t> seen_;
};

// sequenceMatch / sequenceCount's pattern: (?N) an event matching condition N, . any event,
// .* any run of events, (?t<=N) (?t<N) (?t>=N) (?t>N) the time since the previous event.
struct PatternAction {
  enum class Type { kEvent, kAny, kKleeneStar, kTimeLessOrEqual, kTimeLess, kTimeGreaterOrEqual, kTimeGreater };
  Type type;
  uint64_t extra = 0;  // the event's index, or the duration
};

struct DfaState {
  bool has_kleene = false;
  enum class Transition { kNone, kEvent, kAny } transition = Transition::kNone;
  uint32_t event = 0;
};

constexpr size_t kMaxPatternLength = 1000;
// ClickHouse's sequence_match_max_iterations: a pattern needing more steps is refused.
constexpr size_t kMaxIterations = 1000000;

class Sequence final : public Aggregate {
 public:
  using Event = std::pair<uint32_t, uint32_t>;  // time, condition bits
  Sequence(bool count, std::vector<PatternAction> actions, std::vector<DfaState> dfa, bool has_time)
      : count_(count), actions_(std::move(actions)), dfa_(std::move(dfa)), has_time_(has_time) {}
  DataTypePtr ValueType() const override { return MakeType(count_ ? TypeId::kUInt64 : TypeId::kUInt8); }
  void AddBatch(const AggregateBatch& batch, size_t groups) override {
    GrowTo(events_, groups);
    ForEachTimestamp(batch, [&](size_t r, uint64_t t) {
      const uint32_t events = EventsAt(batch, 1, r);
      if (events != 0) events_[batch.groups[r]].emplace_back(static_cast<uint32_t>(t), events);
    });
  }
  void MergeStates(Aggregate& other, const std::vector<uint32_t>& mapping, size_t groups) override {
    GrowTo(events_, groups);
    auto& o = static_cast<Sequence&>(other);
    for (size_t g = 0; g < o.events_.size(); ++g) {
      auto& to = events_[mapping[g]];
      to.insert(to.end(), o.events_[g].begin(), o.events_[g].end());
    }
  }
  Result<ColumnPtr> FinalizeValues(size_t count) const override {
    std::vector<uint64_t> counts(count, 0);
    std::vector<Event> list;
    for (size_t g = 0; g < count && g < events_.size(); ++g) {
      list = events_[g];
      // std::sort as ClickHouse's (libstdc++'s), so that ties come out in the same order.
      std::sort(list.begin(), list.end(), [](const Event& a, const Event& b) { return a.first < b.first; });
      size_t it = 0;
      if (!count_) {
        bool match = false;
        if (has_time_) {
          HEDGEROW_ASSIGN_OR_RETURN(match, Backtrack(list, it));
        } else {
          match = DfaMatch(list);
        }
        counts[g] = match;
        continue;
      }
      while (it != list.size()) {
        HEDGEROW_ASSIGN_OR_RETURN(bool match, Backtrack(list, it));
        if (!match) break;
        ++counts[g];
      }
    }
    if (count_) return NumberColumn(ValueType(), counts);
    std::vector<uint8_t> out(counts.begin(), counts.end());
    return NumberColumn(ValueType(), out);
  }

 private:
  bool DfaMatch(const std::vector<Event>& list) const {
    std::vector<uint8_t> active(dfa_.size(), 0), next(dfa_.size(), 0);
    active[0] = 1;
    size_t n_active = 1;
    for (size_t e = 0; e < list.size() && n_active > 0 && !active.back(); ++e) {
      n_active = 0;
      std::fill(next.begin(), next.end(), 0);
      for (size_t s = 0; s < dfa_.size(); ++s) {
        if (!active[s]) continue;
        if (dfa_[s].transition == DfaState::Transition::kAny ||
            (dfa_[s].transition == DfaState::Transition::kEvent && ((list[e].second >> dfa_[s].event) & 1))) {
          next[s + 1] = 1;
          ++n_active;
        }
        if (dfa_[s].has_kleene) {
          next[s] = 1;
          ++n_active;
        }
      }
      active.swap(next);
    }
    return active.back() != 0;
  }

  // ClickHouse's backtracking_match from event `it` on (advanced past the match).
  Result<bool> Backtrack(const std::vector<Event>& list, size_t& it) const {
    using Type = PatternAction::Type;
    const size_t end = list.size(), begin = it;
    size_t action = 0, base = it;
    std::stack<std::tuple<size_t, size_t, size_t>> back;  // action, event, base
    auto backtrack = [&] {
      while (!back.empty()) {
        std::tie(action, it, base) = back.top();
        ++it;
        back.pop();
        if (it != end) return true;
      }
      return false;
    };
    size_t steps = 0;
    while (action != actions_.size() && it != end) {
      const PatternAction& a = actions_[action];
      const uint32_t since = list[it].first - list[base].first;
      if (a.type == Type::kEvent) {
        if ((list[it].second >> a.extra) & 1) {
          base = it;
          ++action, ++it;
        } else if (!backtrack()) {
          break;
        }
      } else if (a.type == Type::kAny) {
        base = it;
        ++action, ++it;
      } else if (a.type == Type::kKleeneStar) {
        back.emplace(action, it, base);
        base = it;
        ++action;
      } else if (a.type == Type::kTimeLessOrEqual || a.type == Type::kTimeLess) {
        if (a.type == Type::kTimeLess ? since < a.extra : since <= a.extra) {
          back.emplace(action, it, base);
          base = it;
          ++action;
        } else if (!backtrack()) {
          break;
        }
      } else {
        if (a.type == Type::kTimeGreater ? since > a.extra : since >= a.extra) {
          back.emplace(action, it, base);
          base = it;
          ++action;
        } else if (++it == end && !backtrack()) {
          break;
        }
      }
      if (++steps > kMaxIterations) {
        return Status::InvalidArgument(
            fmt::format("Pattern application proves too difficult, exceeding max iterations ({})", kMaxIterations));
      }
    }
    // Trailing actions that match an empty run.
    while (action != actions_.size() &&
           (actions_[action].type == Type::kKleeneStar || actions_[action].type == Type::kTimeLessOrEqual ||
            actions_[action].type == Type::kTimeLess ||
            (actions_[action].type == Type::kTimeGreaterOrEqual && actions_[action].extra == 0))) {
      ++action;
    }
    if (it == begin) ++it;
    return action == actions_.size();
  }

  bool count_;
  std::vector<PatternAction> actions_;
  std::vector<DfaState> dfa_;
  bool has_time_;
  std::vector<std::vector<Event>> events_;
};

// Parses a sequence pattern as ClickHouse's parsePattern does.
Result<std::unique_ptr<Aggregate>> ParsePattern(const AggregateCall& call, std::string_view pattern, size_t events) {
  using Type = PatternAction::Type;
  if (pattern.size() > kMaxPatternLength) {
    return Status::InvalidArgument(fmt::format("Pattern of {} is longer than {} bytes", call.name, kMaxPatternLength));
  }
  std::vector<PatternAction> actions{{Type::kKleeneStar}};
  std::vector<DfaState> dfa(1, DfaState{.has_kleene = true});
  bool has_time = false;
  size_t pos = 0;
  auto match = [&](std::string_view s) {
    if (pattern.substr(pos, s.size()) != s) return false;
    pos += s.size();
    return true;
  };
  auto error = [&](std::string_view what) {
    return Status::InvalidArgument(fmt::format("{} '{}' at position {}", what, pattern.substr(pos), pos));
  };
  auto number = [&](uint64_t& out) {
    size_t start = pos;
    out = 0;
    while (pos < pattern.size() && pattern[pos] >= '0' && pattern[pos] <= '9' && pos - start < 18) {
      out = out * 10 + static_cast<uint64_t>(pattern[pos++] - '0');
    }
    return pos != start;
  };
  while (pos < pattern.size()) {
    if (match("(?")) {
      uint64_t n = 0;
      if (match("t")) {
        Type type;
        if (match("<=")) {
          type = Type::kTimeLessOrEqual;
        } else if (match("<")) {
          type = Type::kTimeLess;
        } else if (match(">=")) {
          type = Type::kTimeGreaterOrEqual;
        } else if (match(">")) {
          type = Type::kTimeGreater;
        } else {
          return error("Unknown time condition");
        }
        if (!number(n)) return error("Could not parse number");
        const Type last = actions.back().type;
        if (last != Type::kEvent && last != Type::kAny && last != Type::kKleeneStar) {
          return Status::InvalidArgument("Temporal condition should be preceeded by an event condition");
        }
        has_time = true;
        actions.push_back({type, n});
      } else {
        if (!number(n)) return error("Could not parse number");
        if (n == 0 || n > events) return Status::InvalidArgument(fmt::format("Event number {} is out of range", n));
        actions.push_back({Type::kEvent, n - 1});
        dfa.back().transition = DfaState::Transition::kEvent;
        dfa.back().event = static_cast<uint32_t>(n - 1);
        dfa.emplace_back();
      }
      if (!match(")")) return error("Expected closing parenthesis, found");
    } else if (match(".*")) {
      actions.push_back({Type::kKleeneStar});
      dfa.back().has_kleene = true;
    } else if (match(".")) {
      actions.push_back({Type::kAny});
      dfa.back().transition = DfaState::Transition::kAny;
      dfa.emplace_back();
    } else {
      return error("Could not parse pattern, unexpected starting symbol");
    }
  }
  return std::unique_ptr<Aggregate>(
      std::make_unique<Sequence>(call.base == "sequenceCount", std::move(actions), std::move(dfa), has_time));
}

Status CheckConditions(const AggregateCall& call, size_t first) {
  if (call.values.size() - first > kMaxEvents) {
    return Status::InvalidArgument(fmt::format("Aggregate function {} supports up to {} event arguments", call.name, kMaxEvents));
  }
  for (size_t i = first; i < call.values.size(); ++i) {
    if (call.values[i]->id != TypeId::kUInt8 || call.args[i]->id != TypeId::kUInt8) {
      return Status::InvalidArgument(fmt::format("Illegal type {} of argument {} of aggregate function {}, must be UInt8",
                                                 call.args[i]->Name(), i + 1, call.name));
    }
  }
  return Status::Ok();
}

// Timestamps: DateTime or UInt32 as 18.16 takes them; also the other unsigned integers and
// Date, which newer ClickHouse takes (the window in the timestamp's own unit).
Status CheckTimestamp(const AggregateCall& call, bool date_time_only) {
  const DataTypePtr& t = call.args[0];
  const bool ok = date_time_only ? t->id == TypeId::kDateTime || t->id == TypeId::kUInt32
                                 : t->id == TypeId::kDateTime || t->id == TypeId::kDate ||
                                       (t->IsInteger() && !t->IsSigned());
  if (ok) return Status::Ok();
  return Status::InvalidArgument(fmt::format("Illegal type {} of first argument of aggregate function {}, must be DateTime",
                                             t->Name(), call.name));
}

}  // namespace

Result<std::unique_ptr<Aggregate>> MakeFunnel(const AggregateCall& call) {
  if (call.base == "retention") {
    HEDGEROW_RETURN_IF_ERROR(NoParameters(call));
    if (call.values.size() < 2) return ArgumentCount(call, "at least 2");
    HEDGEROW_RETURN_IF_ERROR(CheckConditions(call, 0));
    return std::unique_ptr<Aggregate>(std::make_unique<Retention>(call.values.size()));
  }
  if (call.base == "windowFunnel") {
    if (call.params.size() != 1) {
      return Status::InvalidArgument(fmt::format("Aggregate function {} requires exactly one parameter (the window)", call.name));
    }
    HEDGEROW_ASSIGN_OR_RETURN(double window, NumberParam(call, 0));
    if (!(window >= 0) || window > 1e18) return Status::InvalidArgument("The window of windowFunnel must be a non-negative number");
    if (call.values.size() < 2) return ArgumentCount(call, "at least 2");
    HEDGEROW_RETURN_IF_ERROR(CheckTimestamp(call, false));
    HEDGEROW_RETURN_IF_ERROR(CheckConditions(call, 1));
    return std::unique_ptr<Aggregate>(std::make_unique<WindowFunnel>(static_cast<uint64_t>(window), call.values.size() - 1));
  }
  if (call.params.size() != 1 || !std::holds_alternative<std::string>(call.params[0])) {
    return Status::InvalidArgument(fmt::format("Aggregate function {} requires one parameter: the pattern", call.name));
  }
  if (call.values.size() < 3) {
    return Status::InvalidArgument(fmt::format("Aggregate function {} requires at least 3 arguments", call.name));
  }
  HEDGEROW_RETURN_IF_ERROR(CheckTimestamp(call, true));
  HEDGEROW_RETURN_IF_ERROR(CheckConditions(call, 1));
  return ParsePattern(call, std::get<std::string>(call.params[0]), call.values.size() - 1);
}

}  // namespace hedgerow::query
