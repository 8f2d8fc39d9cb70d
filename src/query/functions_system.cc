// What tools ask a server before anything else: version(), currentDatabase(), timezone(),
// currentUser(), hostName(), uptime().

#include <chrono>

#include <unistd.h>

#include "functions_impl.h"

namespace hedgerow::query {
namespace {

// The ClickHouse release whose SQL dialect and formats hedgerow follows. Clients compare it
// to decide which features to use (e.g. DateTime64 and parameters need 20+), so it is a
// ClickHouse version, not hedgerow's own.
constexpr const char* kCompatibleClickHouseVersion = "23.8.1.1";

class Constant final : public Function {
 public:
  using Value = std::function<Literal()>;
  Constant(const char* name, TypeId type, Value value) : name_(name), type_(type), value_(std::move(value)) {}

  Result<DataTypePtr> ReturnType(const std::vector<DataTypePtr>& args) const override {
    if (!args.empty()) return WrongArgumentCount(name_, args.size(), "0");
    return MakeType(type_);
  }
  Result<ColumnPtr> Execute(const std::vector<ColumnPtr>&, const DataTypePtr& result, size_t rows) const override {
    return MakeConstColumn(value_(), rows, result);
  }

 private:
  const char* name_;
  TypeId type_;
  Value value_;
};

const auto kStarted = std::chrono::steady_clock::now();

}  // namespace

void RegisterSystemFunctions(FunctionMap& functions) {
  auto add = [&](const char* name, TypeId type, Constant::Value value) {
    functions.emplace(name, std::make_unique<Constant>(name, type, std::move(value)));
  };
  add("version", TypeId::kString, [] { return Literal(std::string(kCompatibleClickHouseVersion)); });
  add("currentDatabase", TypeId::kString, [] { return Literal(std::string("default")); });
  add("timezone", TypeId::kString, [] { return Literal(std::string("UTC")); });
  add("timeZone", TypeId::kString, [] { return Literal(std::string("UTC")); });
  add("currentUser", TypeId::kString, [] { return Literal(std::string("default")); });
  add("hostName", TypeId::kString, [] {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return Literal(std::string(name));
  });
  add("uptime", TypeId::kUInt32, [] {
    return Literal(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - kStarted).count()));
  });
}

}  // namespace hedgerow::query
