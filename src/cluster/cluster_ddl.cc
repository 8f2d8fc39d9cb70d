#include "cluster_ddl.h"

#include <fmt/format.h>

#include "hedgerow/query/parser.h"

namespace hedgerow::cluster {
namespace {

std::string ColumnList(const store::TableSchema& schema, const ServerVersion& version, bool codecs) {
  std::string out = "(";
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const store::ColumnDef& c = schema.columns[i];
    if (i > 0) out += ", ";
    out += QuoteIdentifier(c.name) + " " + ClusterTypeName(c.type, version);
    if (codecs && c.zstd && version.codecs()) out += " CODEC(ZSTD(3))";
  }
  return out + ")";
}

std::string KeyExprSql(const store::TableSchema& schema, const store::KeyExpr& key, const ServerVersion& version) {
  std::string column = QuoteIdentifier(key.column);
  switch (key.function) {
    case store::KeyFunction::kIdentity: return column;
    case store::KeyFunction::kToDate: return "toDate(" + column + ")";
    case store::KeyFunction::kToYYYYMM: return "toYYYYMM(" + column + ")";
    case store::KeyFunction::kCityHash64: {
      int index = schema.Find(key.column);
      bool uuid = index >= 0 && schema.columns[index].type == store::Type::kUuid;
      return uuid && !version.hashes_uuid() ? "cityHash64(toString(" + column + "))" : "cityHash64(" + column + ")";
    }
  }
  return column;
}

}  // namespace

Result<ServerVersion> ParseServerVersion(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  ServerVersion version;
  int* field = &version.major;
  bool digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9' && *field < 100000) {
      *field = *field * 10 + (c - '0');
      digits = true;
    } else if (c == '.' && field == &version.major && digits) {
      field = &version.minor;
      digits = false;
    } else if (c == '.' && field == &version.minor && digits) {
      return version;
    } else {
      break;
    }
  }
  if (field != &version.minor || !digits) {
    return Status::InvalidArgument(fmt::format("clickhouse: cannot read the server's version from \"{}\"", text));
  }
  return version;
}

std::string QuoteIdentifier(std::string_view name) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (plain) return std::string(name);
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out += '\\';
    out += c;
  }
  return out + "`";
}

std::string ClusterTypeName(store::Type type, const ServerVersion& version) {
  switch (type) {
    case store::Type::kDateTime: return "DateTime('UTC')";
    case store::Type::kDateTime64: return version.datetime64() ? "DateTime64(6, 'UTC')" : "DateTime('UTC')";
    default: return std::string(store::TypeName(type));
  }
}

std::string LocalTableDdl(const store::TableSchema& schema, std::string_view database, std::string_view table,
                          const ServerVersion& version) {
  std::string engine = schema.engine == store::Engine::kReplacingMergeTree
                           ? "ReplacingMergeTree(" + QuoteIdentifier(schema.version_column) + ")"
                           : "MergeTree";
  std::string out = fmt::format("CREATE TABLE IF NOT EXISTS {}.{} {} ENGINE = {}", QuoteIdentifier(database),
                                QuoteIdentifier(table), ColumnList(schema, version, true), engine);
  if (schema.partition_by) out += " PARTITION BY " + KeyExprSql(schema, *schema.partition_by, version);
  out += " ORDER BY (";
  for (size_t i = 0; i < schema.order_by.size(); ++i) {
    if (i > 0) out += ", ";
    out += KeyExprSql(schema, schema.order_by[i], version);
  }
  return out + ")";
}

std::string DistributedTableDdl(const store::TableSchema& schema, std::string_view database, std::string_view table,
                                std::string_view cluster, std::string_view local, const ServerVersion& version) {
  return fmt::format("CREATE TABLE IF NOT EXISTS {}.{} {} ENGINE = Distributed({}, {}, {}, sipHash64({}))",
                     QuoteIdentifier(database), QuoteIdentifier(table), ColumnList(schema, version, false),
                     query::QuoteStringLiteral(cluster), query::QuoteStringLiteral(database),
                     query::QuoteStringLiteral(local), QuoteIdentifier(schema.shard_column));
}

}  // namespace hedgerow::cluster
